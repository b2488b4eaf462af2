// Spool scans while another process writes the same spool (the `mailstop sendmail`
// fallback, Sendmail's clientmqueue): recover() at start must not take a message
// still being written for a crash leftover, and sweep() later picks up what that
// process committed — on real files, with two spool instances standing for the
// two processes.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { newQueueId, queueIdPid } from '../../../engine/queue/queue-id.ts';
import { ORPHAN_GRACE_MS } from '../../../engine/queue/scan.ts';
import { createSpool, INLINE_MAX } from '../../../engine/queue/spool.ts';

const MESSAGE = 'Subject: hi\r\n\r\nHello.\r\n';

function partial(): Omit<QueueEntry, 'id' | 'size'> {
  return {
    sender: 'alice@example.com', recipients: [{ address: 'bob@example.net', status: 'pending' }],
    arrivalTime: 1_700_000_000_000, state: 'active', group: 'default', attempts: 0, nextAttempt: 0,
    client: { address: '', protocol: 'local', daemon: 'cli' },
  };
}

let dir: string;
beforeEach(async () => { dir = join(await mkdtemp(join(tmpdir(), 'mailstop-scan-')), 'spool'); });
afterEach(async () => { await rm(join(dir, '..'), { recursive: true, force: true }); });

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function base62(n: number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++, n = Math.floor(n / 62)) out = ALPHABET[n % 62] + out;
  return out;
}

/** Make a file look `ageMs` old. */
async function age(name: string, ageMs: number): Promise<void> {
  const t = (Date.now() - ageMs) / 1000;
  await utimes(join(dir, name), t, t);
}

describe('recover() beside a writer in another process', () => {
  it('leaves a message being written alone; the writer commits and a sweep picks it up', async () => {
    const engine = createSpool(dir);
    await engine.recover();
    const cli = createSpool(dir); // the sendmail fallback: another process, another spool instance
    const w = await cli.begin();
    // Larger than INLINE_MAX: streamed to a df while it arrives, so there is a file to leave alone.
    const big = Buffer.alloc(INLINE_MAX + 1, 'x');
    await w.write(Buffer.from(MESSAGE));
    await w.write(big);

    const atStart = await engine.recover(); // the engine starts while the CLI writes
    expect(atStart).toMatchObject({ entries: [], cleaned: 0, young: 1 });

    await w.write(Buffer.from('\r\n'));
    const committed = await w.commit(partial());
    const swept = await engine.sweep(() => false);
    expect(swept.entries).toEqual([committed]);
    expect(swept.corrupt).toEqual([]);
    expect(await engine.listCorrupt()).toEqual([]);
  });

  it('a small message being written leaves no file until its commit, which writes its qf alone', async () => {
    const engine = createSpool(dir);
    await engine.recover();
    const w = await createSpool(dir).begin();
    await w.write(Buffer.from(MESSAGE));
    expect(await readdir(dir)).toEqual([]);
    expect(await engine.recover()).toEqual({ entries: [], cleaned: 0, corrupt: [] });
    const committed = await w.commit(partial());
    expect(await readdir(dir)).toEqual(['qf' + committed.id]);
    expect((await engine.sweep(() => false)).entries).toEqual([committed]);
  });

  const cases: { name: string; files: Record<string, string>; ageMs: number; want: { cleaned: number; young?: number; left: string[] } }[] = [
    { name: 'young df', files: { df: MESSAGE }, ageMs: 60_000, want: { cleaned: 0, young: 1, left: ['df'] } },
    { name: 'young tf with its df', files: { df: MESSAGE, tf: '{"qfV' }, ageMs: 60_000, want: { cleaned: 0, young: 2, left: ['df', 'tf'] } },
    { name: 'old df', files: { df: MESSAGE }, ageMs: ORPHAN_GRACE_MS + 60_000, want: { cleaned: 1, left: [] } },
    { name: 'old tf with its df', files: { df: MESSAGE, tf: '{"qfV' }, ageMs: ORPHAN_GRACE_MS + 60_000, want: { cleaned: 2, left: [] } },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.want.cleaned ? 'removed' : 'kept for a later pass'}`, async () => {
      const spool = createSpool(dir);
      await spool.recover();
      const id = newQueueId();
      for (const [kind, text] of Object.entries(c.files)) {
        await writeFile(join(dir, kind + id), text);
        await age(kind + id, c.ageMs);
      }
      const got = await createSpool(dir).recover();
      expect({ cleaned: got.cleaned, young: got.young }).toEqual({ cleaned: c.want.cleaned, young: c.want.young });
      expect((await readdir(dir)).filter((n) => n !== 'corrupt').sort()).toEqual(c.want.left.map((k) => k + id).sort());
    });
  }

  it('removes the leftovers of a writer that is gone at once (a killed engine or CLI)', async () => {
    const spool = createSpool(dir);
    await spool.recover();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited and reaped: no such process now
    const own = newQueueId();
    const orphan = own.slice(0, 7) + base62(dead, 4) + own.slice(11);
    expect(queueIdPid(orphan)).toBe(dead);
    await writeFile(join(dir, 'df' + orphan), MESSAGE.slice(0, 5));
    await writeFile(join(dir, 'df' + own), MESSAGE.slice(0, 5)); // this process: alive, so it waits
    const got = await createSpool(dir).recover();
    expect({ cleaned: got.cleaned, young: got.young }).toEqual({ cleaned: 1, young: 1 });
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['df' + own]));
    expect(await readdir(dir)).not.toContain('df' + orphan);
  });

  it('a later sweep removes a leftover once it has outlived the grace period', async () => {
    const spool = createSpool(dir);
    await spool.recover();
    const id = newQueueId();
    await writeFile(join(dir, 'df' + id), MESSAGE);
    expect((await spool.sweep(() => false)).young).toBe(1);
    const got = await spool.sweep(() => false, { now: Date.now() + ORPHAN_GRACE_MS + 1000 });
    expect(got.cleaned).toBe(1);
    expect(await readdir(dir)).not.toContain('df' + id);
  });
});

describe('sweep()', () => {
  it('returns committed entries the caller does not know, and never reads known ones', async () => {
    const spool = createSpool(dir);
    const a = await (async () => { const w = await spool.begin(); await w.write(Buffer.from(MESSAGE)); return w.commit(partial()); })();
    const b = await (async () => { const w = await spool.begin(); await w.write(Buffer.from(MESSAGE)); return w.commit(partial()); })();
    // A known entry is the caller's business: even a damaged control file is not touched.
    await writeFile(join(dir, 'qf' + a.id), 'garbage');
    const got = await spool.sweep((id) => id === a.id);
    expect(got.entries).toEqual([b]);
    expect(got.corrupt).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['qf' + a.id, 'qf' + b.id].sort());
  });

  it('moves an unknown damaged entry aside (error path)', async () => {
    const spool = createSpool(dir);
    await spool.recover();
    const id = newQueueId();
    await writeFile(join(dir, 'qf' + id), 'garbage');
    const got = await spool.sweep(() => false);
    expect(got.entries).toEqual([]);
    expect(got.corrupt.map((c) => c.name)).toEqual([id]);
  });
});
