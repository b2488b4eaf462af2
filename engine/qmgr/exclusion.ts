// Keeps admin actions and delivery attempts of one message apart: an action on a
// message waits for the attempt delivering it, and no attempt starts while an
// action works on it. Without this, "bounce now" during a delivery could both
// deliver and bounce a message, and "delete" could remove one that is going out.
// Owns only who waits for whom; never changes an entry (the store does, under
// its per-entry lock, which serialises writes but not a whole SMTP transaction).
import type { QueueId } from '../contracts.ts';

export class Exclusion {
  /** Entries an action is working on (count: actions may overlap). */
  private readonly acting = new Map<QueueId, number>();
  /** Attempts past their start checks, i.e. really delivering. */
  private readonly delivering = new Map<QueueId, Promise<unknown>>();

  /** May an attempt start on this entry now? */
  free(id: QueueId): boolean { return !this.acting.has(id); }

  /** Run one attempt's delivery, visible to actions that must wait for it. */
  async delivery<T>(id: QueueId, fn: () => Promise<T>): Promise<T> {
    const run = fn();
    this.delivering.set(id, run);
    try {
      return await run;
    } finally {
      this.delivering.delete(id);
    }
  }

  /** Run an action once no attempt is delivering `ids`, and let none start until it is done. */
  async action<T>(ids: QueueId[], fn: () => Promise<T>): Promise<T> {
    for (const id of ids) this.acting.set(id, (this.acting.get(id) ?? 0) + 1);
    try {
      await Promise.allSettled(ids.flatMap((id) => this.delivering.get(id) ?? []));
      return await fn();
    } finally {
      for (const id of ids) {
        const n = (this.acting.get(id) ?? 1) - 1;
        if (n > 0) this.acting.set(id, n);
        else this.acting.delete(id);
      }
    }
  }
}
