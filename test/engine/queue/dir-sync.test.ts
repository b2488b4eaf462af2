// Group commit: concurrent callers share directory fsyncs, and nobody is served
// by an fsync that started before they asked (their rename might not be in it).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDirSync } from '../../../engine/queue/dir-sync.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailstop-dirsync-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createDirSync', () => {
  it('serves 50 concurrent callers with at most two fsyncs', async () => {
    let fsyncs = 0;
    const sync = createDirSync(dir, () => fsyncs++);
    await Promise.all(Array.from({ length: 50 }, () => sync()));
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThanOrEqual(2);
  });

  it('makes a caller who arrives during an fsync wait for one that starts later', async () => {
    const events: string[] = [];
    let n = 0;
    const sync = createDirSync(dir, () => events.push(`start ${++n}`));
    const first = sync().then(() => events.push('first done'));
    const late = sync().then(() => events.push('late done')); // fsync 1 is already running
    await Promise.all([first, late]);
    expect(events).toEqual(['start 1', 'first done', 'start 2', 'late done']);
  });

  it('is used again after a quiet period', async () => {
    let fsyncs = 0;
    const sync = createDirSync(dir, () => fsyncs++);
    await sync();
    await sync();
    expect(fsyncs).toBe(2);
  });

  it('rejects when the directory is gone, and recovers when it is back', async () => {
    const sync = createDirSync(join(dir, 'missing'));
    const [a, b] = await Promise.allSettled([sync(), sync()]); // the running one and the next
    expect([a.status, b.status]).toEqual(['rejected', 'rejected']);
    await mkdir(join(dir, 'missing'));
    await expect(sync()).resolves.toBeUndefined();
  });
});
