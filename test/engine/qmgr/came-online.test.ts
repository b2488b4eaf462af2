// Coming back online credits the offline spell to every queued message (issue 3
// §3) — even when another writer (a forced delivery committing) holds the
// entry's lock at that moment: the credit must not be overwritten by its save.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createCleanup } from '../../../engine/cleanup/index.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { Qmgr } from '../../../engine/qmgr/index.ts';
import { createSpool } from '../../../engine/queue/spool.ts';

let dir: string | undefined;
afterEach(async () => { if (dir) await fs.rm(dir, { recursive: true, force: true }); dir = undefined; });

const MIN = 60_000;

function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

async function setup() {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-online-credit-'));
  const spoolDir = path.join(dir, 'spool');
  await fs.mkdir(spoolDir, { recursive: true });
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  const clock = { now: () => now };
  // deferred without queue runs: cameOnline's runDue has nothing to deliver (queueonly
  // would give the message a local-only pass, which resolves it).
  const settings = SettingsSchema.parse({ hostname: 'mta.test', delivery: { mode: 'deferred', queueRun: [] } });
  const spool = createSpool(spoolDir);
  const entry = await createCleanup({ spool, settings: () => settings, now: clock.now, onQueued: () => {} }).accept(
    { sender: 'alice@sender.test', recipients: [{ address: 'bob@dest.test' }] },
    { address: '', protocol: 'local', daemon: 'cli' }, Readable.from([Buffer.from('Subject: x\n\nhello\n')]), { lineEndings: 'lf' },
  );
  const lines: string[] = [];
  const unused = () => { throw new Error('not expected in this test'); };
  const qmgr = new Qmgr({
    spool, settings: () => settings, clock, hostname: () => 'mta.test',
    resolve: unused, deliver: unused, enqueue: unused,
    log: { toLine: () => undefined, info: (_id, text) => { lines.push(text); } }, emit: () => undefined,
  });
  qmgr.load([entry]);
  return { qmgr, spool, entry, lines, advance: (ms: number) => { now += ms; } };
}

describe('Qmgr.cameOnline', () => {
  it('the credit survives a writer that held the entry while it was applied', async () => {
    const { qmgr, spool, entry, advance } = await setup();
    const offlineFrom = entry.arrivalTime + MIN;
    advance(10 * MIN);

    const holding = latch();
    const release = latch();
    // What a forced delivery's commit does: read the entry under its lock, work, save its version.
    const writer = qmgr.store.locked(entry.id, async (e) => {
      holding.open();
      await release.promise;
      await qmgr.store.save({ ...e!, attempts: e!.attempts + 1 });
    });
    await holding.promise;
    const online = qmgr.cameOnline(offlineFrom, false);
    release.open();
    await Promise.all([writer, online]);

    const want = { attempts: 1, offlineMs: 9 * MIN };
    const pick = (e: { attempts: number; offlineMs?: number } | undefined) => ({ attempts: e?.attempts, offlineMs: e?.offlineMs });
    expect(pick(qmgr.store.get(entry.id))).toEqual(want);
    expect(pick((await spool.list()).find((e) => e.id === entry.id))).toEqual(want); // durably, too
  });

  it('credits nothing for a message that arrived after the spell ended (error path: no negative credit)', async () => {
    const { qmgr, entry, lines } = await setup();
    await qmgr.cameOnline(entry.arrivalTime + MIN, false);
    expect(qmgr.store.get(entry.id)?.offlineMs).toBeUndefined();
    expect(lines.filter((l) => l.startsWith('back online'))).toEqual([]);
  });
});
