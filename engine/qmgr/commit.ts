// Folds one attempt's per-destination outcomes into the queue entry, durably:
// settled destinations are remembered per recipient (RecipientState.done) and a
// recipient is settled once all of its destinations are; bounces are reported
// per destination (before the entry is touched, so a crash repeats a report
// rather than losing one), success reports (NOTIFY=SUCCESS) sent for what was
// delivered here or relayed to a next hop without DSN, expiry and the delay warning applied, the slow-queue
// rule checked, and the entry removed when nothing is pending. Everything under
// the entry's lock.
import { durationMs, type Settings } from '../config/schema.ts';
import type { QueueEntry, QueueId, RecipientState } from '../contracts.ts';
import type { ReportedRecipient } from '../bounce/dsn.ts';
import type { AttemptReport, DestinationOutcome, RecipientOutcome } from './deliver.ts';
import { EXPIRED_STATUS, expiredText, isExpired, needsWarning } from './expiry.ts';
import { notify } from './notify.ts';
import { backoffMs, effectiveAge } from './schedule.ts';
import type { EntryStore } from './store.ts';
import type { AttemptOutcome, QmgrDeps } from './types.ts';

/** The mailq status line for a message that waits: "Deferred: Connection refused by 127.0.0.1". */
export function deferredReason(reply: string | undefined): string {
  const r = (reply ?? 'delivery deferred').replace(/\s+/g, ' ').trim();
  return /^(deferred|waiting)\b/i.test(r) ? r : `Deferred: ${r}`;
}

/** What mail for other hosts shows while the online gate is closed (issue 10 §1). */
export const WAITING_OFFLINE = 'waiting: offline';
/** What mail for other hosts shows in queueonly / deferred mode until a queue run or Flush. */
export const WAITING_QUEUE_RUN = 'Deferred: waiting for a queue run';

/** Slow queue rule (issue 3 §5): after N failed attempts or age T, move to 'slow'. */
export function slowQueueDue(entry: QueueEntry, now: number, d: Settings['delivery']): boolean {
  const s = d.slowQueue;
  if (!s.enabled || entry.group !== 'default') return false;
  return entry.attempts >= s.afterAttempts || now - entry.arrivalTime >= durationMs(s.afterAge);
}

/** RFC 3461 §4.2 xtext: '+', '=' and anything outside printable ASCII as +HH. */
function xtext(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'), (b) => (b < 0x21 || b > 0x7e || b === 0x2b || b === 0x3d
    ? `+${b.toString(16).toUpperCase().padStart(2, '0')}`
    : String.fromCharCode(b))).join('');
}

/**
 * Who a DSN about one destination names: the recipient itself when the
 * destination is its own address, else the final address with the original as
 * ORCPT (RFC 3461 §4.2), so the sender sees which of their recipients it was.
 */
export function reportedRecipient(r: RecipientState, p: DestinationOutcome): RecipientState {
  const base = { status: 'bounced' as const, lastReply: p.reply, dsnStatus: p.dsnStatus, ...(p.remoteMta ? { remoteMta: p.remoteMta } : {}) };
  const { done: _done, ...own } = r;
  if (p.address.toLowerCase() === r.address.toLowerCase()) return { ...own, ...base };
  return {
    address: p.address, orcpt: r.orcpt ?? `rfc822;${xtext(r.address)}`,
    ...(r.notify ? { notify: r.notify } : {}), ...base,
  };
}

/**
 * A success report line for a destination delivered in this attempt, or null when
 * none is ours to send: handed to a DSN-aware next hop (it got the NOTIFY and reports
 * itself, RFC 3461 §6.2.6.1), or discarded (nothing was delivered). Local transports
 * put the message in a mailbox: 'delivered'; an SMTP hop without DSN: 'relayed'.
 */
export function successLine(r: RecipientState, p: DestinationOutcome): ReportedRecipient | null {
  const transport = p.key.slice(0, p.key.indexOf(':'));
  if (p.dsnPassedOn || transport === 'discard' || transport === 'error') return null;
  const action = transport === 'smtp' ? 'relayed' as const : 'delivered' as const;
  return { ...reportedRecipient(r, p), status: 'sent', action };
}

interface Folded {
  recipients: RecipientState[];
  /** DSN lines for what bounced in this attempt. */
  reports: RecipientState[];
  /** Success report lines for what was delivered in this attempt (before NOTIFY filtering). */
  successes: ReportedRecipient[];
  /** Per still-pending recipient, its destinations deferred this time (for an expiry report). */
  deferredParts: Map<number, DestinationOutcome[]>;
  sent: number;
}

/**
 * Fold one attempt into the recipients. A recipient is settled only when every
 * destination it expanded to is: `sent` if any copy was delivered (now or
 * before), `bounced` if none. Until then the settled destinations are kept in
 * `done`. `bouncesReported` false (the DSN could not be queued) leaves bounced
 * destinations unsettled, so the next attempt bounces and reports them again.
 */
export function foldOutcomes(before: RecipientState[], outcomes: RecipientOutcome[], bouncesReported: boolean): Folded {
  const recipients: RecipientState[] = before.map((r) => ({ ...r }));
  const reports: RecipientState[] = [];
  const successes: ReportedRecipient[] = [];
  const deferredParts = new Map<number, DestinationOutcome[]>();
  let sent = 0;
  for (const o of outcomes) {
    const r = recipients[o.index];
    if (!r || r.status !== 'pending') continue;
    r.lastReply = o.reply;
    r.dsnStatus = o.dsnStatus;
    r.remoteMta = o.remoteMta;
    if (o.parts.length === 0) {
      // About the recipient itself (see RecipientOutcome.parts).
      if (o.status === 'sent') r.status = 'sent';
      if (o.status === 'bounced' && bouncesReported) {
        r.status = 'bounced';
        reports.push({ ...r });
      }
    } else {
      const hadDone = (r.done ?? []).length > 0;
      const done = new Set(r.done ?? []);
      let open = false;
      let delivered = false;
      for (const p of o.parts) {
        if (p.skipped) {
          open = true; // not tried this time (local-only pass): still to do
        } else if (p.status === 'sent') {
          done.add(p.key);
          delivered = true;
          sent++;
          const line = successLine(r, p);
          if (line) successes.push(line);
        } else if (p.status === 'bounced' && bouncesReported) {
          done.add(p.key);
          reports.push(reportedRecipient(r, p));
        } else {
          open = true;
          if (p.status === 'deferred') deferredParts.set(o.index, [...(deferredParts.get(o.index) ?? []), p]);
        }
      }
      if (open) r.done = [...done];
      else {
        // Bounced destinations were reported one by one above; the recipient is only closed here.
        r.status = delivered || hadDone ? 'sent' : 'bounced';
        delete r.done;
      }
    }
    if (r.status === 'sent' && o.parts.length === 0) sent++;
  }
  return { recipients, reports, successes, deferredParts, sent };
}

export async function commitAttempt(deps: QmgrDeps, store: EntryStore, id: QueueId, report: AttemptReport): Promise<AttemptOutcome> {
  return store.locked(id, async (latest) => {
    if (!latest) return 'skipped'; // deleted by an admin while we were delivering
    const now = deps.clock.now();
    const d = deps.settings().delivery;
    const offline = deps.offlineSince?.() ?? null;
    let folded = foldOutcomes(latest.recipients, report.outcomes, true);
    const { recipients, reports: bounced, sent } = folded;
    const counted = attemptCounts(report);
    const next: QueueEntry = {
      ...latest, recipients, lastAttempt: now,
      // An attempt the engine cut short by stopping is not counted: the mail did nothing wrong.
      // Nor is one whose next hop vanished as we went offline (offline time never counts),
      // nor a local-only pass in which every local destination was settled.
      attempts: counted ? latest.attempts + 1 : latest.attempts,
      transcript: report.transcript.length > 0 ? report.transcript : latest.transcript,
    };
    let pending = recipients.filter((r) => r.status === 'pending');
    if (report.offline) deps.log.info(id, `${report.unreachable?.nexthop ?? 'next hop'} unreachable and we are offline: not counted as an attempt; waiting until online`);

    // Past queueReturn: this was the last attempt (Postfix gives one too). Return the rest,
    // naming the destinations still open when the recipient expanded to several. Only an
    // attempt that tried the network can be the last one.
    if (pending.length > 0 && counted && report.scope === 'all' && isExpired(next, now, d, offline)) {
      for (const r of pending) {
        const index = recipients.indexOf(r);
        const reason = (reply: string | undefined) => (reply ? `${expiredText(d)}; last reply: ${reply}` : expiredText(d));
        const open = folded.deferredParts.get(index) ?? [];
        if (open.length > 0 && open.some((p) => p.address.toLowerCase() !== r.address.toLowerCase())) {
          for (const p of open) bounced.push(reportedRecipient(r, { ...p, status: 'bounced', reply: reason(p.reply), dsnStatus: EXPIRED_STATUS }));
        } else {
          bounced.push({ ...r, status: 'bounced', lastReply: reason(r.lastReply), dsnStatus: EXPIRED_STATUS });
        }
        r.status = 'bounced';
        r.lastReply = reason(r.lastReply);
        r.dsnStatus = EXPIRED_STATUS;
        delete r.done;
      }
      deps.log.info(id, `${expiredText(d)}: returned to sender`);
      pending = [];
    }

    // Before the failure report: should that one fail and the attempt be folded again,
    // the delivered destinations stay settled and their receipt must not be lost.
    // Best effort, like the delay warning: a receipt never re-delivers the mail.
    if (folded.successes.length > 0) {
      try {
        await notify(deps, next, folded.successes, 'success');
      } catch (err) {
        deps.log.info(id, `success notification not queued: ${(err as Error).message}`);
      }
    }

    if (bounced.length > 0) {
      try {
        await notify(deps, next, bounced, 'failure');
      } catch (err) {
        // Could not queue the report: keep those destinations open and try it all
        // again later. Reporting twice beats never reporting (DESIGN.md "Promises").
        folded = foldOutcomes(latest.recipients, report.outcomes, false);
        next.recipients = folded.recipients;
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
    // An interrupted attempt is due again as soon as the engine is back (start() runs what is due);
    // one cut short by going offline as soon as we are online; an uncounted local pass keeps its time.
    if (report.offline) return saveDeferred(deps, store, next, WAITING_OFFLINE, now, now);
    if (report.scope === 'local' && !counted) {
      const waiting = deps.online?.() === false ? WAITING_OFFLINE : WAITING_QUEUE_RUN;
      return saveDeferred(deps, store, next, waiting, now, Math.min(latest.nextAttempt, now));
    }
    return saveDeferred(deps, store, next, pending[0].lastReply, now, report.interrupted ? now : undefined);
  });
}

/**
 * Does this attempt count toward backoff and the slow-queue rule? Not when the
 * engine cut it short, not when the gate found us offline after it failed to reach
 * the next hop, and not a local-only pass unless a local destination was deferred
 * (a full mailbox, a program that said "try later": those back off like any retry).
 */
function attemptCounts(report: AttemptReport): boolean {
  if (report.interrupted || report.offline) return false;
  if (report.scope === 'all') return true;
  return report.outcomes.some((o) => o.status === 'deferred' && (o.parts.length === 0 || o.parts.some((p) => !p.skipped && p.status === 'deferred')));
}

async function saveDeferred(deps: QmgrDeps, store: EntryStore, next: QueueEntry, reply: string | undefined, now: number, due?: number): Promise<AttemptOutcome> {
  const d = deps.settings().delivery;
  // An admin's hold outlives an attempt (flush by id of held mail); a hold by the
  // delivery mode ends with the attempt that mode allowed.
  const adminHold = next.state === 'hold' && next.heldBy !== 'mode';
  next.state = adminHold ? 'hold' : 'deferred';
  if (!adminHold) delete next.heldBy;
  next.nextAttempt = due ?? now + backoffMs(next.attempts, d);
  next.reason = deferredReason(reply);
  await store.save(next);
  return 'deferred';
}
