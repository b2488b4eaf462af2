// One engine per data directory: `<home>/run/engine.pid` holds the serving
// process's pid. A pid file whose process is gone (kill -9, power loss) is stale
// and taken over. This module never signals a process; it only asks whether one
// exists (kill(pid, 0)).
import fs from 'node:fs/promises';
import path from 'node:path';

export type LockResult =
  | { ok: true; release(): Promise<void> }
  | { ok: false; pid: number };

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the lock file if that process is alive, else null. */
export async function livePid(file: string): Promise<number | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : null;
}

/**
 * Takes the lock. The pid is written to a private temporary file first and then
 * hard-linked into place: link() fails with EEXIST atomically, so two starting
 * engines can never both win, and a reader never sees a half-written pid.
 */
export async function acquirePidLock(file: string): Promise<LockResult> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${process.pid}\n`);
  try {
    // Two rounds: the first may find a stale file and remove it.
    for (let round = 0; round < 2; round++) {
      try {
        await fs.link(tmp, file);
        return {
          ok: true,
          async release() {
            // Only remove the file if it is still ours.
            const text = await fs.readFile(file, 'utf8').catch(() => '');
            if (text.trim() === String(process.pid)) await fs.rm(file, { force: true });
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = await livePid(file);
      if (pid !== null) return { ok: false, pid };
      await fs.rm(file, { force: true }); // stale: its process is gone
    }
    const pid = await livePid(file);
    return { ok: false, pid: pid ?? 0 };
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
