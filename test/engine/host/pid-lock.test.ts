// One engine per data directory; a lock left by a killed engine is taken over.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePidLock, livePid, PidLockError } from '../../../engine/host/pid-lock.ts';

let dir: string;
beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-pid-')); });
afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

/** A pid that is certainly gone: a child that already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('pid lock', () => {
  it('is taken once, refused while held, free again after release', async () => {
    const file = path.join(dir, 'run', 'engine.pid');
    const first = await acquirePidLock(file);
    expect(first.ok).toBe(true);
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(String(process.pid));
    // The same pid counts as "not another engine", so ask as if from another live process.
    await fs.writeFile(file, `${process.ppid}\n`);
    const second = await acquirePidLock(file);
    expect(second).toEqual({ ok: false, pid: process.ppid });
    await fs.writeFile(file, `${process.pid}\n`);
    if (first.ok) await first.release();
    await expect(fs.access(file)).rejects.toThrow();
  });

  it('takes over a stale lock whose process is gone', async () => {
    const file = path.join(dir, 'engine.pid');
    await fs.writeFile(file, `${await deadPid()}\n`);
    expect(await livePid(file)).toBeNull();
    const got = await acquirePidLock(file);
    expect(got.ok).toBe(true);
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(String(process.pid));
  });

  it('treats garbage in the pid file as stale', async () => {
    const file = path.join(dir, 'engine.pid');
    await fs.writeFile(file, 'not a pid');
    expect((await acquirePidLock(file)).ok).toBe(true);
  });

  it('on a full disk fails with one line naming the lock file and leaves no temporary file', async () => {
    const file = path.join(dir, 'engine.pid');
    // /dev/full answers every write with ENOSPC, as a full file system does.
    await fs.symlink('/dev/full', `${file}.${process.pid}.tmp`);
    const got = acquirePidLock(file);
    await expect(got).rejects.toThrow(PidLockError);
    await expect(got).rejects.toThrow(`cannot write the pid lock ${file}: no space left on device`);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('never removes a live lock while taking over a stale one', async () => {
    const file = path.join(dir, 'engine.pid');
    // Another live process (our parent) holds it: refused, and its file stays as it was.
    await fs.writeFile(file, `${process.ppid}\n`);
    expect(await acquirePidLock(file)).toEqual({ ok: false, pid: process.ppid });
    expect(await fs.readFile(file, 'utf8')).toBe(`${process.ppid}\n`);
    expect(await fs.readdir(dir)).toEqual(['engine.pid']);
  });
});
