// Queue lifetime rules (issue 2 §5, issue 3 §3): after delivery.queueWarn a
// delay warning goes to the sender once; after delivery.queueReturn what is
// still pending is returned with status 4.4.7 (RFC 3463 §3.5, "delivery time
// expired"). Age excludes time spent offline. Pure decisions plus the one
// warning action; returning happens in commit.ts after a last attempt.
import { durationMs, type Settings } from '../config/schema.ts';
import { humanDuration } from '../bounce/encode.ts';
import type { QueueEntry, QueueId } from '../contracts.ts';
import { effectiveAge, hasPending } from './schedule.ts';
import { notify } from './notify.ts';
import type { EntryStore } from './store.ts';
import type { QmgrDeps } from './types.ts';

export const EXPIRED_STATUS = '4.4.7';

export function isExpired(entry: QueueEntry, now: number, d: Settings['delivery'], offlineSince: number | null = null): boolean {
  return effectiveAge(entry, now, offlineSince) >= durationMs(d.queueReturn);
}

export function needsWarning(entry: QueueEntry, now: number, d: Settings['delivery'], offlineSince: number | null = null): boolean {
  return !entry.warned && hasPending(entry) && effectiveAge(entry, now, offlineSince) >= durationMs(d.queueWarn);
}

/** Sendmail's wording: "Message could not be delivered for 5 days". */
export function expiredText(d: Settings['delivery']): string {
  return `Message could not be delivered for ${humanDuration(durationMs(d.queueReturn))}`;
}

/** Send the one delay warning (if still due) and remember it durably. */
export async function warnIfDue(deps: QmgrDeps, store: EntryStore, id: QueueId): Promise<boolean> {
  return store.locked(id, async (entry) => {
    const now = deps.clock.now();
    const d = deps.settings().delivery;
    if (!entry || !needsWarning(entry, now, d, deps.offlineSince?.() ?? null)) return false;
    await notify(deps, entry, entry.recipients.filter((r) => r.status === 'pending'), 'delay');
    await store.save({ ...entry, warned: true });
    return true;
  });
}
