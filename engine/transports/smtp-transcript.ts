// The bounded SMTP transcript of one delivery attempt: ">>> " lines we sent,
// "<<< " lines we received, "*** " notes of our own (connecting, TLS, retries).
// It keeps the head and the tail (the failure is usually at the end) and never
// holds an AUTH secret: the AUTH command's argument and every client line of
// the exchange that follows are replaced by "***" before anything sees them.

/** Sendmail-ish bound: enough for a session with ~100 recipients, small in the queue file. */
export const MAX_TRANSCRIPT_LINES = 200;
// How much of the beginning survives when a session overflows (greeting, EHLO, TLS).
const HEAD_LINES = 40;
const MIN_SCRUB = 4;

export class Transcript {
  private readonly head: string[] = [];
  private tail: string[] = [];
  private omitted = 0;
  private inAuth = false;

  constructor(
    private readonly onLine?: (line: string) => void,
    /** Strings that must never appear (the password), scrubbed as a last resort. */
    private readonly secrets: string[] = [],
  ) {}

  client(line: string): void {
    let text = line;
    const auth = /^AUTH\s+(\S+)/i.exec(text);
    if (auth) {
      text = `AUTH ${auth[1].toUpperCase()} ***`;
      this.inAuth = true;
    } else if (this.inAuth) {
      text = '***'; // a SASL continuation (AUTH LOGIN user / password)
    }
    this.add(`>>> ${text}`);
  }

  server(reply: string): void {
    const lines = reply.replace(/\r?\n$/, '').split(/\r?\n/);
    // RFC 4954 §4: 334 continues the exchange; anything else ends it.
    if (this.inAuth && !/^334[ -]/.test(lines[lines.length - 1])) this.inAuth = false;
    for (const l of lines) this.add(`<<< ${l}`);
  }

  note(text: string): void {
    this.add(`*** ${text}`);
  }

  lines(): string[] {
    if (this.omitted === 0) return [...this.head, ...this.tail];
    return [...this.head, `*** ${this.omitted} lines omitted`, ...this.tail];
  }

  private add(raw: string): void {
    let line = raw;
    // Very short secrets would shred ordinary text; the AUTH masking above covers them.
    for (const s of this.secrets) if (s.length >= MIN_SCRUB && line.includes(s)) line = line.split(s).join('***');
    this.onLine?.(line);
    if (this.head.length < HEAD_LINES) {
      this.head.push(line);
      return;
    }
    this.tail.push(line);
    const room = MAX_TRANSCRIPT_LINES - HEAD_LINES - 1; // 1 for the "omitted" marker
    if (this.tail.length > room) {
      this.omitted += this.tail.length - room;
      this.tail = this.tail.slice(this.tail.length - room);
    }
  }
}
