// The spool scan behind recover() (at start) and sweep() (while running): lists
// the spool directory, removes half-written files that have outlived the grace
// period, moves damaged entries aside and returns the committed entries its
// caller does not know yet.
//
// Owns: the decision "leftover or still being written?". Never: deleting a file
// another process may still be writing (the grace period), never deleting a
// damaged entry (it goes to corrupt/), never touching an entry the caller knows.
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CorruptEntry } from '../contracts.ts';
import type { QueueEntry, QueueId } from '../contracts.ts';
import type { Decoded } from './control-file.ts';
import { inBatches, isMissing, unlinkQuietly } from './fs-util.ts';
import { isQueueId, queueIdPid } from './queue-id.ts';
import type { RecoveryReport, ScanOptions } from './types.ts';

/**
 * How old a data file (`df`) or control temporary (`tf`) without a committed `qf`
 * must be before a scan takes it for a crash leftover: 10 minutes.
 *
 * Why: `mailstop sendmail` writes the spool itself while the engine is down
 * (Sendmail's clientmqueue) and may still be writing when the engine starts. Its
 * `df` grows as it reads the message from stdin, so the file's mtime moves with
 * every write: the age we see is the time since its last write, not since it
 * began. A mail program hands over its message in well under a second; a script
 * piping slow output may pause for seconds or minutes. Ten minutes without a
 * single write is far past any live writer, and a real leftover costs only disk
 * space for those ten minutes (it was never acknowledged, so nothing waits for it).
 *
 * The grace is skipped when the writer is known to be gone: a queue ID carries
 * the pid of the process that made it (queue-id.ts), so the leftovers of a
 * killed engine or CLI (no such process any more) are removed at once.
 */
export const ORPHAN_GRACE_MS = 10 * 60_000;

/**
 * Is the process that created this ID's files certainly gone? Only "no such
 * process" counts; EPERM means it exists under another user. A pid reused by an
 * unrelated process, or one from another PID namespace, just gets the grace.
 */
export function writerGone(id: QueueId): boolean {
  const pid = queueIdPid(id);
  if (pid <= 1) return false; // 0 would address our process group; 1 is init (or a container's main process)
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A decoded control record; an inline one (version 2) also says how many message bytes follow it. */
export type ScannedControl = Decoded | (Extract<Decoded, { ok: true }> & { inlineBytes: number });

export interface ScanContext {
  dir: string;
  /** Being written or changed by this process right now: never touched by a scan. */
  inUse: (id: QueueId) => boolean;
  /** The decoded control record, or null when it vanished meanwhile. Synchronous (see inBatches). */
  readControl: (id: QueueId) => ScannedControl | null;
  moveToCorrupt: (id: QueueId, reason: string) => Promise<CorruptEntry>;
  dirSync: () => Promise<void>;
}

/** mtime of a file in ms, or null when it is gone. */
function mtimeNow(p: string): number | null {
  try {
    return statSync(p).mtimeMs;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

function sizeNow(p: string): number | null {
  try {
    return statSync(p).size;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

export async function scanSpool(ctx: ScanContext, known: (id: QueueId) => boolean, opts: ScanOptions = {}): Promise<RecoveryReport> {
  const now = opts.now ?? Date.now();
  const grace = opts.graceMs ?? ORPHAN_GRACE_MS;
  const keep = opts.keep ?? ((e: QueueEntry) => e);
  const path = (prefix: 'df' | 'qf' | 'tf', id: QueueId) => join(ctx.dir, prefix + id);
  const qfAll = new Set<QueueId>();
  const df: QueueId[] = [];
  const tf: QueueId[] = [];
  // "Known" is decided from this one listing: an entry its owner drops later has
  // lost its qf before it leaves the owner's index (qmgr removes files first).
  for (const name of await readdir(ctx.dir)) {
    const id = name.slice(2);
    if (!isQueueId(id) || ctx.inUse(id)) continue; // foreign, or in use in this process
    const kind = name.slice(0, 2);
    if (kind === 'qf') qfAll.add(id);
    else if (kind === 'df') df.push(id);
    else if (kind === 'tf') tf.push(id);
  }
  const qf = [...qfAll].filter((id) => !known(id));

  let cleaned = 0;
  let young = 0;
  /** Remove an orphan once it is older than the grace period; otherwise leave it for a later pass. */
  const reap = async (id: QueueId, kind: 'df' | 'tf'): Promise<void> => {
    const mtime = mtimeNow(path(kind, id));
    if (mtime === null) return; // finished or removed meanwhile
    if (now - mtime < grace && !writerGone(id)) {
      young++;
      return;
    }
    // Its writer may have committed since the listing (then it is no orphan at all).
    if (kind === 'df' && mtimeNow(path('qf', id)) !== null) return;
    if (await unlinkQuietly(path(kind, id))) cleaned++;
  };
  // An unfinished control write: the qf beside it (if any) is the truth.
  for (const id of tf) await reap(id, 'tf');
  // Data without a control file was never acknowledged: the sender still has it.
  // (An inline entry's unfinished commit is a tf alone: reaped just above.)
  for (const id of df) if (!qfAll.has(id)) await reap(id, 'df');

  type Check = { ok: true; entry: QueueEntry } | { ok: false; id: QueueId; reason: string } | null;
  const checked = await inBatches(qf, (id): Check => {
    const decoded = ctx.readControl(id);
    if (!decoded) return null; // vanished meanwhile
    if (!decoded.ok) return { ok: false, id, reason: decoded.reason };
    // `size` counts header fields kept in the record (QueueEntry.prepend); the file holds the rest.
    const stored = decoded.entry.size - Buffer.byteLength(typeof decoded.entry.prepend === 'string' ? decoded.entry.prepend : '');
    if ('inlineBytes' in decoded) {
      // Version 2: the message is in the qf itself, after the record.
      if (decoded.inlineBytes < stored) {
        return { ok: false, id, reason: `control file is truncated: message has ${decoded.inlineBytes} of ${stored} bytes` };
      }
      return { ok: true, entry: keep(decoded.entry) };
    }
    const size = sizeNow(path('df', id));
    if (size === null) return { ok: false, id, reason: 'data file is missing' };
    if (size < stored) {
      return { ok: false, id, reason: `data file is truncated: ${size} of ${stored} bytes` };
    }
    return { ok: true, entry: keep(decoded.entry) };
  });

  const entries: QueueEntry[] = [];
  const corrupt: CorruptEntry[] = [];
  for (const c of checked) {
    if (!c) continue;
    if (c.ok) entries.push(c.entry);
    else corrupt.push(await ctx.moveToCorrupt(c.id, c.reason));
  }
  if (cleaned > 0 || corrupt.length > 0) await ctx.dirSync();
  entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { entries, cleaned, corrupt, ...(young > 0 ? { young } : {}) };
}
