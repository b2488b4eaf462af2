// The durable spool: per message a data file `dfID` (the message, CRLF lines) and
// a control file `qfID` (its QueueEntry as JSON), as Sendmail keeps them.
//
// Owns: every byte under the spool directory. Never: deciding what a message's
// state should be (qmgr does), never deletes a damaged entry (it goes to corrupt/).
//
// Durability (STYLE.md §5, Postfix mail_stream.c): the data is fdatasynced; the
// control record goes to `tfID`, is fdatasynced and renamed to `qfID`; then the
// directory is fsynced. The rename is the commit point: after a crash an entry
// either has its qf (and a complete df) or it never existed. `commit` resolves
// only after the directory fsync — that is what stands behind an SMTP `250`.
// Directory fsyncs of concurrent commits are shared (dir-sync.ts).
// Half-written files are removed by scans (scan.ts) only after a grace period:
// another process (the `mailstop sendmail` fallback) may still be writing them.
import { createReadStream, readFileSync } from 'node:fs';
import { access, mkdir, open, readdir, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CorruptEntry } from '../api.ts';
import type { QueueEntry, QueueId } from '../contracts.ts';
import { decodeControl, encodeControl, type Decoded } from './control-file.ts';
import { createCorruptArea } from './corrupt.ts';
import { createDirSync } from './dir-sync.ts';
import { DIR_MODE, FILE_MODE, inBatches, isMissing, writeSynced } from './fs-util.ts';
import { isQueueId, newQueueId } from './queue-id.ts';
import type { RecoveryReport, ScanOptions, Spool, SpoolWriter } from './types.ts';
import { scanSpool } from './scan.ts';
import { readHeaderBlock } from './read-headers.ts';

/** Creating `dfID` with O_EXCL fails on a (never expected) ID collision; try a fresh ID. */
const ID_ATTEMPTS = 5;

export function createSpool(dir: string): Spool {
  const corrupt = createCorruptArea(dir);
  const dirSync = createDirSync(dir);
  /** IDs being written in this process: recovery must not take them for crash leftovers. */
  const writing = new Set<QueueId>();
  /** Per-ID chain so update/remove/moveToCorrupt of one entry never interleave (one tfID at a time). */
  const chains = new Map<QueueId, Promise<void>>();
  let ready: Promise<void> | null = null;

  const path = (prefix: 'df' | 'qf' | 'tf', id: QueueId) => join(dir, prefix + id);

  function ensureDir(): Promise<void> {
    ready ??= mkdir(dir, { recursive: true, mode: DIR_MODE }).then(
      // A newly made spool directory is itself a rename-like change of its parent:
      // make it durable before the first commit relies on it.
      async (made) => {
        if (made !== undefined) await createDirSync(dirname(dir))();
      },
      (err: unknown) => {
        ready = null; // let a later call retry (e.g. after the admin fixed permissions)
        throw err;
      },
    );
    return ready;
  }

  function serial<T>(id: QueueId, fn: () => Promise<T>): Promise<T> {
    const run = (chains.get(id) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    chains.set(id, tail);
    void tail.then(() => {
      if (chains.get(id) === tail) chains.delete(id);
    });
    return run;
  }

  function checkId(id: QueueId): void {
    // IDs become file names: refuse anything that could point outside the spool.
    if (!isQueueId(id)) throw new TypeError(`not a queue id: ${JSON.stringify(id)}`);
  }

  /** Write a control record durably: tf, fdatasync, rename to qf, directory fsync. */
  async function writeControl(entry: QueueEntry): Promise<void> {
    await writeSynced(path('tf', entry.id), encodeControl(entry));
    await rename(path('tf', entry.id), path('qf', entry.id));
    await dirSync();
  }

  async function unlinkQuietly(p: string): Promise<void> {
    try {
      await unlink(p);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  async function begin(): Promise<SpoolWriter> {
    await ensureDir();
    for (let attempt = 1; ; attempt++) {
      const id = newQueueId();
      try {
        const fh = await open(path('df', id), 'wx', FILE_MODE);
        return makeWriter(id, fh);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= ID_ATTEMPTS) throw err;
      }
    }
  }

  function makeWriter(id: QueueId, fh: FileHandle): SpoolWriter {
    writing.add(id);
    let bytes = 0;
    let state: 'open' | 'committing' | 'done' = 'open';
    /** Writes are chained so bytes land in call order even if a caller does not await. */
    let writes: Promise<void> = Promise.resolve();

    async function writeAll(chunk: Buffer): Promise<void> {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
      bytes += chunk.length;
    }

    async function discard(): Promise<void> {
      try {
        await fh.close();
      } catch {
        // already closed by a failed commit: nothing left to release
      }
      await Promise.allSettled([unlinkQuietly(path('df', id)), unlinkQuietly(path('tf', id)), unlinkQuietly(path('qf', id))]);
      writing.delete(id);
    }

    return {
      id,
      get bytesWritten() {
        return bytes;
      },
      write(chunk: Buffer): Promise<void> {
        if (state !== 'open') return Promise.reject(new Error(`spool writer ${id} is ${state === 'done' ? 'closed' : 'committing'}`));
        const p = writes.then(() => writeAll(chunk));
        writes = p.catch(() => undefined);
        return p;
      },
      async commit(partial: Omit<QueueEntry, 'id' | 'size'>): Promise<QueueEntry> {
        if (state !== 'open') throw new Error(`spool writer ${id} is ${state === 'done' ? 'closed' : 'already committing'}`);
        state = 'committing';
        try {
          await writes;
          // id first for people reading the file; the spool's id and size win over anything passed in.
          const entry: QueueEntry = Object.assign({ id }, partial, { id, size: bytes });
          // The data and the control record are synced in parallel; only the rename
          // must wait for both (a qf must never point at data that is not on disk).
          // allSettled: on failure neither sync may still be running when discard() closes the file.
          const synced = await Promise.allSettled([fh.datasync(), writeSynced(path('tf', id), encodeControl(entry))]);
          for (const r of synced) if (r.status === 'rejected') throw r.reason;
          await fh.close();
          await rename(path('tf', id), path('qf', id));
          await dirSync();
          state = 'done';
          writing.delete(id);
          return entry;
        } catch (err) {
          // Not acknowledged, so not kept: the client will retry and must not get a duplicate.
          state = 'done';
          await discard();
          throw err;
        }
      },
      async abort(): Promise<void> {
        if (state !== 'open') return;
        state = 'done';
        try {
          await writes;
        } catch {
          // a failed write is exactly why we are aborting
        }
        await discard();
      },
    };
  }

  const scanContext = {
    dir,
    inUse: (id: QueueId) => writing.has(id) || chains.has(id),
    readControl: (id: QueueId) => readControlNow(id),
    moveToCorrupt: (id: QueueId, reason: string) => corrupt.move(id, reason),
    dirSync: () => dirSync(),
  };

  /** At start: every committed entry; leftovers older than the grace period removed (scan.ts). */
  async function recover(opts?: ScanOptions): Promise<RecoveryReport> {
    await ensureDir();
    return scanSpool(scanContext, () => false, opts);
  }

  /** While running: entries committed by another process since, and leftovers that aged meanwhile. */
  async function sweep(known: (id: QueueId) => boolean, opts?: ScanOptions): Promise<RecoveryReport> {
    await ensureDir();
    return scanSpool(scanContext, known, opts);
  }

  /** The decoded control record of `id`, or null if it vanished (removed meanwhile). Synchronous: see inBatches. */
  function readControlNow(id: QueueId): Decoded | null {
    let text: string;
    try {
      text = readFileSync(path('qf', id), 'utf8');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    return decodeControl(text, id);
  }

  async function list(): Promise<QueueEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isMissing(err)) return []; // no spool yet: an empty queue, and we create nothing
      throw err;
    }
    const ids = names.filter((n) => n.startsWith('qf') && isQueueId(n.slice(2))).map((n) => n.slice(2)).sort();
    const read = await inBatches(ids, readControlNow);
    // Damaged records are left alone here (list never modifies); recover() moves them.
    return read.flatMap((d) => (d && d.ok ? [d.entry] : []));
  }

  return {
    dir,
    recover,
    sweep,
    begin,
    async update(entry: QueueEntry): Promise<void> {
      checkId(entry.id);
      await serial(entry.id, async () => {
        // Never resurrect a removed entry: a qf without its df would be corrupt.
        await access(path('qf', entry.id));
        await writeControl(entry);
      });
    },
    async remove(id: QueueId): Promise<void> {
      checkId(id);
      await serial(id, async () => {
        // qf first: without it the entry is gone even if we crash before the df goes.
        await unlinkQuietly(path('qf', id));
        await unlinkQuietly(path('df', id));
        await unlinkQuietly(path('tf', id));
        await dirSync();
      });
    },
    open(id: QueueId): Readable {
      checkId(id);
      return createReadStream(path('df', id));
    },
    async readHeaders(id: QueueId): Promise<string> {
      checkId(id);
      return readHeaderBlock(path('df', id));
    },
    list,
    async moveToCorrupt(id: QueueId, reason: string): Promise<CorruptEntry> {
      checkId(id);
      return serial(id, async () => {
        const moved = await corrupt.move(id, reason);
        await dirSync();
        return moved;
      });
    },
    listCorrupt: () => corrupt.list(),
    async freeBlocks(): Promise<number> {
      await ensureDir();
      const fs = await statfs(dir);
      // bavail: blocks available to an unprivileged process, which is what we are.
      return Math.floor((fs.bavail * fs.bsize) / 1024);
    },
  };
}
