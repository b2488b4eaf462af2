// A loopback next hop (smtp-server, PIPELINING offered) that watches how mail
// reaches it rather than only what arrives: which TCP connection carried each
// message, how many connections and DATA phases were open at once, whether the
// client pipelined its envelope (RFC 2920), and every copy of every Message-ID,
// so duplicates are counted at the receiving end. It can answer a chosen message
// or recipient with an error and hold each DATA reply for a while (so deliveries
// are in flight when a test looks, or kills the sender).
//
// Pipelining is judged from the bytes on the wire, not from the client's word:
// the server holds its reply to MAIL FROM for a moment and checks whether the
// client's DATA command of that transaction has already arrived. A client that
// waits for each reply cannot have sent DATA yet, so this check can fail.
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo, Socket } from 'node:net';
import { replyError } from './sink.ts';

export interface RelayMessage {
  /** The Message-ID header's value, without angle brackets ('' when there is none). */
  messageId: string;
  rcptTo: string[];
  /** Index into connections. */
  connection: number;
  /** Date.now() when the final "." arrived (before any held reply). */
  at: number;
  raw: Buffer;
  /** Our reply to its "." was 2xx (set when the reply goes out, after any hold). */
  accepted?: boolean;
}

export interface RelayConnection {
  remotePort: number;
  openedAt: number;
  closedAt?: number;
  /** Transactions begun (MAIL FROM) on this connection. */
  mails: number;
  /** Per MAIL FROM: had the client sent that transaction's DATA before we answered MAIL? */
  pipelined: boolean[];
}

export interface RelaySinkOptions {
  /** Reply to the end of DATA for this message (undefined = 250). */
  dataReply?: (m: RelayMessage) => string | undefined;
  /** Reply to one RCPT TO (undefined = 250). */
  rcptReply?: (address: string) => string | undefined;
  /** Hold every DATA reply this long (ms): deliveries stay in flight meanwhile. */
  holdDataMs?: number;
  /** Hold every MAIL FROM reply this long (ms) and judge pipelining meanwhile. Default 0 = not judged. */
  holdMailMs?: number;
  /** Called just after a 2xx for a message went out (a test may kill the sender right there). */
  onAccepted?: (m: RelayMessage) => void;
}

export interface RelaySinkStart extends RelaySinkOptions {
  /** Offer PIPELINING in the EHLO reply (default true). */
  pipelining?: boolean;
}

export interface RelaySink {
  port: number;
  connections: RelayConnection[];
  /** Every copy received in full, in arrival order (an error reply still records it: the bytes arrived). */
  messages: RelayMessage[];
  /** Most TCP connections open at one moment. */
  readonly maxOpen: number;
  /** Most messages between DATA and our reply to its "." at one moment. */
  readonly maxInData: number;
  /** Connections open now / messages in DATA now. */
  readonly open: number;
  readonly inData: number;
  /** Messages received in full whose reply we are still holding. */
  readonly held: number;
  setOptions(o: RelaySinkOptions): void;
  /** Start maxOpen / maxInData again from what is open now. */
  resetPeaks(): void;
  /** Polls until fn() is true; rejects after timeoutMs with what. */
  until(fn: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRelaySink(initial: RelaySinkStart = {}): Promise<RelaySink> {
  let opts: RelaySinkOptions = initial;
  const connections: RelayConnection[] = [];
  const messages: RelayMessage[] = [];
  /** Client port of an open connection → its index in connections and the client bytes seen so far. */
  const byPort = new Map<number, { index: number; wire: WireCount }>();
  const connectionOf = (s: SMTPServerSession): RelayConnection | undefined => {
    const i = byPort.get(s.remotePort)?.index;
    return i === undefined ? undefined : connections[i];
  };
  let open = 0;
  let maxOpen = 0;
  let inData = 0;
  let maxInData = 0;
  let held = 0;

  const server = new SMTPServer({
    name: 'relay-sink.test',
    banner: 'relay sink',
    hidePIPELINING: initial.pipelining === false,
    hideSTARTTLS: true,
    hideENHANCEDSTATUSCODES: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    // Far more than any test opens: the limit under test is the client's.
    maxClients: 1000,
    onMailFrom(_address, session, cb) {
      const c = connectionOf(session);
      if (c) c.mails++;
      const hold = opts.holdMailMs ?? 0;
      if (!hold || !c) return cb();
      const mailNo = c.mails;
      setTimeout(() => {
        // This transaction's DATA is the mailNo-th DATA command on the wire.
        c.pipelined[mailNo - 1] = (byPort.get(c.remotePort)?.wire.dataCommands ?? 0) >= mailNo;
        cb();
      }, hold);
    },
    onRcptTo(address, _session, cb) {
      const r = opts.rcptReply?.(address.address);
      cb(r && /^[45]/.test(r) ? replyError(r) : undefined);
    },
    onData(stream, session, cb) {
      inData++;
      maxInData = Math.max(maxInData, inData);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => { inData--; });
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const m: RelayMessage = {
          messageId: messageIdOf(raw),
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          connection: byPort.get(session.remotePort)?.index ?? -1,
          at: Date.now(),
          raw,
        };
        messages.push(m);
        const reply = opts.dataReply?.(m);
        held++;
        setTimeout(() => {
          inData--;
          held--;
          if (reply && /^[45]/.test(reply)) return cb(replyError(reply));
          m.accepted = true;
          cb(null, `Ok: queued as relay${messages.length}`);
          opts.onAccepted?.(m);
        }, opts.holdDataMs ?? 0);
      });
    },
  });
  server.on('error', () => { /* a client killed mid-session; tests look at what arrived */ });

  // Registered after smtp-server's own listener: the socket is already its own; we
  // only watch the bytes go by (the client speaks only after the greeting).
  server.server.on('connection', (socket: Socket) => {
    const c: RelayConnection = { remotePort: socket.remotePort ?? 0, openedAt: Date.now(), mails: 0, pipelined: [] };
    const index = connections.push(c) - 1;
    const wire = new WireCount();
    byPort.set(c.remotePort, { index, wire });
    open++;
    maxOpen = Math.max(maxOpen, open);
    socket.on('data', (chunk: Buffer) => wire.feed(chunk));
    socket.once('close', () => {
      open--;
      c.closedAt = Date.now();
      if (byPort.get(c.remotePort)?.index === index) byPort.delete(c.remotePort);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    connections,
    messages,
    get maxOpen() { return maxOpen; },
    get maxInData() { return maxInData; },
    get open() { return open; },
    get inData() { return inData; },
    get held() { return held; },
    setOptions(o) { opts = o; },
    resetPeaks() { maxOpen = open; maxInData = inData; },
    async until(fn, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!fn()) {
        if (Date.now() > deadline) throw new Error(`relay sink: waited ${timeoutMs} ms for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Counts the client's DATA commands in its byte stream, skipping message content
 * (after a DATA the client sends content only once it has our 354, and the content
 * ends with a lone "."; RFC 5321 §4.1.1.4). A DATA we refuse would leave it
 * counting content that never comes: the tests answer every DATA with 354.
 */
class WireCount {
  dataCommands = 0;
  private partial = '';
  private inContent = false;

  feed(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('latin1')).split('\r\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (this.inContent) { if (line === '.') this.inContent = false; continue; }
      if (/^DATA$/i.test(line)) { this.dataCommands++; this.inContent = true; }
    }
  }
}

function messageIdOf(raw: Buffer): string {
  const head = raw.toString('latin1').split(/\r\n\r\n/, 1)[0].replace(/\r\n[ \t]+/g, ' ');
  const m = /^Message-ID:\s*<?([^>\r\n]*)>?/im.exec(head);
  return m ? m[1].trim() : '';
}
