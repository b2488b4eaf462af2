// One engine per data directory: `<home>/run/engine.pid` holds the host's pid.
// A pid file whose process is gone (kill -9, power loss) is stale and taken
// over. This module never signals a process; it only asks whether one exists
// (kill(pid, 0)). The host takes this lock before it touches the spool.
import fs from 'node:fs/promises';
import path from 'node:path';

export type LockResult =
  | { ok: true; release(): Promise<void> }
  | { ok: false; pid: number };

/** The lock could not be written at all (disk full, read-only): one line naming the file. */
export class PidLockError extends Error {
  constructor(readonly file: string, cause: NodeJS.ErrnoException) {
    super(`cannot write the pid lock ${file}: ${cause.code === 'ENOSPC' ? 'no space left on device' : cause.message}`);
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parsePid(text: string): number | null {
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** The pid in the lock file if that process is alive (and is not us), else null. */
export async function livePid(file: string): Promise<number | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const pid = parsePid(text);
  return pid !== null && pid !== process.pid && isAlive(pid) ? pid : null;
}

/**
 * Moves a stale lock out of the way without ever removing a live one: two
 * starters may both have judged the same file stale, and the first may already
 * have put its own in place. The file is renamed aside and read again; if it
 * names a live process after all, it is linked back. Returns that pid, or null.
 */
async function clearStale(file: string): Promise<number | null> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await fs.rename(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const pid = parsePid(await fs.readFile(aside, 'utf8'));
    if (pid !== null && pid !== process.pid && isAlive(pid)) {
      await fs.link(aside, file).catch(() => undefined); // EEXIST: a third starter won; it answers the next round
      return pid;
    }
    return null;
  } finally {
    await fs.rm(aside, { force: true });
  }
}

/**
 * Takes the lock. The pid is written to a private temporary file first and then
 * hard-linked into place: link() fails with EEXIST atomically, so two starting
 * engines can never both win, and a reader never sees a half-written pid. The
 * temporary file is removed whatever happens; a write that fails (disk full)
 * throws PidLockError naming the lock file.
 */
export async function acquirePidLock(file: string): Promise<LockResult> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    try {
      await fs.writeFile(tmp, `${process.pid}\n`, { flag: 'w', mode: 0o644 });
    } catch (e) {
      throw new PidLockError(file, e as NodeJS.ErrnoException);
    }
    // A few rounds: each may find a stale file and move it aside.
    for (let round = 0; round < 3; round++) {
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
      const pid = (await livePid(file)) ?? (await clearStale(file));
      if (pid !== null) return { ok: false, pid };
    }
    const pid = await livePid(file);
    return { ok: false, pid: pid ?? 0 };
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
