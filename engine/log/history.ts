// Counts per hour for the Overview chart: messages received, delivered and
// bounced in each clock hour, and the queue size at the hour's end. Kept by the
// engine from its own events (not by a browser), so every window and every new
// browser draws the same chart, and persisted to `<home>/log/history.json` so a
// restart keeps it. Owns that file only; never reads or changes the queue.
//
// Every series counts MESSAGES (one unit): a message to three recipients
// delivered is one delivery, as `queue:removed … delivered` says.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { HistoryHour } from '../contracts.ts';

export const HOUR_MS = 3600e3;
/** A week of hours: the file stays a few kilobytes; the chart shows the last 24. */
export const KEEP_HOURS = 7 * 24;
/** Writing once a minute at most: a flush of thousands of messages must not mean thousands of writes. */
const SAVE_EVERY_MS = 60e3;

export interface HistoryEvent { type: string; why?: string }

export interface HistoryKeeper {
  /** The queue size at start (recovered messages), so the line starts where the queue is. */
  start(queued: number): Promise<void>;
  record(event: HistoryEvent): void;
  /** The last `hours` hours, oldest first, one row per hour (hours with nothing in them included). */
  hours(hours?: number): HistoryHour[];
  /** Write what is pending now (engine stop). */
  flush(): Promise<void>;
}

function hourOf(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}

function isHour(v: unknown): v is HistoryHour {
  const h = v as HistoryHour;
  return typeof h === 'object' && h !== null && [h.hour, h.received, h.delivered, h.bounced, h.queued].every((n) => Number.isFinite(n));
}

export function createHistory(opts: { file: string; now(): number }): HistoryKeeper {
  const rows = new Map<number, HistoryHour>();
  let queued = 0;
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let saving: Promise<void> = Promise.resolve();

  function row(t: number): HistoryHour {
    const hour = hourOf(t);
    let r = rows.get(hour);
    if (!r) rows.set(hour, (r = { hour, received: 0, delivered: 0, bounced: 0, queued }));
    return r;
  }

  function prune(now: number): void {
    const oldest = hourOf(now) - (KEEP_HOURS - 1) * HOUR_MS;
    for (const h of rows.keys()) if (h < oldest) rows.delete(h);
  }

  /** Durable replace (temp, fsync, rename): a crash leaves the old file or the new one. */
  async function write(): Promise<void> {
    dirty = false;
    prune(opts.now());
    const text = JSON.stringify({ version: 1, hours: [...rows.values()].sort((a, b) => a.hour - b.hour) }) + '\n';
    await fsp.mkdir(path.dirname(opts.file), { recursive: true });
    const tmp = `${opts.file}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, opts.file);
  }

  function save(): Promise<void> {
    // One write at a time; a failed write leaves the data dirty for the next try.
    saving = saving.then(write).catch(() => { dirty = true; });
    return saving;
  }

  function schedule(): void {
    dirty = true;
    timer ??= setTimeout(() => { timer = null; void save(); }, SAVE_EVERY_MS);
    timer.unref?.();
  }

  return {
    async start(n) {
      try {
        const parsed = JSON.parse(await fsp.readFile(opts.file, 'utf8')) as { hours?: unknown[] };
        for (const h of parsed.hours ?? []) if (isHour(h)) rows.set(hourOf(h.hour), { ...h, hour: hourOf(h.hour) });
      } catch {
        // Missing or damaged: the chart starts empty; it is a picture, not mail.
      }
      queued = n;
      row(opts.now()).queued = n;
      prune(opts.now());
      schedule();
    },
    record(e) {
      if (e.type === 'queue:added') {
        queued++;
        const r = row(opts.now());
        r.received++;
        r.queued = queued;
      } else if (e.type === 'queue:removed') {
        queued = Math.max(0, queued - 1);
        const r = row(opts.now());
        if (e.why === 'delivered') r.delivered++;
        if (e.why === 'bounced') r.bounced++;
        r.queued = queued;
      } else {
        return;
      }
      schedule();
    },
    hours(n = 24) {
      const count = Math.max(1, Math.min(KEEP_HOURS, Math.floor(n)));
      const last = hourOf(opts.now());
      const out: HistoryHour[] = [];
      // An hour with no events keeps the queue size of the hour before it.
      let carry = 0;
      for (const h of [...rows.keys()].sort((a, b) => a - b)) if (h < last - (count - 1) * HOUR_MS) carry = rows.get(h)!.queued;
      for (let i = count - 1; i >= 0; i--) {
        const hour = last - i * HOUR_MS;
        const r = rows.get(hour);
        out.push(r ? { ...r } : { hour, received: 0, delivered: 0, bounced: 0, queued: carry });
        if (r) carry = r.queued;
      }
      return out;
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (dirty) await save();
      await saving;
    },
  };
}
