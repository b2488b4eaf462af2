// The header lines cleanup adds: the trace header every MTA must prepend
// (RFC 5321 §4.4) and, for local submission only, the Message-ID, Date and From
// a submission agent supplies when the author left them out (RFC 6409 §8,
// RFC 5322 §3.6). Pure string building; never does I/O.
import type { ClientInfo, Envelope, QueueId } from '../contracts.ts';
import { isIPv6 } from 'node:net';
import { inert } from '../inert-text.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** RFC 5322 §3.3 date-time in local time, e.g. "Fri, 21 Nov 2025 23:17:00 +0100". */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${DAYS[d.getDay()]}, ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3 address literal). */
export function addressLiteral(ip: string): string {
  return isIPv6(ip) ? `[IPv6:${ip}]` : `[${ip}]`;
}

export interface ReceivedInput {
  client: ClientInfo;
  envelope: Envelope;
  id: QueueId;
  /** Our host name (the "by" clause). */
  hostname: string;
  now: number;
}

/**
 * RFC 5321 §4.4 time stamp line, Sendmail/Postfix layout. "for" names the recipient
 * only when there is exactly one, so a Bcc list never leaks into the header.
 */
export function receivedHeader(p: ReceivedInput): string {
  const { client } = p;
  const lines: string[] = [];
  if (client.address) {
    // Postfix writes "unknown" when no verified reverse name is known.
    // The client's HELO and its PTR name are outside text: shown, never obeyed (issue 11 §3).
    lines.push(`Received: from ${inert(client.helo || 'unknown')} (${inert(client.hostname || 'unknown')} ${addressLiteral(client.address)})`);
    lines.push(`\tby ${p.hostname} (Mailstop) with ${client.protocol} id ${p.id}`);
  } else {
    // Local submission: Sendmail's "(from user@localhost)" form; there is no peer.
    lines.push(`Received: (from ${client.user || 'local'}@localhost)`);
    lines.push(`\tby ${p.hostname} (Mailstop) id ${p.id}`);
  }
  if (client.tls) {
    const bits = client.tls.bits ? ` bits=${client.tls.bits}` : '';
    lines.push(`\t(version=${client.tls.version} cipher=${client.tls.cipher}${bits} verify=${client.tls.verify ?? 'NO'})`);
  }
  const only = p.envelope.recipients.length === 1 ? p.envelope.recipients[0].address : null;
  if (only !== null) lines.push(`\tfor <${only}>; ${rfc5322Date(p.now)}`);
  else lines[lines.length - 1] += `; ${rfc5322Date(p.now)}`;
  return lines.join('\r\n') + '\r\n';
}

/** Sendmail-style Message-ID: <YYYYMMDDhhmmss.QUEUEID@host>, unique because the queue id is. */
export function messageIdFor(id: QueueId, hostname: string, now: number): string {
  const d = new Date(now);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `<${stamp}.${id}@${hostname}>`;
}

/** The author address for a missing From: the envelope sender, qualified with our host name. */
export function fromFor(sender: string, hostname: string): string {
  if (!sender) return `MAILER-DAEMON@${hostname}`;
  return sender.includes('@') ? sender : `${sender}@${hostname}`;
}
