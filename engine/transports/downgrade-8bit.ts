// 8-bit to 7-bit conversion for a peer that does not offer 8BITMIME (RFC 6152 §3,
// RFC 1652's downgrade; Sendmail's mime8to7): 8-bit content is never sent raw.
// Walks the MIME structure (RFC 2045/2046): a leaf part whose body has 8-bit
// octets is re-encoded — text/* as quoted-printable (still readable, and decoding
// gives the same octets), anything else as base64 — and its
// Content-Transfer-Encoding is set accordingly; multipart/* and message/rfc822
// are converted part by part and their own "8bit" label becomes "7bit". Parts that
// are already 7-bit, and every boundary, preamble and epilogue, are kept byte for
// byte. Each converted part carries Sendmail's X-MIME-Autoconverted header.
//
// Header fields are left alone: RFC 6152 conversion is about bodies, and raw 8-bit
// header text is only legal with SMTPUTF8 (the transport checks that separately).
// Pure: bytes in, bytes out (CRLF lines, as the spool stores them).
import { isAscii } from 'node:buffer';

const CRLF = Buffer.from('\r\n');
/** RFC 2045 §6.7 rule 5: encoded lines at most 76 characters, soft break "=" included. */
const QP_LINE = 76;
/** RFC 2045 §6.8: base64 lines of 76 characters. */
const B64_LINE = 76;

export interface DowngradeResult { message: Buffer; converted: number }

/** The message with every 8-bit body part made 7-bit, and how many parts were converted. */
export function downgrade8bit(message: Buffer, hostname: string): DowngradeResult {
  const counter = { n: 0 };
  const out = entity(message, hostname, counter);
  return { message: out, converted: counter.n };
}

interface Header { name: string; raw: string }

/** Split an entity into its header fields (raw, folded lines kept) and its body. */
function split(buf: Buffer): { headers: Header[]; body: Buffer } {
  let end = buf.indexOf('\r\n\r\n');
  let bodyStart: number;
  if (buf.subarray(0, 2).equals(CRLF)) { end = 0; bodyStart = 2; } // no header fields at all
  else if (end < 0) { end = buf.length; bodyStart = buf.length; }
  else { end += 2; bodyStart = end + 2; }
  const text = buf.subarray(0, end).toString('latin1');
  const headers: Header[] = [];
  for (const line of text.split(/(?<=\r\n)/)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1].raw += line;
    else headers.push({ name: line.slice(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase(), raw: line });
  }
  return { headers, body: buf.subarray(bodyStart) };
}

function value(h: Header): string {
  return h.raw.slice(h.raw.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ').trim();
}

function field(headers: Header[], name: string): string | undefined {
  const h = headers.find((x) => x.name === name);
  return h ? value(h) : undefined;
}

/** "multipart/mixed; boundary=x" → type and boundary (RFC 2045 §5.1; text/plain by default). */
function contentType(headers: Header[]): { type: string; boundary?: string } {
  const v = field(headers, 'content-type');
  if (!v) return { type: 'text/plain' };
  const type = v.split(';')[0].trim().toLowerCase();
  const b = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(v);
  return { type, ...(b ? { boundary: b[1] ?? b[2] } : {}) };
}

function join(headers: Header[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(headers.map((h) => h.raw).join(''), 'latin1'), CRLF, body]);
}

/** Replace (or add) Content-Transfer-Encoding. */
function withEncoding(headers: Header[], cte: string, note?: string): Header[] {
  const kept = headers.filter((h) => h.name !== 'content-transfer-encoding');
  kept.push({ name: 'content-transfer-encoding', raw: `Content-Transfer-Encoding: ${cte}\r\n` });
  if (note) kept.push({ name: 'x-mime-autoconverted', raw: `X-MIME-Autoconverted: ${note}\r\n` });
  return kept;
}

function entity(buf: Buffer, hostname: string, counter: { n: number }): Buffer {
  const { headers, body } = split(buf);
  if (isAscii(body)) return buf;
  const { type, boundary } = contentType(headers);
  const cte = (field(headers, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  // RFC 2046 §5.1 / §5.2.1: composite types are converted inside; their label follows.
  const relabel = (h: Header[]) => (cte === '8bit' || cte === 'binary' ? withEncoding(h, '7bit') : h);
  if (type.startsWith('multipart/') && boundary) {
    return join(relabel(headers), multipart(body, boundary, hostname, counter));
  }
  if (type === 'message/rfc822') {
    return join(relabel(headers), entity(body, hostname, counter));
  }
  counter.n++;
  const from = cte === 'binary' ? 'binary' : '8bit';
  if (type.startsWith('text/')) {
    return join(withEncoding(headers, 'quoted-printable', `from ${from} to quoted-printable by ${hostname}`), encodeQp(body));
  }
  return join(withEncoding(headers, 'base64', `from ${from} to base64 by ${hostname}`), encodeBase64(body));
}

/** Convert each body part between the boundary lines; everything else as it was. */
function multipart(body: Buffer, boundary: string, hostname: string, counter: { n: number }): Buffer {
  const delimiter = `--${boundary}`;
  const text = body.toString('latin1');
  const lines = text.split(/(?<=\r\n)/);
  const out: Buffer[] = [];
  let part: string[] | null = null;
  const flush = () => {
    if (!part) return;
    // The CRLF before a delimiter line belongs to the delimiter (RFC 2046 §5.1.1).
    let raw = part.join('');
    const tail = raw.endsWith('\r\n') ? '\r\n' : '';
    raw = raw.slice(0, raw.length - tail.length);
    out.push(entity(Buffer.from(raw, 'latin1'), hostname, counter), Buffer.from(tail, 'latin1'));
  };
  let closed = false;
  for (const line of lines) {
    const bare = line.replace(/\r\n$/, '').replace(/[ \t]+$/, '');
    if (!closed && (bare === delimiter || bare === `${delimiter}--`)) {
      flush();
      part = bare === delimiter ? [] : null;
      if (bare !== delimiter) closed = true;
      out.push(Buffer.from(line, 'latin1'));
    } else if (part) {
      part.push(line);
    } else {
      out.push(Buffer.from(line, 'latin1')); // preamble or epilogue
    }
  }
  flush();
  return Buffer.concat(out);
}

/** RFC 2045 §6.7 quoted-printable; CRLF stays a hard line break. */
export function encodeQp(body: Buffer): Buffer {
  const lines = body.toString('latin1').split('\r\n');
  const encoded = lines.map((line) => {
    let out = '';
    let len = 0;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      const last = i === line.length - 1;
      // Rule 3: a space or tab at the end of a line is encoded, or it would be lost.
      const literal = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last);
      const piece = literal ? line[i] : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
      // Leave room for the soft break "=" unless this is the line's last piece.
      const room = last ? QP_LINE : QP_LINE - 1;
      if (len + piece.length > room) {
        out += '=\r\n';
        len = 0;
      }
      out += piece;
      len += piece.length;
    }
    return out;
  });
  return Buffer.from(encoded.join('\r\n'), 'latin1');
}

function encodeBase64(body: Buffer): Buffer {
  const b64 = body.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += B64_LINE) lines.push(b64.slice(i, i + B64_LINE));
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}
