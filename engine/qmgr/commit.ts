// Folds one attempt's per-recipient outcomes into the queue entry, durably:
// sent/bounced recipients are settled, bounces reported (before the entry is
// touched, so a crash repeats a report rather than losing one), expiry and the
// delay warning applied, the slow-queue rule checked, and the entry removed
// when nothing is pending. Everything under the entry's lock.
import { durationMs, type Settings } from '../config/schema.ts';
import type { QueueEntry, QueueId, RecipientState } from '../contracts.ts';
import type { AttemptReport } from './deliver.ts';
import { EXPIRED_STATUS, expiredText, isExpired, needsWarning } from './expiry.ts';
import { notify } from './notify.ts';
import { backoffMs, effectiveAge } from './schedule.ts';
import type { EntryStore } from './store.ts';
import type { AttemptOutcome, QmgrDeps } from './types.ts';

/** The mailq status line for a message that waits: "Deferred: Connection refused by 127.0.0.1". */
export function deferredReason(reply: string | undefined): string {
  const r = (reply ?? 'delivery deferred').replace(/\s+/g, ' ').trim();
  return /^deferred\b/i.test(r) ? r : `Deferred: ${r}`;
}

/** Slow queue rule (issue 3 §5): after N failed attempts or age T, move to 'slow'. */
export function slowQueueDue(entry: QueueEntry, now: number, d: Settings['delivery']): boolean {
  const s = d.slowQueue;
  if (!s.enabled || entry.group !== 'default') return false;
  return entry.attempts >= s.afterAttempts || now - entry.arrivalTime >= durationMs(s.afterAge);
}

export async function commitAttempt(deps: QmgrDeps, store: EntryStore, id: QueueId, report: AttemptReport): Promise<AttemptOutcome> {
  return store.locked(id, async (latest) => {
    if (!latest) return 'skipped'; // deleted by an admin while we were delivering
    const now = deps.clock.now();
    const d = deps.settings().delivery;
    const offline = deps.offlineSince?.() ?? null;
    const recipients: RecipientState[] = latest.recipients.map((r) => ({ ...r }));
    const bounced: RecipientState[] = [];
    let sent = 0;
    for (const o of report.outcomes) {
      const r = recipients[o.index];
      if (!r || r.status !== 'pending') continue;
      r.lastReply = o.reply;
      r.dsnStatus = o.dsnStatus;
      r.remoteMta = o.remoteMta;
      if (o.status === 'sent') { r.status = 'sent'; sent++; }
      if (o.status === 'bounced') { r.status = 'bounced'; bounced.push(r); }
    }
    const next: QueueEntry = {
      ...latest, recipients, attempts: latest.attempts + 1, lastAttempt: now,
      transcript: report.transcript.length > 0 ? report.transcript : latest.transcript,
    };
    let pending = recipients.filter((r) => r.status === 'pending');

    // Past queueReturn: this was the last attempt (Postfix gives one too). Return the rest.
    if (pending.length > 0 && isExpired(next, now, d, offline)) {
      for (const r of pending) {
        r.status = 'bounced';
        r.lastReply = r.lastReply ? `${expiredText(d)}; last reply: ${r.lastReply}` : expiredText(d);
        r.dsnStatus = EXPIRED_STATUS;
        bounced.push(r);
      }
      deps.log.info(id, `${expiredText(d)}: returned to sender`);
      pending = [];
    }

    if (bounced.length > 0) {
      try {
        await notify(deps, next, bounced, 'failure');
      } catch (err) {
        // Could not queue the report: keep those recipients pending and try it all
        // again later. Reporting twice beats never reporting (DESIGN.md "Promises").
        for (const r of bounced) r.status = 'pending';
        return saveDeferred(deps, store, next, `cannot queue a delivery status notification: ${(err as Error).message}`, now);
      }
    }

    if (pending.length === 0) {
      try {
        await store.drop(id, recipients.some((r) => r.status === 'sent') ? 'delivered' : 'bounced');
      } catch (err) {
        // Settled in memory, so the next try only removes the files and never re-sends.
        store.amend(id, () => ({ ...next, nextAttempt: now + backoffMs(next.attempts, d) }));
        throw err;
      }
      return bounced.length > 0 && sent === 0 ? 'bounced' : 'sent';
    }

    if (needsWarning(next, now, d, offline)) {
      try {
        await notify(deps, next, pending, 'delay');
        next.warned = true;
      } catch (err) {
        deps.log.info(id, `delay warning not queued, will try again: ${(err as Error).message}`);
      }
    }
    if (slowQueueDue(next, now, d)) {
      next.group = 'slow';
      deps.log.info(id, `moved to queue group slow after ${next.attempts} attempts, age ${Math.round(effectiveAge(next, now) / 60e3)} min`);
    }
    return saveDeferred(deps, store, next, pending[0].lastReply, now);
  });
}

async function saveDeferred(deps: QmgrDeps, store: EntryStore, next: QueueEntry, reply: string | undefined, now: number): Promise<AttemptOutcome> {
  const d = deps.settings().delivery;
  // An admin's hold outlives an attempt (flush by id of held mail); a hold by the
  // delivery mode ends with the attempt that mode allowed.
  const adminHold = next.state === 'hold' && next.heldBy !== 'mode';
  next.state = adminHold ? 'hold' : 'deferred';
  if (!adminHold) delete next.heldBy;
  next.nextAttempt = now + backoffMs(next.attempts, d);
  next.reason = deferredReason(reply);
  await store.save(next);
  return 'deferred';
}
