// Builds delivery status notifications (RFC 3464 inside RFC 6522 multipart/report)
// for failed, delayed and successfully delivered/relayed recipients, and answers
// who should get one. Owns the
// wording and layout of the report; never queues, sends or reads the spool: qmgr
// hands in the stored message and puts the result back through cleanup.
import type { DsnNotify, Envelope, QueueEntry, RecipientState } from '../contracts.ts';
import { durationMs } from '../config/schema.ts';
import { deliveryStatus, humanText, type DsnKind, type ReportedRecipient, type ReportInput } from './report.ts';
import { has8bit, headerBlock, humanDuration, idStamp, isPlain7bit, quotedPrintable, rfc5322Date } from './encode.ts';

export type { DsnKind, ReportedRecipient, SuccessAction } from './report.ts';

/**
 * Largest original returned whole. Bigger messages come back as headers only, like
 * Postfix's bounce_size_limit: the sender already has the body, and a multi-megabyte
 * bounce may itself be refused by the sender's server.
 */
export const MAX_RETURNED_BODY = 1024 * 1024;

export interface DsnParams {
  entry: QueueEntry;
  /**
   * Recipients to report: bounced ones for 'failure', still-pending ones for 'delay',
   * delivered or relayed ones (with their `action`) for 'success'.
   */
  recipients: ReportedRecipient[];
  kind: DsnKind;
  /** Our host name: Reporting-MTA and MAILER-DAEMON@. */
  reportingMta: string;
  /** The full stored message (CRLF lines). */
  original: Buffer;
  now: number;
  /**
   * Send the report here instead of to the envelope sender: the double-bounce address
   * (delivery.doubleBounce) when a bounce itself failed. Only then may the sender be <>.
   */
  to?: string;
  /** delivery.queueWarn / queueReturn (ms); default to the schema's 4h / 5d. */
  queueWarnMs?: number;
  queueReturnMs?: number;
}

export interface Dsn { envelope: Envelope; message: Buffer }

const WANTED: Record<DsnKind, DsnNotify> = { failure: 'FAILURE', delay: 'DELAY', success: 'SUCCESS' };

/**
 * Which recipients a report of this kind may mention (RFC 3461 §4.1): failures unless
 * NOTIFY was given without FAILURE (NEVER included); delay warnings only when NOTIFY
 * includes DELAY or was not given at all; success reports only when NOTIFY includes
 * SUCCESS (the default, "FAILURE,DELAY", asks for none).
 */
export function dsnRecipients<R extends RecipientState>(kind: DsnKind, recipients: R[]): R[] {
  const wanted = WANTED[kind];
  if (kind === 'success') return recipients.filter((r) => r.notify?.includes(wanted) === true);
  return recipients.filter((r) => !r.notify || r.notify.length === 0 || r.notify.includes(wanted));
}

/**
 * Should qmgr build a report of this kind to the envelope sender? Never for <> (RFC
 * 5321 §4.5.5): not a failure report and not a success report either.
 */
export function shouldBounce(entry: QueueEntry, kind: DsnKind, recipients: RecipientState[]): boolean {
  return entry.sender !== '' && dsnRecipients(kind, recipients).length > 0;
}

function sameMailbox(address: string, target: string): boolean {
  const a = address.toLowerCase();
  const t = target.toLowerCase();
  // An unqualified double-bounce address ("postmaster") matches that local part anywhere.
  return t.includes('@') ? a === t : a === t || a.split('@')[0] === t;
}

/**
 * A failed bounce (sender <>) goes once to delivery.doubleBounce (Sendmail's
 * confDOUBLE_BOUNCE_ADDRESS; empty = discard). A failed double bounce is not
 * reported again: that would loop.
 */
export function shouldDoubleBounce(entry: QueueEntry, doubleBounce: string): boolean {
  if (entry.sender !== '' || doubleBounce.trim() === '') return false;
  return !entry.recipients.some((r) => sameMailbox(r.address, doubleBounce));
}

function qualify(address: string, host: string): string {
  return address.includes('@') ? address : `${address}@${host}`;
}

function subjectOf(p: DsnParams, warnMs: number): string {
  if (p.to !== undefined) return 'Postmaster notify: see transcript for details';
  if (p.kind === 'success') return 'Successful Mail Delivery Report'; // Sendmail's subject for a DSN success
  return p.kind === 'failure'
    ? 'Returned mail: see transcript for details'
    : `Warning: could not send message for past ${humanDuration(warnMs)}`;
}

/** Sendmail-like boundary "ID.time/host", lengthened until it appears nowhere in the content. */
function pickBoundary(p: DsnParams, content: Buffer[]): string {
  const base = `${p.entry.id}.${Math.floor(p.now / 1000)}/${p.reportingMta}`.slice(0, 60); // RFC 2046 §5.1.1: ≤ 70
  for (let n = 0; ; n++) {
    const b = n === 0 ? base : `${base}.${n}`;
    if (!content.some((c) => c.includes(`--${b}`))) return b;
  }
}

/**
 * The report and its envelope: from <> (RFC 5321 §4.5.5, so it can never bounce back
 * in a loop) to the original envelope sender, or to `to` for a double bounce.
 * Throws when there is nobody to report to; check shouldBounce/shouldDoubleBounce first.
 */
export function buildDsn(p: DsnParams): Dsn {
  if (p.kind === 'success' && p.to !== undefined) {
    throw new Error(`no success DSN for ${p.entry.id} to ${p.to}: only the envelope sender asked for one`);
  }
  if (p.to === undefined && p.entry.sender === '') {
    throw new Error(`no DSN for ${p.entry.id}: its sender is <> (RFC 5321 §4.5.5); pass "to" for a double bounce`);
  }
  const recipients = dsnRecipients(p.kind, p.recipients);
  if (recipients.length === 0) {
    throw new Error(`no DSN for ${p.entry.id}: no recipient asked for a ${p.kind} notice (NOTIFY)`);
  }
  const warnMs = p.queueWarnMs ?? durationMs('4h');
  const input: ReportInput = {
    entry: p.entry, recipients, kind: p.kind, reportingMta: p.reportingMta, now: p.now,
    queueWarnMs: warnMs, queueReturnMs: p.queueReturnMs ?? durationMs('5d'),
  };
  const to = p.to ?? p.entry.sender;

  // Part 1: human-readable; quoted-printable only when it holds non-ASCII or over-long lines.
  const text = humanText(input);
  const human = isPlain7bit(text)
    ? Buffer.from(`Content-Type: text/plain; charset=us-ascii\r\nContent-Description: Notification\r\n\r\n${text}`)
    : Buffer.from('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n' +
      `Content-Description: Notification\r\n\r\n${quotedPrintable(text)}\r\n`);

  // Part 2: machine-readable, always 7-bit (report.ts escapes what is not).
  const status = Buffer.from(`Content-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n${deliveryStatus(input)}`);

  // Part 3: RFC 3461 §4.3: RET applies to failure reports; a warning carries headers only,
  // since the message is still queued and the sender need not resend it, and so does a
  // success report: the recipient has the message, the sender only needs to know which.
  const whole = p.kind === 'failure' && p.entry.ret !== 'HDRS' && p.original.length <= MAX_RETURNED_BODY;
  let returned = whole ? p.original : headerBlock(p.original);
  if (returned.length > 0 && !returned.subarray(-2).equals(Buffer.from('\r\n'))) {
    returned = Buffer.concat([returned, Buffer.from('\r\n')]);
  }
  const eightBit = has8bit(returned);
  // RFC 6532 §3.7 / RFC 6533 §6.3: UTF-8 headers travel as message/global(-headers).
  const utf8Headers = eightBit && p.entry.smtputf8 === true && has8bit(headerBlock(returned));
  const type = whole
    ? (utf8Headers ? 'message/global' : 'message/rfc822')
    : (utf8Headers ? 'message/global-headers' : 'text/rfc822-headers');
  const description = whole ? 'Undelivered Message' : (p.kind === 'failure' ? 'Undelivered Message Headers' : 'Message Headers');
  const cte = eightBit ? '8bit' : '7bit';
  const orig = Buffer.concat([
    Buffer.from(`Content-Type: ${type}\r\nContent-Description: ${description}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`),
    returned,
  ]);

  const boundary = pickBoundary(p, [human, status, orig]);
  const head = [
    `From: Mail Delivery Subsystem <MAILER-DAEMON@${p.reportingMta}>`,
    `To: <${qualify(to, p.reportingMta)}>`,
    `Subject: ${subjectOf(p, warnMs)}`,
    `Date: ${rfc5322Date(p.now)}`,
    `Message-ID: <${idStamp(p.now)}.${p.entry.id}.${p.kind}@${p.reportingMta}>`,
    // RFC 3834 §5: marks it automatic so that responders (vacation, lists) stay quiet.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    `\tboundary="${boundary}"`,
    `Content-Transfer-Encoding: ${cte}`,
    '',
    'This is a MIME-encapsulated message',
    '',
  ].join('\r\n');
  const sep = Buffer.from(`--${boundary}\r\n`);
  const message = Buffer.concat([
    Buffer.from(head + '\r\n'),
    sep, human, Buffer.from('\r\n'),
    sep, status, Buffer.from('\r\n'),
    sep, orig, Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

  const envelope: Envelope = {
    sender: '',
    recipients: [{ address: to }],
    body: eightBit ? '8BITMIME' : '7BIT',
    ...(utf8Headers ? { smtputf8: true } : {}),
  };
  return { envelope, message };
}
