// What every local transport (mailbox, file, program) shares: its context, how
// the stored message becomes a local copy (LF lines, Return-Path, Delivered-To),
// and how a failed write becomes a deferral. No delivery decisions beyond that.
import type { DeliveryResult, OutboundMessage } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';

export interface LocalContext {
  settings: Settings;
  /** The data directory; relative mailbox paths are under it. */
  home: string;
  /** Our host name, for Maildir file names. */
  hostname: string;
  /** Program delivery time limit (default: Postfix's 1000 s). */
  pipeTimeoutMs?: number;
  /** How long to wait for an mbox dot-lock before deferring (default 10 s). */
  lockTimeoutMs?: number;
}

/** Waiting longer for a busy mbox than this only holds up the queue; defer and retry. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export async function readMessage(message: OutboundMessage): Promise<Buffer> {
  const small = message.bytes?.(); // one read for a message stored inline
  if (small) return small;
  const chunks: Buffer[] = [];
  for await (const chunk of message.open()) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The spool keeps SMTP's CRLF; Unix mailboxes and programs expect LF. */
export function toUnixLines(content: Buffer): Buffer {
  return Buffer.from(content.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/**
 * The copy a local recipient gets: Return-Path (RFC 5321 §4.4: added at final
 * delivery) and Delivered-To (Postfix/qmail: names the mailbox, lets loops be seen)
 * on top of the stored message, in LF lines.
 */
export function localCopy(raw: Buffer, sender: string, deliveredTo: string): Buffer {
  const head = `Return-Path: <${sender}>\nDelivered-To: ${deliveredTo}\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), toUnixLines(raw)]);
}

/** True when the message already says it was delivered to `address`: a forwarding loop. */
export function alreadyDeliveredTo(raw: Buffer, address: string): boolean {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const headers = end === -1 ? text : text.slice(0, end);
  const want = address.toLowerCase();
  return headers.split(/\r?\n/).some((l) => /^delivered-to:/i.test(l) && l.slice(13).trim().toLowerCase() === want);
}

/**
 * A write that failed is never a bounce: disk full, quota, permissions and a
 * missing directory are all things an administrator fixes, so the message waits
 * in the queue with the reason (issue 5: "defers, never loses").
 */
export function writeFailed(address: string, what: string, err: unknown): DeliveryResult {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const reason = (err as Error).message ?? String(err);
  // RFC 3463: 4.3.1 mail system full, 4.2.2 mailbox full, 4.2.1 mailbox disabled, 4.2.0 other mailbox trouble.
  const dsn = code === 'ENOSPC' ? '4.3.1' : code === 'EDQUOT' ? '4.2.2' : code === 'EACCES' || code === 'EPERM' ? '4.2.1'
    : code === 'ELOCKED' ? '4.2.0' : '4.3.0';
  return { address, status: 'deferred', dsnStatus: dsn, reply: `451 ${dsn} cannot write ${what}: ${reason}` };
}
