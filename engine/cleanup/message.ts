// Turns the incoming byte stream into the bytes to store: validated CRLF lines,
// the header block held back until it is complete (so the added headers can go in),
// then the body passed through chunk by chunk. Enforces the size limit on the
// bytes as received. Never does I/O; the caller writes what push() returns.
import { SmtpError } from '../contracts.ts';
import { CRLF, HeaderBlock, fieldName, isContinuation } from './headers.ts';
import { LineSplitter, type LineEndings } from './lines.ts';

export interface MessageLimits {
  mode: LineEndings;
  /** smtp.maxMessageSize: octets of the message as received (CRLF-normalised). */
  maxMessageSize: number;
  /** smtp.maxHeadersLength. */
  maxHeadersLength: number;
  /**
   * Called once when the header block is complete; returns the header lines to store
   * (each ending in CRLF, without the empty separator line). May throw SmtpError.
   */
  finishHeaders: (headers: HeaderBlock) => Buffer;
}

export class MessageBuilder {
  private readonly lines: LineSplitter;
  private readonly headers: HeaderBlock;
  private inBody = false;
  /** Octets received so far, after line-ending normalisation. */
  received = 0;

  constructor(private readonly limits: MessageLimits) {
    this.lines = new LineSplitter(limits.mode);
    this.headers = new HeaderBlock(limits.maxHeadersLength);
  }

  /** Bytes to append to the spool for this chunk (possibly empty). Throws SmtpError. */
  push(chunk: Buffer): Buffer {
    return this.take(this.lines.push(chunk));
  }

  /** Bytes still to write at end of input. Throws SmtpError. */
  end(): Buffer {
    const out = this.take(this.lines.end());
    if (this.inBody) return out;
    // The message ended inside its header block (no body): still store the headers.
    this.inBody = true;
    return Buffer.concat([out, this.limits.finishHeaders(this.headers)]);
  }

  private take(lines: Buffer[]): Buffer {
    const out: Buffer[] = [];
    for (const line of lines) {
      this.count(line.length + 2);
      if (this.inBody) {
        out.push(line, CRLF);
      } else if (line.length === 0) {
        this.inBody = true;
        out.push(this.limits.finishHeaders(this.headers), CRLF);
      } else if (fieldName(line) !== null || (isContinuation(line) && !this.headers.empty)) {
        this.headers.add(line);
      } else {
        // A line that is no header field ends the header block, as in Postfix's
        // cleanup: the separator RFC 5322 §2.1 requires is inserted before it.
        this.inBody = true;
        out.push(this.limits.finishHeaders(this.headers), CRLF, line, CRLF);
      }
    }
    return out.length === 0 ? EMPTY : Buffer.concat(out);
  }

  private count(octets: number): void {
    this.received += octets;
    if (this.received > this.limits.maxMessageSize) {
      // RFC 1870 §6.2 / RFC 3463: 552 5.3.4 "message too big for system".
      throw new SmtpError(552, '5.3.4', `Message size exceeds fixed maximum message size (${this.limits.maxMessageSize} octets)`);
    }
  }
}

const EMPTY = Buffer.alloc(0);
