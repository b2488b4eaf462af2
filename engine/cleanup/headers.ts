// The message's header block while cleanup reads it: collected in memory (bounded
// by smtp.maxHeadersLength), then inspected once — Received: count for loop
// detection, which of Message-ID/Date/From exist. Only headers are ever held in
// memory; the body streams straight to the spool. Never does I/O.
import { SmtpError } from '../contracts.ts';

/** RFC 5322 §2.2: field name is printable US-ASCII except ':'; obs-syntax allows WSP before the colon. */
const FIELD_START = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

export interface HeaderField {
  /** Lower-cased field name. */
  name: string;
  /** Physical lines of the field (first line plus folded continuation lines). */
  lines: Buffer[];
}

/** Does this line start a new header field? */
export function fieldName(line: Buffer): string | null {
  // Only the head of the line matters; field names longer than this do not exist in practice.
  const m = FIELD_START.exec(line.subarray(0, 200).toString('latin1'));
  return m ? m[1].toLowerCase() : null;
}

/** A continuation of the previous field (RFC 5322 §2.2.3 folding). */
export function isContinuation(line: Buffer): boolean {
  return line.length > 0 && (line[0] === 0x20 || line[0] === 0x09);
}

export class HeaderBlock {
  readonly fields: HeaderField[] = [];
  /** Octets of the header lines as received, CRLFs included. */
  bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds one header line; the caller has checked it is a field start or a continuation. */
  add(line: Buffer): void {
    this.bytes += line.length + 2;
    if (this.bytes > this.maxBytes) {
      throw new SmtpError(552, '5.6.0', `Message refused: header block larger than ${this.maxBytes} octets (smtp.maxHeadersLength)`);
    }
    const name = isContinuation(line) ? null : fieldName(line);
    if (name === null) this.fields[this.fields.length - 1].lines.push(line);
    else this.fields.push({ name, lines: [line] });
  }

  /** Whether a continuation line can attach to something. */
  get empty(): boolean {
    return this.fields.length === 0;
  }

  count(name: string): number {
    return this.fields.reduce((n, f) => n + (f.name === name ? 1 : 0), 0);
  }

  has(name: string): boolean {
    return this.fields.some((f) => f.name === name);
  }

  /** The unfolded value of the first field with this name. */
  value(name: string): string | undefined {
    const field = this.fields.find((f) => f.name === name);
    if (!field) return undefined;
    const text = field.lines.map((l) => l.toString('utf8')).join('');
    return text.slice(text.indexOf(':') + 1).trim();
  }

  /** Drop every field for which `drop` says so; returns how many went. */
  removeWhere(drop: (name: string, value: string) => boolean): number {
    let removed = 0;
    for (let i = this.fields.length - 1; i >= 0; i--) {
      const f = this.fields[i];
      const text = f.lines.map((l) => l.toString('latin1')).join('');
      if (drop(f.name, text.slice(text.indexOf(':') + 1))) {
        this.fields.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }

  /** The header lines as received, each with CRLF. */
  toBuffer(): Buffer {
    const parts: Buffer[] = [];
    for (const f of this.fields) for (const l of f.lines) parts.push(l, CRLF);
    return Buffer.concat(parts);
  }
}

export const CRLF = Buffer.from('\r\n');
