// Group commit for directory fsyncs. A rename is durable only once its directory
// is fsynced (Postfix mail_stream.c; rename(2) alone survives no power loss), and
// one fsync of a directory makes *every* rename issued before it started durable.
// So concurrent commits share fsyncs: a caller whose rename finished while an fsync
// was already running waits for the next one, which serves everyone who queued up
// meanwhile. With 20 SMTP sessions that is ~2 directory fsyncs per batch instead
// of 20, the known way to keep durable accept near a non-durable server's rate.
//
// Owns: fsync of one directory. Never: renames or writes anything itself.
import { closeSync, fsync, openSync } from 'node:fs';

export type DirSync = () => Promise<void>;

/**
 * Opening and closing the directory are synchronous: microseconds of kernel work
 * that, through libuv's thread pool (4 threads by default), would each queue behind
 * the fdatasyncs of other sessions holding those threads for milliseconds — the
 * directory fsync that every commit waits for would start late. Only the fsync
 * itself goes to the pool.
 */
async function fsyncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS metadata is journaled anyway.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    closeSync(fd);
  }
}

/**
 * A function that resolves once an fsync of `dir` has *started and finished* after
 * the call. `onFsync` is told when each fsync starts (tests count them; the bench
 * can report the batching it achieved).
 */
export function createDirSync(dir: string, onFsync?: () => void): DirSync {
  let inFlight: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  function start(): Promise<void> {
    onFsync?.();
    const run = fsyncDirectory(dir).finally(() => {
      if (inFlight === run) inFlight = null;
    });
    inFlight = run;
    return run;
  }

  return function dirSync(): Promise<void> {
    // Nothing running: our rename is already done, an fsync starting now covers it.
    if (!inFlight) return start();
    // The running fsync may have started before our rename: join the next one.
    if (!next) {
      next = inFlight
        .catch(() => undefined) // its failure is reported to its own callers
        .then(() => {
          next = null;
          return start();
        });
    }
    return next;
  };
}
