// The in-memory queue index and the only path by which an entry changes. Every
// change is written durably through spool.update / spool.remove *before* the
// index and the event stream see it, and changes to one entry are serialised by
// a per-entry lock, so an admin action racing a delivery attempt can never undo
// the other's write. Never decides what should change — callers do.
import type { QueueEntry, QueueId } from '../contracts.ts';
import type { EngineEvent } from '../contracts.ts';
import type { Spool } from '../queue/types.ts';
import { Sharer } from './share.ts';

export type RemoveWhy = 'delivered' | 'deleted' | 'bounced';

/**
 * One table for every store of the process: values are immutable and equal is
 * equal, so two engines in one test process may as well share them too.
 */
const share = new Sharer();

/** An entry as the index keeps it (share.ts); spool.recover's `keep`, so recovery never holds two copies. */
export const indexable = (e: QueueEntry): QueueEntry => share.entry(e);

export class EntryStore {
  private readonly index = new Map<QueueId, QueueEntry>();
  private readonly locks = new Map<QueueId, Promise<unknown>>();

  constructor(private readonly spool: Spool, private readonly emit: (e: EngineEvent) => void) {}

  /**
   * Entries found by spool.recover() at start: indexed without events, as given —
   * recover({ keep: indexable }) made them in the index's form as it read them.
   */
  load(entries: QueueEntry[]): void {
    for (const e of entries) this.index.set(e.id, e);
  }

  /** A newly committed entry (cleanup's onQueued). Idempotent. */
  add(entry: QueueEntry): boolean {
    if (this.index.has(entry.id)) return false;
    const indexed = indexable(entry);
    this.index.set(entry.id, indexed);
    this.emit({ type: 'queue:added', entry: indexed });
    return true;
  }

  get(id: QueueId): QueueEntry | undefined { return this.index.get(id); }
  has(id: QueueId): boolean { return this.index.has(id); }
  values(): QueueEntry[] { return [...this.index.values()]; }
  /** The entries without a copy of the list: for a loop that neither awaits nor changes the index. */
  each(): IterableIterator<QueueEntry> { return this.index.values(); }
  get size(): number { return this.index.size; }

  /**
   * Run fn with this entry locked; fn sees the latest version (or undefined when it
   * is gone) and may call save()/drop() inside. Locks are per entry, so unrelated
   * messages never wait for each other.
   */
  async locked<T>(id: QueueId, fn: (entry: QueueEntry | undefined) => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(() => fn(this.index.get(id)), () => fn(this.index.get(id)));
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => { if (this.locks.get(id) === tail) this.locks.delete(id); });
    return run;
  }

  /**
   * Replace an entry in memory only, for bookkeeping that must be seen at once
   * (offline-time credit before a flush) and is persisted right after by save().
   */
  amend(id: QueueId, fn: (entry: QueueEntry) => QueueEntry): void {
    const e = this.index.get(id);
    if (e) this.index.set(id, indexable(fn(e)));
  }

  /** Durably replace an entry, then index it and tell subscribers. Call inside locked(). */
  async save(next: QueueEntry): Promise<QueueEntry> {
    try {
      await this.spool.update(next);
    } catch (err) {
      // Keep what happened in memory (e.g. "sent to bob", "next attempt in 10 min") so
      // the scheduler does not redo a finished delivery every second while the disk is
      // failing; the file catches up at the next successful write (at-least-once).
      // The reason says so: mailq and the UI show the error instead of a stale state.
      if (this.index.has(next.id)) {
        const shown = { ...next, reason: `queue file not updated: ${(err as Error).message}; ${next.reason ?? 'will retry'}` };
        this.index.set(next.id, shown);
        this.emit({ type: 'queue:changed', entry: shown });
      }
      throw err;
    }
    if (!this.index.has(next.id)) return next; // removed meanwhile by a crash-recovery path: do not resurrect
    const indexed = indexable(next);
    this.index.set(next.id, indexed);
    this.emit({ type: 'queue:changed', entry: indexed });
    return indexed;
  }

  /** Durably remove an entry. Call inside locked(). */
  async drop(id: QueueId, why: RemoveWhy): Promise<void> {
    // Only an admin's delete waits for the directory fsync: delivered or bounced mail
    // (its DSN already queued durably) that a crash brings back is sent again, at-least-once.
    await this.spool.remove(id, { sync: why === 'deleted' });
    if (this.index.delete(id)) this.emit({ type: 'queue:removed', id, why });
  }
}
