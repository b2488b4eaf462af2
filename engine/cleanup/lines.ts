// Splits an incoming message into lines and refuses line endings another server
// could read differently. Owns the SMTP-smuggling defence (CVE-2023-51764 family):
// in 'crlf-strict' mode every line must end in CRLF, and a bare CR, a bare LF or a
// NUL anywhere refuses the whole message, so `\n.\n`, `\r.\r`, `\n.\r\n` or
// `\r\n\x00.\r\n` can never become an end-of-data for the next hop.
// Never writes anything and never holds more than one partial line.
import { SmtpError } from '../contracts.ts';

/**
 * 'crlf-strict': SMTP DATA after smtp-server removed dot-stuffing and the terminator.
 * 'lf': the sendmail command line, where LF ends a line (CRLF is tolerated too).
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

  /** The last line if the input did not end with a line ending (only the CLI does that). */
  end(): Buffer | null {
    const tail = this.carry;
    this.carry = Buffer.alloc(0);
    if (!tail.length) return null;
    return this.check(tail);
  }

  private line(buf: Buffer, start: number, lf: number): Buffer {
    let end = lf;
    if (end > start && buf[end - 1] === CR) end--;
    else if (this.mode === 'crlf-strict') throw bareLf();
    return this.check(buf.subarray(start, end));
  }

  private check(content: Buffer): Buffer {
    if (content.indexOf(CR) !== -1) throw bareCr();
    if (content.indexOf(NUL) !== -1) throw nulByte();
    if (content.length > MAX_LINE_OCTETS) throw lineTooLong();
    return content;
  }
}
