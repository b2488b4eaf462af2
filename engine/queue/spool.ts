// The durable spool: per message a control file `qfID` and a data file `dfID`,
// as Sendmail keeps them. Two layouts (control-file.ts), both read:
//  - inline (version 2, messages up to INLINE_MAX): qf holds the record and then
//    the message; there is no df (entries written before 2026-12 have an empty one).
//  - split (version 1, larger messages and every entry written before inline
//    existed): df holds the message, qf the record alone.
//
// Owns: every byte under the spool directory. Never: deciding what a message's
// state should be (qmgr does), never deletes a damaged entry (it goes to corrupt/).
//
// Durability (STYLE.md §5, Postfix mail_stream.c): the control record goes to
// `tfID` (inline: with the message), is fdatasynced and renamed to `qfID` (split:
// the df is fdatasynced in parallel first); then the directory is fsynced. The
// rename is the commit point: after a crash an entry either has its qf (and its
// complete message) or it never existed. `commit` resolves only after the
// directory fsync — that is what stands behind an SMTP `250`. Inline needs one
// fdatasync per message instead of two (Postfix too keeps envelope and content in
// one queue file). Directory fsyncs of concurrent commits are shared (dir-sync.ts).
// Half-written files are removed by scans (scan.ts) only after a grace period:
// another process (the `mailstop sendmail` fallback) may still be writing them.
import { closeSync, createReadStream, fdatasync, fstatSync, open as fsOpen, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import type { CorruptEntry } from '../contracts.ts';
import type { QueueEntry, QueueId } from '../contracts.ts';
import { decodeControl, encodeControl, encodeInlineHead } from './control-file.ts';
import { createCorruptArea } from './corrupt.ts';
import { createDirSync } from './dir-sync.ts';
import { DIR_MODE, FILE_MODE, inBatches, isMissing, unlinkQuietly, writeFileSynced, writeSynced, writevAll, writevAllSync } from './fs-util.ts';
import { readHead, readHeadFd, readRecord } from './head.ts';
import { isQueueId, newQueueId } from './queue-id.ts';
import type { RecoveryReport, ScanOptions, Spool, SpoolWriter } from './types.ts';
import { scanSpool, type ScannedControl } from './scan.ts';
import { readHeaderBlockFd } from './read-headers.ts';

/**
 * Messages up to this size are stored inline (control file version 2: record and
 * message in one file, one fdatasync); larger ones stream to a df as they arrive.
 * 64 KiB: most mail is smaller, and it bounds what a session holds in memory and
 * what update() copies when it rewrites an inline entry's record.
 */
export const INLINE_MAX = 64 * 1024;

/** What list() reads of each control file at first: a record with a few recipients fits. */
const LIST_READ = 4096;

/**
 * How long a free-space answer is reused: 1 s. In a second the spool grows by at
 * most what the disk can sync in that time (a few MB at the accept rates we see),
 * far inside smtp.minFreeBlocks, which is a margin (Sendmail's MinFreeBlocks), not
 * an exact limit.
 */
const FREE_SPACE_TTL_MS = 1000;

export function createSpool(dir: string): Spool {
  const corrupt = createCorruptArea(dir);
  const dirSync = createDirSync(dir);
  /** IDs being written in this process: recovery must not take them for crash leftovers. */
  const writing = new Set<QueueId>();
  /**
   * Entries this process committed inline: they have a qf and nothing else, so their
   * removal is one unlink. Any other entry (found at start, split, written by the CLI)
   * may have a df too.
   */
  const qfOnly = new Set<QueueId>();
  /** Per-ID chain so update/remove/moveToCorrupt of one entry never interleave (one tfID at a time). */
  const chains = new Map<QueueId, Promise<void>>();
  let ready: Promise<void> | null = null;
  /** The last free-space answer (freeBlocks). */
  let free: { at: number; blocks: Promise<number> } | null = null;
  /**
   * Bytes this process wrote to the spool since that answer: subtracted from it, so
   * a burst of writes inside FREE_SPACE_TTL_MS cannot run past the margin unseen.
   */
  let writtenSince = 0;
  const charge = (n: number) => { writtenSince += n; };

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

  /**
   * Write `bufs` to tfID durably. On failure (a full disk: ENOSPC part-way) the
   * temporary is removed at once, so no empty or torn tf outlives its writer and
   * the qf beside it — the entry as it was — stays the truth.
   */
  async function writeTemp(id: QueueId, bufs: Buffer[]): Promise<void> {
    try {
      charge(bufs.reduce((n, b) => n + b.length, 0));
      await writeFileSynced(path('tf', id), bufs);
    } catch (err) {
      await unlinkQuietly(path('tf', id)).catch(() => undefined);
      throw err;
    }
  }

  /** Write a control record durably: tf, fdatasync, rename to qf, directory fsync. */
  async function writeControl(entry: QueueEntry): Promise<void> {
    await writeTemp(entry.id, [Buffer.from(encodeControl(entry))]);
    await rename(path('tf', entry.id), path('qf', entry.id));
    await dirSync();
  }

  async function begin(): Promise<SpoolWriter> {
    await ensureDir();
    // No file yet: a small message is written once, at commit (commitInline); a large
    // one creates its df when it outgrows INLINE_MAX. Both are created with O_EXCL:
    // two writers racing on one ID fail one message (451, the client retries) rather
    // than mixing two (queue-id.ts says why IDs do not collide in the first place).
    // Creating a reservation file per message used to cost a create and an unlink
    // in the spool directory, each waiting for its lock behind the journal commits
    // of everyone's fdatasyncs.
    return makeWriter(newQueueId());
  }

  function makeWriter(id: QueueId): SpoolWriter {
    writing.add(id);
    let bytes = 0;
    let state: 'open' | 'committing' | 'done' = 'open';
    /** The message while it is at most INLINE_MAX octets: kept here, written at commit. */
    let held: Buffer[] = [];
    /** dfID open for writing, once the message outgrew INLINE_MAX (then the entry is stored in version-1 form). */
    let fh: FileHandle | null = null;
    /** Writes are chained so bytes land in call order even if a caller does not await. */
    let writes: Promise<void> = Promise.resolve();

    async function writeAll(chunk: Buffer): Promise<void> {
      if (fh) {
        charge(chunk.length);
        await writevAll(fh, [chunk]);
      } else if (bytes + chunk.length <= INLINE_MAX) {
        // A copy: the caller may reuse its buffer once write() resolved.
        held.push(Buffer.from(chunk));
      } else {
        charge(bytes + chunk.length);
        const df = await open(path('df', id), 'ax', FILE_MODE); // O_EXCL: see begin()
        created.df = true;
        try {
          await writevAll(df, [...held, chunk]);
        } catch (err) {
          await df.close().catch(() => undefined);
          throw err;
        }
        fh = df;
        held = [];
      }
      bytes += chunk.length;
    }

    /** What this writer created: only those files are its to remove (another writer may own a colliding ID's). */
    const created = { df: false, tf: false, qf: false };

    async function discard(): Promise<void> {
      held = [];
      try {
        await fh?.close();
      } catch {
        // already closed by a failed commit: nothing left to release
      }
      const mine = (['df', 'tf', 'qf'] as const).filter((k) => created[k]);
      await Promise.allSettled(mine.map((k) => unlinkQuietly(path(k, id))));
      writing.delete(id);
      // What it wrote was charged to the free-space answer and is gone again: ask the
      // file system afresh (rare; removals of delivered mail only make the answer
      // conservative for a second, so they do not pay a statfs each).
      free = null;
    }

    /**
     * Version 2: record and message in tfID, one fdatasync, renamed to qfID.
     * Writing and closing a small file are page-cache work done synchronously. The
     * create and the rename go through libuv's pool (UV_THREADPOOL_SIZE=16, set by
     * bin/): both take the spool directory's lock, which waits behind the journal
     * commits that everyone's fdatasyncs force; done synchronously they held the one
     * JavaScript thread for half a millisecond per message under load.
     */
    async function commitInline(entry: QueueEntry): Promise<void> {
      const head = Buffer.from(encodeInlineHead(entry));
      charge(head.length + bytes);
      const fd = await new Promise<number>((resolve, reject) =>
        fsOpen(path('tf', id), 'wx', FILE_MODE, (err, d) => (err ? reject(err) : resolve(d))));
      created.tf = true;
      try {
        writevAllSync(fd, [head, ...held]);
        held = [];
        await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
      } finally {
        closeSync(fd);
      }
      await rename(path('tf', id), path('qf', id));
      created.qf = true;
    }

    /** Version 1: the data in dfID and the record in tfID, synced in parallel. */
    async function commitSplit(entry: QueueEntry, df: FileHandle): Promise<void> {
      // Only the rename must wait for both (a qf must never point at data that is not on disk).
      // allSettled: on failure neither sync may still be running when discard() closes the file.
      const record = encodeControl(entry);
      charge(record.length);
      created.tf = true;
      const synced = await Promise.allSettled([df.datasync(), writeSynced(path('tf', id), record)]);
      for (const r of synced) if (r.status === 'rejected') throw r.reason;
      await df.close();
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
          const entry: QueueEntry = Object.assign({ id }, partial, { id, size: bytes + Buffer.byteLength(partial.prepend ?? '') });
          // The rename of tf to qf is the commit point; the directory fsync makes it durable.
          if (fh) {
            await commitSplit(entry, fh);
            await rename(path('tf', id), path('qf', id));
            created.qf = true;
          } else {
            await commitInline(entry);
            qfOnly.add(id);
          }
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

  /**
   * The decoded control record of `id`, or null if it vanished (removed meanwhile).
   * Reads only the head of the file (an inline message follows it). Synchronous: see inBatches.
   */
  function readControlNow(id: QueueId): ScannedControl | null {
    const head = readHead(path('qf', id));
    if (!head) return null;
    const decoded = decodeControl(head.text, id);
    if (!decoded.ok || !decoded.inline) return decoded;
    return { ...decoded, inlineBytes: head.fileSize - head.dataOffset };
  }

  /**
   * The stored message of `id` as an open descriptor and the offset where it starts:
   * the qf itself for version 2, else the df. One descriptor, so an update() renaming
   * a rewritten qf into place meanwhile cannot shift the offset under the reader.
   */
  function openMessage(id: QueueId): { fd: number; start: number; prepend: string } {
    const fd = openSync(path('qf', id), 'r');
    let keep = false;
    let prepend = '';
    try {
      const head = readHeadFd(fd);
      const decoded = decodeControl(head.text, id);
      // Header fields cleanup decided after the message was written (QueueEntry.prepend) go on top.
      if (decoded.ok && typeof decoded.entry.prepend === 'string') prepend = decoded.entry.prepend;
      if (decoded.ok && decoded.inline) {
        keep = true;
        return { fd, start: head.dataOffset, prepend };
      }
    } finally {
      if (!keep) closeSync(fd);
    }
    return { fd: openSync(path('df', id), 'r'), start: 0, prepend };
  }

  /**
   * Every committed entry, in ID order, handed to `each` as it is read: a caller
   * that keeps only what it needs of each (mailq: its lines) lets the decoded
   * records go at once instead of holding them all. Returns how many there were.
   */
  async function listEach(each: (entry: QueueEntry) => void): Promise<number> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isMissing(err)) return 0; // no spool yet: an empty queue, and we create nothing
      throw err;
    }
    const ids = names.filter((n) => n.startsWith('qf') && isQueueId(n.slice(2))).map((n) => n.slice(2)).sort();
    // Only the record is needed (not the inline message's length, as a scan checks).
    const scratch = Buffer.allocUnsafe(LIST_READ);
    const qfPrefix = join(dir, 'qf'); // joined once: path.join per file is a tenth of a 10 000-entry listing
    let count = 0;
    await inBatches(ids, (id) => {
      const text = readRecord(qfPrefix + id, scratch);
      const d = text === null ? null : decodeControl(text, id);
      // Damaged records are left alone here (listing never modifies); recover() moves them.
      if (d?.ok) {
        count++;
        each(d.entry);
      }
    });
    return count;
  }

  async function list(): Promise<QueueEntry[]> {
    const entries: QueueEntry[] = [];
    await listEach((e) => entries.push(e));
    return entries;
  }

  return {
    dir,
    recover,
    sweep,
    begin,
    async update(entry: QueueEntry): Promise<void> {
      checkId(entry.id);
      await serial(entry.id, async () => {
        // Reading the current qf also refuses to resurrect a removed entry (ENOENT).
        const current = await readFile(path('qf', entry.id));
        const nl = current.indexOf(0x0a);
        const head = decodeControl(current.toString('utf8', 0, nl < 0 ? current.length : nl), entry.id);
        if (head.ok && head.inline) {
          // Version 2: the message moves along into the new file (at most INLINE_MAX octets).
          await writeTemp(entry.id, [Buffer.from(encodeInlineHead(entry)), current.subarray(nl + 1)]);
          await rename(path('tf', entry.id), path('qf', entry.id));
          await dirSync();
        } else {
          await writeControl(entry);
        }
      });
    },
    async remove(id: QueueId, opts: { sync?: boolean } = {}): Promise<void> {
      checkId(id);
      await serial(id, async () => {
        // qf first: without it the entry is gone even if we crash before the df goes.
        await unlinkQuietly(path('qf', id));
        if (!qfOnly.delete(id)) await unlinkQuietly(path('df', id));
        // No tf to remove: update() removes its own when it fails, a crash's is reaped by scans.
        // Delivered mail is not worth a directory fsync of its own (Postfix does none either):
        // should a crash undo the unlink, the entry is found again and sent once more
        // (at-least-once); the next commit's fsync makes it durable anyway.
        if (opts.sync !== false) await dirSync();
      });
    },
    open(id: QueueId): Readable {
      checkId(id);
      let at: { fd: number; start: number; prepend: string };
      try {
        at = openMessage(id);
      } catch (err) {
        // As before the inline format: a missing entry is an 'error' on the stream, not a throw.
        const failed = new PassThrough();
        process.nextTick(() => failed.destroy(err as Error));
        return failed;
      }
      const stored = createReadStream('', { fd: at.fd, start: at.start });
      if (!at.prepend) return stored;
      const out = new PassThrough();
      out.write(at.prepend);
      // pipeline: a reader that stops early (headers only) also closes the file.
      pipeline(stored, out, () => undefined);
      return out;
    },
    readInline(id: QueueId): Buffer | null {
      checkId(id);
      const fd = openSync(path('qf', id), 'r');
      try {
        const size = fstatSync(fd).size;
        // Record (a few hundred octets, more with many recipients) plus at most INLINE_MAX:
        // anything bigger is a split entry, or one with a record so big a stream is better.
        if (size > 2 * INLINE_MAX) return null;
        const buf = Buffer.allocUnsafe(size);
        let len = 0;
        while (len < size) {
          const n = readSync(fd, buf, len, size - len, len);
          if (n === 0) break;
          len += n;
        }
        const nl = buf.indexOf(0x0a);
        if (nl < 0 || nl >= len) return null;
        const decoded = decodeControl(buf.toString('utf8', 0, nl), id);
        if (!decoded.ok || !decoded.inline) return null;
        const data = buf.subarray(nl + 1, len);
        const prepend = typeof decoded.entry.prepend === 'string' ? decoded.entry.prepend : '';
        return prepend ? Buffer.concat([Buffer.from(prepend, 'utf8'), data]) : data; // as open() writes it
      } finally {
        closeSync(fd);
      }
    },
    async readHeaders(id: QueueId): Promise<string> {
      checkId(id);
      const at = openMessage(id);
      try {
        return at.prepend + readHeaderBlockFd(at.fd, at.start);
      } finally {
        closeSync(at.fd);
      }
    },
    list,
    listEach,
    async moveToCorrupt(id: QueueId, reason: string): Promise<CorruptEntry> {
      checkId(id);
      return serial(id, async () => {
        const moved = await corrupt.move(id, reason);
        await dirSync();
        return moved;
      });
    },
    listCorrupt: () => corrupt.list(),
    freeBlocks(): Promise<number> {
      // Asked on every MAIL FROM: under load a statfs per message is one more
      // thread-pool round trip queued behind fdatasyncs. Concurrent and quick
      // successive callers share one answer for FREE_SPACE_TTL_MS.
      const t = Date.now();
      const since = () => Math.ceil(writtenSince / 1024);
      if (free && t - free.at < FREE_SPACE_TTL_MS) return free.blocks.then((b) => Math.max(0, b - since()));
      writtenSince = 0;
      const blocks = (async () => {
        await ensureDir();
        const fs = await statfs(dir);
        // bavail: blocks available to an unprivileged process (root may dig into the
        // reserve, but the margin is about leaving room for everyone else too).
        return Math.floor((fs.bavail * fs.bsize) / 1024);
      })();
      free = { at: t, blocks };
      blocks.catch(() => {
        if (free?.blocks === blocks) free = null; // a failure is not remembered
      });
      return blocks;
    },
  };
}
