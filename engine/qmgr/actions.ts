// What a person does to queued mail through EngineApi: hold, release, delete,
// bounce now, requeue, move to a queue group (Postfix postsuper -h/-H/-d/-r,
// Sendmail qtool). Each action selects with a QueueSelector and changes entries
// through the store under their locks. Never delivers: the caller decides
// whether a released or requeued message should be tried at once.
import type { ActionResult, QueueSelector } from '../contracts.ts';
import type { QueueEntry, QueueId, RecipientState } from '../contracts.ts';
import { notify } from './notify.ts';
import { missingIds, select } from './select.ts';
import type { EntryStore } from './store.ts';
import type { QmgrDeps } from './types.ts';

type Change = (entry: QueueEntry) => QueueEntry | null;

export const HELD_REASON = 'Held by the mail administrator';
export const RETURNED_REPLY = 'Message returned to sender by the mail administrator';
/** A queue group name: it appears in mailq, file names and cron settings. */
export const GROUP_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

async function each(store: EntryStore, sel: QueueSelector, fn: (id: QueueId) => Promise<boolean>): Promise<ActionResult> {
  return eachOf(store, sel, select(store.values(), sel).map((e) => e.id), fn);
}

/** Act on exactly `ids` (chosen by the caller); `sel` only says which named ids are missing. */
async function eachOf(store: EntryStore, sel: QueueSelector, ids: QueueId[], fn: (id: QueueId) => Promise<boolean>): Promise<ActionResult> {
  // Missing means "not in the queue when asked", not "gone after we acted".
  const missing = missingIds(sel, (id) => store.has(id));
  const changed: QueueId[] = [];
  for (const id of ids) {
    if (await fn(id)) changed.push(id);
  }
  return { changed, missing };
}

/** Apply a pure change to every selected entry; null = nothing to do for that one. */
function change(store: EntryStore, sel: QueueSelector, fn: Change): Promise<ActionResult> {
  return each(store, sel, (id) => store.locked(id, async (entry) => {
    if (!entry) return false;
    const next = fn(entry);
    if (!next) return false;
    await store.save(next);
    return true;
  }));
}

export function hold(store: EntryStore, sel: QueueSelector): Promise<ActionResult> {
  return change(store, sel, (e) => (e.state === 'hold' && e.heldBy === 'admin'
    ? null
    : { ...e, state: 'hold', heldBy: 'admin', reason: HELD_REASON }));
}

export function release(store: EntryStore, sel: QueueSelector, now: number): Promise<ActionResult> {
  return change(store, sel, (e) => {
    if (e.state !== 'hold') return null;
    // Released mail is due at once (postsuper -H): the person wants it out.
    const { heldBy: _h, ...rest } = e;
    return { ...rest, state: e.attempts > 0 ? 'deferred' : 'active', nextAttempt: now, reason: e.attempts > 0 ? 'Deferred: released, waiting for delivery' : undefined };
  });
}

/** postsuper -r: forget the backoff and try again as if new. Held mail stays held. */
export function requeue(store: EntryStore, sel: QueueSelector): Promise<ActionResult> {
  return change(store, sel, (e) => ({ ...e, attempts: 0, nextAttempt: 0, state: e.state === 'hold' ? 'hold' : 'active' }));
}

export function moveToGroup(store: EntryStore, sel: QueueSelector, group: string): Promise<ActionResult> {
  if (!GROUP_RE.test(group)) throw new Error(`not a queue group name: "${group}" (lower-case letters, digits, - and _)`);
  return change(store, sel, (e) => (e.group === group ? null : { ...e, group }));
}

/**
 * Delete without notice (postsuper -d). Acts on exactly `ids`, never re-selecting:
 * the caller chose them and waited for their deliveries (Qmgr.exclusive), and a
 * fresh selection could name a message that is being delivered right now.
 */
export function remove(deps: QmgrDeps, store: EntryStore, sel: QueueSelector, ids: QueueId[]): Promise<ActionResult> {
  return eachOf(store, sel, ids, (id) => store.locked(id, async (entry) => {
    if (!entry) return false;
    await store.drop(id, 'deleted');
    deps.log.info(id, 'removed from the queue by the mail administrator');
    return true;
  }));
}

/** Return to sender now with a DSN for every pending recipient, then remove. Exactly `ids`, like remove(). */
export function bounceNow(deps: QmgrDeps, store: EntryStore, sel: QueueSelector, ids: QueueId[]): Promise<ActionResult> {
  return eachOf(store, sel, ids, (id) => store.locked(id, async (entry) => {
    if (!entry) return false;
    const recipients: RecipientState[] = entry.recipients.map((r) => (r.status === 'pending'
      ? { ...r, status: 'bounced', lastReply: RETURNED_REPLY, dsnStatus: '5.0.0' }
      : r));
    const pending = recipients.filter((_r, i) => entry.recipients[i].status === 'pending');
    const returned = { ...entry, recipients };
    // Report first: if that fails, the message stays queued and the error reaches the caller.
    await notify(deps, returned, pending, 'failure');
    await store.drop(id, 'bounced');
    deps.log.info(id, `returned to sender by the mail administrator (${pending.length} recipient(s))`);
    return true;
  }));
}
