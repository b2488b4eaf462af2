// The spool's contract, agreed before its implementation: cleanup writes through
// it, qmgr updates and removes through it, `mailq` lists through it. Files, not a
// database (DESIGN.md): per message a data file and a control file (Sendmail's
// df/qf); the control file's rename into place is the commit point.
import type { Readable } from 'node:stream';
import type { QueueEntry, QueueId } from '../contracts.ts';
import type { CorruptEntry } from '../contracts.ts';

/** A message being received: bytes go in with write(); nothing is visible until commit(). */
export interface SpoolWriter {
  readonly id: QueueId;
  /** Append bytes of the message (already normalised to CRLF by cleanup). */
  write(chunk: Buffer): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
  /**
   * fsync the data, write the control file to a temporary name, fsync it, rename it
   * into place and fsync the directory. Resolves only when all of that is on disk:
   * this is what stands behind a `250`. Concurrent commits may share directory fsyncs.
   */
  commit(entry: Omit<QueueEntry, 'id' | 'size'>): Promise<QueueEntry>;
  /** Discard everything written (client vanished, message refused). Never throws. */
  abort(): Promise<void>;
}

export interface RecoveryReport {
  /** Every intact entry found, to be scheduled by qmgr. */
  entries: QueueEntry[];
  /** Half-written files (data without a committed control file) removed. */
  cleaned: number;
  /** Damaged entries moved to the corrupt area this time. */
  corrupt: CorruptEntry[];
  /**
   * Half-written files left alone because they are younger than the grace period:
   * another process (the `mailstop sendmail` fallback) may still be writing them.
   * A later sweep() looks at them again.
   */
  young?: number;
}

export interface ScanOptions {
  /** Epoch ms to age files against (tests); default Date.now(). File mtimes are wall-clock time. */
  now?: number;
  /** Orphan df/tf files younger than this are left for a later pass; default ORPHAN_GRACE_MS. */
  graceMs?: number;
  /**
   * What to keep of each entry as it is read (qmgr's index form, sharing what repeats):
   * applied at once, so 100 000 decoded records are never all alive beside their copies.
   */
  keep?: (entry: QueueEntry) => QueueEntry;
}

export interface Spool {
  /** The spool directory (printed by mailq's first line). */
  readonly dir: string;
  /** Scan the spool after a start or crash: clean temporaries, move damaged entries aside. */
  recover(opts?: ScanOptions): Promise<RecoveryReport>;
  /**
   * The same scan while running: committed entries that `known` does not have yet
   * (written by another process, e.g. the `mailstop sendmail` fallback), and
   * orphans that have outlived the grace period. Known entries are not read.
   */
  sweep(known: (id: QueueId) => boolean, opts?: ScanOptions): Promise<RecoveryReport>;
  begin(): Promise<SpoolWriter>;
  /** Durably replace an entry's control record (write temp, fsync, rename, fsync dir). */
  update(entry: QueueEntry): Promise<void>;
  /**
   * Remove the files of a finished or deleted entry. Missing files are not an error.
   * `sync: false` skips the directory fsync (delivered mail: a crash may bring it back, at-least-once).
   */
  remove(id: QueueId, opts?: { sync?: boolean }): Promise<void>;
  /** A fresh stream over the stored message. */
  open(id: QueueId): Readable;
  /** The stored message in one buffer when it is stored inline (one open, one read); null otherwise. Throws when the entry is gone. */
  readInline(id: QueueId): Buffer | null;
  /** The stored header block (up to the first empty line), as text. */
  readHeaders(id: QueueId): Promise<string>;
  /** Read every control record without recovering (used by `mailq` when the engine is down). */
  list(): Promise<QueueEntry[]>;
  /** The same entries handed over one by one as they are read (mailq keeps only their lines); resolves to their count. */
  listEach(each: (entry: QueueEntry) => void): Promise<number>;
  /** Move an entry's files to the corrupt area with a reason; kept, never deleted. */
  moveToCorrupt(id: QueueId, reason: string): Promise<CorruptEntry>;
  listCorrupt(): Promise<CorruptEntry[]>;
  /** Free space of the spool's filesystem, in 1 KiB blocks (for smtp.minFreeBlocks). */
  freeBlocks(): Promise<number>;
}
