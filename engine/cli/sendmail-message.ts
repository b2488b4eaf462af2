// What /usr/sbin/sendmail does to a message read on stdin before it is queued:
// end it at a lone "." unless -i, take recipients from the header with -t,
// drop Bcc:, add a From: with the -F full name. Pure functions over bytes; the
// rest (Received:, Message-ID:, Date:, line endings) is cleanup's job.
import addressparser from 'nodemailer/lib/addressparser';

/**
 * Without -i/-oi a line holding only "." ends the message (Sendmail's default,
 * the same rule as SMTP DATA); everything after it is ignored. Dots are not
 * un-stuffed: the sendmail interface never stuffed them.
 */
export function endAtLoneDot(message: Buffer): Buffer {
  let lineStart = 0;
  while (lineStart < message.length) {
    const nl = message.indexOf(0x0a, lineStart);
    const lineEnd = nl < 0 ? message.length : nl;
    let line = message.subarray(lineStart, lineEnd);
    if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length === 1 && line[0] === 0x2e) return message.subarray(0, lineStart);
    if (nl < 0) break;
    lineStart = nl + 1;
  }
  return message;
}

/** Where the header block ends: the offset of the empty line's first byte, or the length. */
function headerEnd(message: Buffer): number {
  const m = /\r?\n\r?\n/.exec(message.toString('latin1'));
  if (!m) return message.length;
  return m.index + (m[0].startsWith('\r') ? 2 : 1);
}

interface Field { name: string; value: string; start: number; end: number }

/** The header fields with their byte ranges (continuation lines included, RFC 5322 §2.2.3). */
export function headerFields(message: Buffer): Field[] {
  // latin1 maps bytes 1:1 to UTF-16 units, so string offsets are byte offsets.
  const text = message.toString('latin1', 0, headerEnd(message));
  const fields: Field[] = [];
  const re = /^([^\s:]+)[ \t]*:(.*(?:\r?\n[ \t].*)*)(?:\r?\n|$)/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[0] === '') { re.lastIndex++; continue; }
    const value = Buffer.from(m[2], 'latin1').toString('utf8').replace(/\r?\n[ \t]/g, ' ').trim();
    fields.push({ name: m[1].toLowerCase(), value, start: m.index, end: m.index + m[0].length });
  }
  return fields;
}

/**
 * Recipients named in To:, Cc: and Bcc: (sendmail -t). When Resent- fields are
 * present the message is being resent and only those count (RFC 5322 §3.6.6).
 */
export function headerRecipients(message: Buffer): string[] {
  const fields = headerFields(message);
  const resent = fields.some((f) => /^resent-(to|cc|bcc)$/.test(f.name));
  const wanted = resent ? ['resent-to', 'resent-cc', 'resent-bcc'] : ['to', 'cc', 'bcc'];
  const out: string[] = [];
  for (const f of fields) {
    if (!wanted.includes(f.name)) continue;
    for (const a of addressparser(f.value, { flatten: true })) if (a.address) out.push(a.address);
  }
  return out;
}

/** The message without Bcc:/Resent-Bcc: fields: blind copies stay blind (RFC 5322 §3.6.3). */
export function removeBcc(message: Buffer): Buffer {
  const drop = headerFields(message).filter((f) => f.name === 'bcc' || f.name === 'resent-bcc');
  if (!drop.length) return message;
  const parts: Buffer[] = [];
  let at = 0;
  for (const f of drop) {
    parts.push(message.subarray(at, f.start));
    at = f.end;
  }
  parts.push(message.subarray(at));
  return Buffer.concat(parts);
}

/** A display name as an RFC 5322 phrase: quoted when needed, RFC 2047 when not ASCII. */
export function phrase(name: string): string {
  if (/[^\x20-\x7e]/.test(name)) return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}

/** Adds `From: Full Name <sender>` when the message has no From: (sendmail -F). */
export function addFromIfMissing(message: Buffer, fullName: string, sender: string): Buffer {
  if (headerFields(message).some((f) => f.name === 'from')) return message;
  const nl = message.includes('\r\n') ? '\r\n' : '\n';
  return Buffer.concat([Buffer.from(`From: ${phrase(fullName)} <${sender}>${nl}`, 'utf8'), message]);
}

/** Dedupe recipients case-insensitively, keeping the first spelling and the order. */
export function uniqueAddresses(list: string[]): string[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const k = a.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * A bare user name as an address: Sendmail qualifies an unqualified envelope
 * sender with its own host name ($j) before it leaves the machine, since no
 * remote server accepts MAIL FROM:<root> (RFC 5321 §4.1.2 wants a domain). The
 * null sender stays null.
 */
export function qualify(address: string, hostname: string): string {
  return address === '' || address.includes('@') ? address : `${address}@${hostname}`;
}
