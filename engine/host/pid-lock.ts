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
      const code = (e as NodeJS.ErrnoException).code;
      // A full disk: a stale lock can still be taken over in the blocks it already has.
      const inPlace = code === 'ENOSPC' || code === 'EDQUOT' ? await takeOverInPlace(file) : null;
      if (inPlace) return inPlace;
      throw new PidLockError(file, e as NodeJS.ErrnoException);
    }
    // A few rounds: each may find a stale file and move it aside.
    for (let round = 0; round < 3; round++) {
      try {
        await fs.link(tmp, file);
        return held(file);
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

function held(file: string): LockResult {
  return {
    ok: true,
    async release() {
      // Only remove the file if it is still ours.
      const text = await fs.readFile(file, 'utf8').catch(() => '');
      if (parsePid(text) === process.pid) await fs.rm(file, { force: true });
    },
  };
}

/**
 * On a full disk no new file can be written, but the killed engine's stale pid file
 * still owns its block: our pid is written over it, padded to its old length so the
 * file never shrinks (its block is kept, and a pid never needs a second one). null when there is no
 * stale file to reuse. Two starters on the same full disk are told apart by reading
 * the file back: the last writer holds it, the other sees its pid.
 */
async function takeOverInPlace(file: string): Promise<LockResult | null> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r+');
  } catch {
    return null;
  }
  try {
    const text = await fh.readFile('utf8');
    const pid = parsePid(text);
    if (pid !== null && pid !== process.pid && isAlive(pid)) return { ok: false, pid };
    // A pid is a few bytes: written within the file's first block, which it already has.
    const mine = `${process.pid}\n`;
    await fh.write(mine.padEnd(Buffer.byteLength(text), ' '), 0, 'utf8');
    await fh.datasync();
  } catch {
    return null;
  } finally {
    await fh.close();
  }
  const now = parsePid(await fs.readFile(file, 'utf8').catch(() => ''));
  return now === process.pid ? held(file) : { ok: false, pid: now ?? 0 };
}