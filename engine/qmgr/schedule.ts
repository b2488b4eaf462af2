// When a message is due: retry backoff, its age for warn/return, and the cron
// queue runs. Pure functions of (entry, settings, now) plus one small cron
// ticker that is driven by the injectable Clock, so tests move time without
// sleeping and production gets the same behaviour from a one-second heartbeat.
import { createTask, type ScheduledTask } from 'node-cron';
import { durationMs, type Settings } from '../config/schema.ts';
import type { QueueEntry } from '../contracts.ts';

/**
 * Delay before the next attempt after `attempts` failed ones: minBackoff doubling
 * up to maxBackoff (Postfix's minimal/maximal_backoff_time, 300 s..4000 s).
 */
export function backoffMs(attempts: number, d: Settings['delivery']): number {
  const min = durationMs(d.minBackoff);
  const max = durationMs(d.maxBackoff);
  // 2^30 already dwarfs any sane maxBackoff; capping the exponent avoids Infinity.
  const factor = 2 ** Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(min * factor, max);
}

/**
 * Age that counts toward queueWarn/queueReturn: time since arrival minus time spent
 * offline (issue 3: a week on a plane bounces nothing). `offlineNow` is the start of
 * a current offline spell not yet credited to the entry.
 */
export function effectiveAge(entry: QueueEntry, now: number, offlineNow: number | null = null): number {
  let age = now - entry.arrivalTime - (entry.offlineMs ?? 0);
  if (offlineNow !== null) age -= now - Math.max(offlineNow, entry.arrivalTime);
  return Math.max(0, age);
}

export function isHeld(entry: QueueEntry): boolean {
  return entry.state === 'hold';
}

export function hasPending(entry: QueueEntry): boolean {
  return entry.recipients.some((r) => r.status === 'pending');
}

/** Due for a scheduled attempt: not held and its backoff has passed. */
export function isDue(entry: QueueEntry, now: number): boolean {
  return !isHeld(entry) && entry.nextAttempt <= now;
}

export interface CronSpec { group: string; expr: string }

/** The queue-run schedules in the settings: default group(s) and the slow queue. */
export function cronSpecs(s: Settings): CronSpec[] {
  const runs = Array.isArray(s.delivery.queueRun) ? s.delivery.queueRun : [s.delivery.queueRun];
  const specs = runs.filter((e) => e.trim() !== '').map((expr) => ({ group: 'default', expr }));
  if (s.delivery.slowQueue.enabled) specs.push({ group: 'slow', expr: s.delivery.slowQueue.queueRun });
  return specs;
}

// Catch-up after a long pause (suspended laptop, a test jumping the clock) looks
// back at most this far; one run covers any number of missed ones anyway.
const MAX_LOOKBACK_MS = 8 * 86400e3;
// node-cron's 6-field form has a seconds field; stepping per second is only
// affordable over short gaps (the heartbeat's one second, normally).
const SECOND_STEP_SPAN_MS = 2 * 3600e3;

/**
 * Cron queue runs evaluated against an injectable clock. node-cron parses and
 * matches (so what settings validation accepts is exactly what runs); we only
 * ask it "does this moment match", never let it own a timer.
 */
export class CronTicker {
  private tasks: { spec: CronSpec; task: ScheduledTask; seconds: boolean }[] = [];
  private last: number;

  constructor(now: number) { this.last = now; }

  /** Replace the schedules. Throws on a bad expression, keeping the previous ones. */
  set(specs: CronSpec[]): void {
    const next = specs.map((spec) => ({
      spec,
      task: createTask(spec.expr, () => undefined),
      seconds: spec.expr.trim().split(/\s+/).length === 6,
    }));
    for (const t of this.tasks) void t.task.destroy();
    this.tasks = next;
  }

  get specs(): CronSpec[] { return this.tasks.map((t) => t.spec); }

  /** Groups whose schedule matched a moment in (last tick, now]; each group once. */
  due(now: number): string[] {
    const from = Math.max(this.last, now - MAX_LOOKBACK_MS);
    this.last = Math.max(this.last, now);
    if (now <= from || this.tasks.length === 0) return [];
    const fired = new Set<string>();
    const perSecond = this.tasks.some((t) => t.seconds) && now - from <= SECOND_STEP_SPAN_MS;
    const step = perSecond ? 1000 : 60_000;
    // First boundary strictly after `from`.
    let t = Math.floor(from / step) * step + step;
    const groups = new Set(this.tasks.map((x) => x.spec.group)).size;
    for (; t <= now; t += step) {
      const d = new Date(t);
      for (const { spec, task } of this.tasks) {
        if (!fired.has(spec.group) && task.match(d)) fired.add(spec.group);
      }
      if (fired.size === groups) break;
    }
    return [...fired];
  }

  stop(): void {
    for (const t of this.tasks) void t.task.destroy();
    this.tasks = [];
  }
}
