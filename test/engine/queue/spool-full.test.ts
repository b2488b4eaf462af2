// The spool on a full file system (a small tmpfs; root only, skipped otherwise):
// a control-file rewrite that cannot be written leaves the entry exactly as it
// was and no temporary file behind; recovery on the full disk still finds every
// entry; free space is charged with our own writes between statfs calls.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { createSpool } from '../../../engine/queue/spool.ts';
import { tmpfsUnavailable } from '../../helpers/tmpfs.ts';

const skip = tmpfsUnavailable();
if (skip) console.warn(`spool-full: skipped: ${skip}`);

let dir = '';
beforeAll(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'mailstop-spoolfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir]);
});
afterAll(() => {
  if (skip) return;
  try { execFileSync('umount', [dir]); } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true });
});

const partial = (): Omit<QueueEntry, 'id' | 'size'> => ({
  sender: 'alice@example.com', recipients: [{ address: 'bob@example.net', status: 'pending' }],
  arrivalTime: 1_700_000_000_000, state: 'deferred', group: 'default', attempts: 0, nextAttempt: 0,
  client: { address: '127.0.0.1', protocol: 'ESMTP', daemon: 'smtp' },
});

async function fill(path: string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (const size of [64 * 1024, 1024, 1]) {
      try { for (;;) await fh.write(Buffer.alloc(size, 0x41)); } catch (err) { expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC'); }
    }
  } finally {
    await fh.close();
  }
}

describe.skipIf(skip !== null)('spool on a full tmpfs (root only)', () => {
  it('an unwritable rewrite leaves the old entry intact and no tf; recovery on the full disk finds it', async () => {
    const spool = createSpool(join(dir, 'spool'));
    const before = await spool.freeBlocks();
    const w = await spool.begin();
    await w.write(Buffer.alloc(40 * 1024, 0x61));
    const big = await spool.begin();
    await big.write(Buffer.alloc(100 * 1024, 0x62)); // beyond INLINE_MAX: a df file
    const inline = await w.commit(partial());
    const split = await big.commit(partial());
    // Charged at once, without waiting for the next statfs.
    expect(await spool.freeBlocks()).toBeLessThanOrEqual(before - 140);

    const qfInline = await readFile(join(dir, 'spool', `qf${inline.id}`));
    const qfSplit = await readFile(join(dir, 'spool', `qf${split.id}`));
    await fill(join(dir, 'filler'));
    for (const e of [inline, split]) {
      await expect(spool.update({ ...e, attempts: 1, reason: 'Deferred: x'.repeat(2000) })).rejects.toMatchObject({ code: 'ENOSPC' });
    }
    expect(await readFile(join(dir, 'spool', `qf${inline.id}`))).toEqual(qfInline);
    expect(await readFile(join(dir, 'spool', `qf${split.id}`))).toEqual(qfSplit);
    expect((await readdir(join(dir, 'spool'))).filter((n) => n.startsWith('tf'))).toEqual([]);

    const again = createSpool(join(dir, 'spool'));
    const report = await again.recover();
    expect(report.entries.map((e) => e.id).sort()).toEqual([inline.id, split.id].sort());
    expect(report.corrupt).toEqual([]);
    await rm(join(dir, 'filler'));
  });
});
