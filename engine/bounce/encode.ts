// Small encoders the DSN builder needs so that what it writes is safe on any SMTP
// hop: 7-bit text, CRLF line ends, no line over 998 octets (RFC 5322 §2.1.1).
// Owns text shaping only; never decides what a report says.

/** RFC 5322 §2.1.1: at most 998 octets per line, CRLF excluded. */
export const MAX_LINE = 998;
/** RFC 5322 §2.1.1 "SHOULD be no more than 78 characters"; we fold headers there. */
const FOLD_AT = 78;
/** RFC 2045 §6.7 rule 5: encoded lines at most 76 characters. */
const QP_LINE = 76;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * RFC 5322 §3.3 date-time, in UTC ("+0000"): reports stay byte-identical whatever
 * the host's time zone, which keeps them reproducible and still fully valid.
 */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** Compact UTC stamp for identifiers: YYYYMMDDhhmmss. */
export function idStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}` +
    `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
}

/**
 * One line of text safe for a header or a delivery-status field: CR, LF and other
 * controls become spaces (a remote reply must never inject a field of its own), and
 * non-ASCII becomes RFC 6533 §3 `\x{HHHH}` so the field stays 7-bit.
 */
export function asciiLine(text: string): string {
  let out = '';
  for (const ch of text.replace(/[\r\n\t\x00-\x1f\x7f]+/g, ' ')) {
    const cp = ch.codePointAt(0)!;
    out += cp < 0x80 ? ch : `\\x{${cp.toString(16).toUpperCase()}}`;
  }
  return out.replace(/ {2,}/g, ' ').trim();
}

/**
 * "Name: value" folded at whitespace near 78 columns (RFC 5322 §2.2.3); a run with
 * no whitespace is hard-broken before 998 octets rather than emitted too long.
 */
export function foldField(name: string, value: string): string {
  const words = value.split(' ').filter((w) => w !== '');
  const lines: string[] = [];
  let line = `${name}:`;
  for (let word of words) {
    if (line.length + 1 + word.length > FOLD_AT && line.trim() !== `${name}:`) {
      lines.push(line);
      line = '';
    }
    // A single word too long for any line: cut it (a broken word beats a refused message).
    while (line.length + 1 + word.length > MAX_LINE) {
      const room = MAX_LINE - line.length - 1;
      lines.push(`${line} ${word.slice(0, room)}`);
      word = word.slice(room);
      line = '';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\r\n');
}

/** True when every line is 7-bit and at most MAX_LINE octets: the text can go as-is. */
export function isPlain7bit(text: string): boolean {
  if (/[^\x00-\x7f]/.test(text)) return false;
  return text.split('\r\n').every((l) => l.length <= MAX_LINE);
}

/**
 * RFC 2045 §6.7 quoted-printable over UTF-8, for the human-readable part when it
 * carries non-ASCII (an IDN address, a remote reply in UTF-8) or very long lines.
 * Input lines are CRLF-separated; line breaks stay hard breaks.
 */
export function quotedPrintable(text: string): string {
  return text.split('\r\n').map((line) => {
    const bytes = Buffer.from(line, 'utf8');
    const out: string[] = [];
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      const last = i === bytes.length - 1;
      // Rule 3: whitespace at the end of a line must be encoded; '=' always is.
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      const tok = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      if (cur.length + tok.length > QP_LINE - 1) { // leave room for the soft break '='
        out.push(`${cur}=`);
        cur = '';
      }
      cur += tok;
    }
    out.push(cur);
    return out.join('\r\n');
  }).join('\r\n');
}

/** RFC 3461 §4: decode xtext ("+2B" → "+"). Malformed escapes are kept literally. */
export function xtextDecode(text: string): string {
  return text.replace(/\+([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The header block of a stored message (CRLF lines), without the empty line after it. */
export function headerBlock(message: Buffer): Buffer {
  if (message.subarray(0, 2).toString('latin1') === '\r\n') return Buffer.alloc(0);
  const end = message.indexOf('\r\n\r\n');
  // No body separator: the whole message is headers (RFC 5322 §3.5 allows no body).
  if (end < 0) return message.subarray(0, message.length);
  return message.subarray(0, end + 2);
}

/** Any octet above 0x7F: the part must be labelled 8bit and sent with BODY=8BITMIME. */
export function has8bit(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] > 0x7f) return true;
  return false;
}

/** "4 hours", "1 day", "30 minutes": how Sendmail words queue timeouts in its notices. */
export function humanDuration(ms: number): string {
  const units: [number, string][] = [[86400e3, 'day'], [3600e3, 'hour'], [60e3, 'minute'], [1e3, 'second']];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  const hours = Math.max(1, Math.round(ms / 3600e3));
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}
