// The two generated parts of a DSN (failure, delay or success): the human-readable explanation (worded like
// Sendmail's, which people and old scripts recognise) and the machine-readable
// message/delivery-status body (RFC 3464 §2). Pure text builders: no I/O, no
// decisions about whom to notify (dsn.ts makes those).
import type { QueueEntry, RecipientState } from '../contracts.ts';
import { asciiLine, foldField, humanDuration, rfc5322Date, xtextDecode } from './encode.ts';

export type DsnKind = 'failure' | 'delay' | 'success';

/**
 * A recipient in a success report says how it succeeded (RFC 3464 §2.3.3):
 * 'delivered' into a mailbox (the default), or 'relayed' to a next hop that does
 * not speak DSN (RFC 3461 §6.2.6.1). Failure and delay reports ignore it.
 */
export type SuccessAction = 'delivered' | 'relayed';
export type ReportedRecipient = RecipientState & { action?: SuccessAction };

export interface ReportInput {
  entry: QueueEntry;
  recipients: ReportedRecipient[];
  kind: DsnKind;
  reportingMta: string;
  now: number;
  /** delivery.queueWarn / queueReturn in ms, for the warning's wording and Will-Retry-Until. */
  queueWarnMs: number;
  queueReturnMs: number;
}

/** "mx.example [192.0.2.1]" / "[192.0.2.1]" / "localhost" (local submission), as Sendmail says it. */
export function describeClient(entry: QueueEntry): string {
  const c = entry.client;
  if (!c.address) return 'localhost';
  return c.hostname ? `${c.hostname} [${c.address}]` : `[${c.address}]`;
}

/** The reply text shown for a recipient; a fallback keeps the report readable when none was kept. */
function reasonOf(r: ReportedRecipient, kind: DsnKind): string {
  // Sendmail's wording, which people and scripts recognise in return receipts.
  if (kind === 'success') return r.action === 'relayed' ? 'relayed to non-DSN-aware mailer' : 'successfully delivered to mailbox';
  if (r.lastReply && r.lastReply.trim()) return r.lastReply.replace(/\r?\n/g, ' ').trim();
  return kind === 'failure' ? `${statusOf(r, kind)} Delivery failed` : `${statusOf(r, kind)} Delivery delayed`;
}

/** RFC 3463 status; the generic x.0.0 codes when the transport left none. */
function statusOf(r: RecipientState, kind: DsnKind): string {
  const s = r.dsnStatus ?? '';
  const wantClass = kind === 'failure' ? '5' : kind === 'success' ? '2' : '4';
  if (/^[245]\.\d{1,3}\.\d{1,3}$/.test(s) && s[0] === wantClass) return s;
  // A 4.x.x status on a failure means the queue lifetime ran out (RFC 3463 §3.5: 4.4.7 → 5.4.7).
  if (kind === 'failure' && /^4\.\d{1,3}\.\d{1,3}$/.test(s)) return s === '4.4.7' ? '5.4.7' : `5${s.slice(1)}`;
  return `${wantClass}.0.0`;
}

/** When the queue gives up: arrival + queueReturn, plus time spent offline (issue 3). */
export function retryUntil(input: ReportInput): number {
  return input.entry.arrivalTime + (input.entry.offlineMs ?? 0) + input.queueReturnMs;
}

/** The human-readable first part (RFC 3464 §2.1 / RFC 6522 §3), CRLF lines. */
export function humanText(input: ReportInput): string {
  const { entry, recipients, kind } = input;
  const lines: string[] = [];
  if (kind === 'delay') {
    lines.push(
      '**********************************************',
      '**      THIS IS A WARNING MESSAGE ONLY      **',
      '**  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **',
      '**********************************************',
      '',
    );
  }
  lines.push(`The original message was received at ${rfc5322Date(entry.arrivalTime)}`);
  lines.push(`from ${describeClient(entry)}`, '');
  lines.push(kind === 'failure'
    ? '   ----- The following addresses had permanent fatal errors -----'
    : kind === 'success'
      ? '   ----- The following addresses had successful delivery notifications -----'
      : '   ----- The following addresses had transient non-fatal errors -----');
  for (const r of recipients) {
    lines.push(`<${r.address}>`, kind === 'success' ? `    (${reasonOf(r, kind)})` : `    (reason: ${reasonOf(r, kind)})`);
  }
  // A success report has no transcript: the last one kept may be an earlier failed attempt's.
  if (kind === 'success') return lines.join('\r\n') + '\r\n';
  const transcript = (entry.transcript ?? []).map((l) => l.replace(/[\r\n]+/g, ' '));
  if (transcript.length > 0 || kind === 'delay') {
    lines.push('', '   ----- Transcript of session follows -----');
    lines.push(...transcript);
  }
  if (kind === 'delay') {
    lines.push(`Warning: message still undelivered after ${humanDuration(input.queueWarnMs)}`);
    lines.push(`Will keep trying until message is ${humanDuration(input.queueReturnMs)} old`);
  }
  return lines.join('\r\n') + '\r\n';
}

/** An address for a delivery-status field: RFC 6533 §3 "utf-8" type when it is not ASCII. */
function typedAddress(address: string): string {
  return /[^\x00-\x7f]/.test(address) ? `utf-8; ${asciiLine(address)}` : `rfc822; ${asciiLine(address)}`;
}

/** RFC 3461 ORCPT "rfc822;xtext" → RFC 3464 §2.3.1 "rfc822; decoded". */
function originalRecipient(orcpt: string): string | null {
  const semi = orcpt.indexOf(';');
  if (semi <= 0) return null;
  const type = orcpt.slice(0, semi).trim();
  const addr = xtextDecode(orcpt.slice(semi + 1).trim());
  return `${asciiLine(type)}; ${asciiLine(addr)}`;
}

/** RFC 3464 §2.3.6: "smtp; 550 ..." for remote replies, an x-type for our own reasons. */
function diagnosticCode(reply: string): string {
  const text = asciiLine(reply);
  return /^\d{3}([ -]|$)/.test(text) ? `smtp; ${text}` : `X-Mailstop; ${text}`;
}

/** RFC 3464 §2.3.3 action-value for one recipient of this kind of report. */
function actionOf(r: ReportedRecipient, kind: DsnKind): string {
  if (kind === 'success') return r.action ?? 'delivered';
  return kind === 'failure' ? 'failed' : 'delayed';
}

/** The message/delivery-status body (RFC 3464 §2.1): per-message fields, then one block per recipient. */
export function deliveryStatus(input: ReportInput): string {
  const { entry, recipients, kind, now } = input;
  const blocks: string[][] = [];
  const perMessage = [foldField('Reporting-MTA', `dns; ${asciiLine(input.reportingMta)}`)];
  if (entry.envid) perMessage.push(foldField('Original-Envelope-Id', asciiLine(xtextDecode(entry.envid))));
  if (entry.client.address) {
    const from = entry.client.hostname ?? entry.client.helo ?? `[${entry.client.address}]`;
    perMessage.push(foldField('Received-From-MTA', `dns; ${asciiLine(from)}`));
  }
  perMessage.push(`Arrival-Date: ${rfc5322Date(entry.arrivalTime)}`);
  blocks.push(perMessage);

  for (const r of recipients) {
    const b: string[] = [];
    if (r.orcpt) {
      const orig = originalRecipient(r.orcpt);
      if (orig) b.push(foldField('Original-Recipient', orig));
    }
    b.push(foldField('Final-Recipient', typedAddress(r.address)));
    b.push(`Action: ${actionOf(r, kind)}`);
    b.push(`Status: ${statusOf(r, kind)}`);
    if (r.remoteMta) b.push(foldField('Remote-MTA', `dns; ${asciiLine(r.remoteMta)}`));
    if (r.lastReply && r.lastReply.trim()) b.push(foldField('Diagnostic-Code', diagnosticCode(r.lastReply)));
    b.push(`Last-Attempt-Date: ${rfc5322Date(entry.lastAttempt ?? now)}`);
    if (kind === 'delay') b.push(`Will-Retry-Until: ${rfc5322Date(retryUntil(input))}`);
    blocks.push(b);
  }
  // RFC 3464 §2.1: groups are separated by one empty line.
  return blocks.map((b) => b.join('\r\n')).join('\r\n\r\n') + '\r\n';
}
