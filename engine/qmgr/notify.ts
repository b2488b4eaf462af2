// Sends the delivery status notifications qmgr decides on: failure reports, delay
// warnings and success reports (NOTIFY=SUCCESS) to the envelope sender, a failed bounce once to
// delivery.doubleBounce, and nothing for a failed double bounce (logged, never
// looped). The report itself is bounce's; getting it back into the queue is the
// injected enqueue (cleanup's path). Never changes the entry it reports on.
import { buildDsn, shouldBounce, shouldDoubleBounce, type DsnKind } from '../bounce/dsn.ts';
import { durationMs } from '../config/schema.ts';
import type { QueueEntry } from '../contracts.ts';
import type { ReportedRecipient } from '../bounce/dsn.ts';
import type { QmgrDeps } from './types.ts';
import { buffer } from 'node:stream/consumers';

function firstReason(recipients: ReportedRecipient[]): string {
  const r = recipients.find((x) => x.lastReply) ?? recipients[0];
  return (r?.lastReply ?? 'delivery failed').replace(/\s+/g, ' ').trim();
}

/**
 * Report `recipients` of `entry` as `kind`. Resolves once the report is durably
 * queued (or when none is due); rejects when it could not be queued, so the
 * caller keeps the entry as it was and tries again later — never a silent drop.
 */
export async function notify(deps: QmgrDeps, entry: QueueEntry, recipients: ReportedRecipient[], kind: DsnKind): Promise<void> {
  if (recipients.length === 0) return;
  const d = deps.settings().delivery;
  let to: string | undefined;
  if (entry.sender === '') {
    // RFC 5321 §4.5.5: never a report to <>. A warning or a receipt about a bounce helps nobody.
    if (kind === 'delay' || kind === 'success') return;
    if (!shouldDoubleBounce(entry, d.doubleBounce)) {
      deps.log.info(entry.id, `bounce of a bounce dropped (no report to <> nor to the double-bounce address): ${firstReason(recipients)}`);
      return;
    }
    to = d.doubleBounce;
  } else if (!shouldBounce(entry, kind, recipients)) {
    return; // NOTIFY=NEVER, or no recipient asked for this kind (RFC 3461 §4.1)
  }
  const original = await buffer(deps.spool.open(entry.id));
  const dsn = buildDsn({
    entry, recipients, kind, reportingMta: deps.hostname(), original, now: deps.clock.now(), to,
    queueWarnMs: durationMs(d.queueWarn), queueReturnMs: durationMs(d.queueReturn),
  });
  const queued = await deps.enqueue(dsn.envelope, dsn.message);
  const what = to !== undefined ? 'postmaster notify' : kind === 'delay' ? 'DSN: Warning: delayed' : kind === 'success' ? 'DSN: Return receipt' : 'DSN';
  const why = kind === 'success' ? recipients.map((r) => `<${r.address}>`).join(', ') : firstReason(recipients);
  deps.log.info(entry.id, `${queued.id}: ${what}: ${why}`);
}
