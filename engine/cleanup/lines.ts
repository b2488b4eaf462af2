// Splits an incoming message into lines and refuses line endings another server
// could read differently. Owns the SMTP-smuggling defence (CVE-2023-51764 family):
// in 'crlf-strict' mode every line must end in CRLF, and a bare CR, a bare LF or a
// NUL anywhere refuses the whole message, so `\n.\n`, `\r.\r`, `\n.\r\n` or
// `\r\n\x00.\r\n` can never become an end-of-data for the next hop.
// Never writes anything and never holds more than one partial line.
import { SmtpError } from '../contracts.ts';

/**
 * 'crlf-strict': SMTP DATA after smtp-server removed dot-stuffing and the terminator.
 * 'lf': local submission (the sendmail command, `-bs`, the drop directory), where a
 * local program's output is taken as it comes, as Sendmail and Postfix take it:
 * LF or CRLF ends a line, a bare CR ends a line too (a cron job's `10%\r20%\r`
 * progress bar), NUL bytes are dropped, and a line over 998 octets is folded with
 * <CR><LF><SPACE> the way Postfix's smtp_line_length_limit folds it. The result
 * is always strict CRLF, so nothing smuggled can reach the next hop either way.
 */
export type LineEndings = 'crlf-strict' | 'lf';

/** RFC 5322 §2.1.1: a line is at most 998 characters, excluding the CRLF. */
export const MAX_LINE_OCTETS = 998;

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export const bareLf = () =>
  new SmtpError(550, '5.5.2', 'Message refused: bare <LF> received; lines must end with <CR><LF> (RFC 5321 §2.3.8)');
export const bareCr = () =>
  new SmtpError(550, '5.5.2', 'Message refused: bare <CR> received; lines must end with <CR><LF> (RFC 5321 §2.3.8)');
export const nulByte = () =>
  new SmtpError(550, '5.6.0', 'Message refused: NUL character received (RFC 5322 §2.3)');
export const lineTooLong = () =>
  new SmtpError(554, '5.6.0', `Message refused: line longer than ${MAX_LINE_OCTETS} octets (RFC 5322 §2.1.1)`);

/** Feeds chunks in, gets whole lines (content without the line ending) out. */
export class LineSplitter {
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly mode: LineEndings) {}

  /** The complete lines in this chunk; the unterminated tail is kept for the next one. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (this.mode === 'lf') return this.pushLocal(buf);
    const lines: Buffer[] = [];
    let start = 0;
    for (let lf = buf.indexOf(LF, start); lf !== -1; lf = buf.indexOf(LF, start)) {
      lines.push(this.line(buf, start, lf));
      start = lf + 1;
    }
    this.carry = buf.subarray(start);
    // A partial line can already be judged too long; refusing now means we never
    // buffer more than one line's worth (+2 for a CRLF still to come).
    if (this.carry.length > MAX_LINE_OCTETS + 2) throw lineTooLong();
    return lines;
  }

  /** The last line(s) if the input did not end with a line ending (only local submission does that). */
  end(): Buffer[] {
    const tail = this.carry;
    this.carry = Buffer.alloc(0);
    if (!tail.length) return [];
    if (this.mode === 'crlf-strict') return [this.check(tail)];
    // A CR held back to see whether LF follows: nothing followed, so it ended a line.
    return this.folded(tail[tail.length - 1] === CR ? tail.subarray(0, -1) : tail);
  }

  /** Local submission: CR, LF and CRLF all end a line; NULs go; long lines are folded. */
  private pushLocal(buf: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c !== LF && c !== CR) continue;
      // A CR as the last byte may be half of a CRLF whose LF is in the next chunk.
      if (c === CR && i === buf.length - 1) break;
      lines.push(...this.folded(buf.subarray(start, i)));
      if (c === CR && buf[i + 1] === LF) i++;
      start = i + 1;
    }
    let tail = buf.subarray(start);
    // Fold a long unterminated tail now, so at most one line's worth is ever held.
    if (tail.length > MAX_LINE_OCTETS + 1) {
      const pieces = this.folded(tail);
      tail = pieces.pop() ?? Buffer.alloc(0);
      lines.push(...pieces);
    }
    this.carry = tail;
    return lines;
  }

  /**
   * One local line, without NULs, as lines of at most 998 octets: the first as it is,
   * the rest each starting with a space (Postfix's <CR><LF><SPACE> fold, which keeps a
   * folded header field one field). A cut never splits a UTF-8 sequence.
   */
  private folded(line: Buffer): Buffer[] {
    if (line.indexOf(NUL) !== -1) line = Buffer.from(line.filter((b) => b !== NUL));
    const out: Buffer[] = [];
    let rest = line;
    let prefix = EMPTY;
    while (prefix.length + rest.length > MAX_LINE_OCTETS) {
      let cut = MAX_LINE_OCTETS - prefix.length;
      for (let back = 0; back < 3 && cut > 1 && (rest[cut] & 0xc0) === 0x80; back++) cut--;
      out.push(prefix.length ? Buffer.concat([prefix, rest.subarray(0, cut)]) : rest.subarray(0, cut));
      rest = rest.subarray(cut);
      prefix = SPACE;
    }
    out.push(prefix.length ? Buffer.concat([prefix, rest]) : rest);
    return out;
  }

  private line(buf: Buffer, start: number, lf: number): Buffer {
    let end = lf;
    if (end > start && buf[end - 1] === CR) end--;
    else throw bareLf();
    return this.check(buf.subarray(start, end));
  }

  private check(content: Buffer): Buffer {
    if (content.indexOf(CR) !== -1) throw bareCr();
    if (content.indexOf(NUL) !== -1) throw nulByte();
    if (content.length > MAX_LINE_OCTETS) throw lineTooLong();
    return content;
  }
}

const EMPTY = Buffer.alloc(0);
const SPACE = Buffer.from(' ');
