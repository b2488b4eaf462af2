// A real SMTP peer for tests (smtp-server on loopback, port 0): plays the remote MX
// or the smart host. It records every connection and every accepted message with
// its envelope and DSN parameters, can answer scripted errors per stage or per
// recipient, check AUTH PLAIN/LOGIN, and offer STARTTLS / implicit TLS with a
// throw-away self-signed certificate. It stores nothing on disk but the cert.
//
// smtp-server writes its own enhanced status code in front of every reply, picked
// from the numeric code (452 → 4.2.2, 550 → 5.1.1, 554 → 5.6.0 ...). A scripted
// reply's own enhanced code is therefore dropped from the text; when a test needs
// an exact enhanced code on the wire, use scripted-smtp.ts instead.
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface SinkReplies {
  /** Reply to the connection instead of the greeting, e.g. '421 Try later' / '554 Go away'. */
  connect?: string;
  mailFrom?: string;
  /** Per recipient (address, case-insensitive) or computed. undefined = accept. */
  rcpt?: Record<string, string> | ((address: string) => string | undefined);
  /** Reply to the end of DATA. undefined = accept with 250. */
  data?: string | ((message: SinkMessage) => string | undefined);
}

export interface SinkOptions {
  address?: string;
  port?: number;
  /** Name in the greeting / EHLO reply. */
  hostname?: string;
  replies?: SinkReplies;
  /** Offer STARTTLS with a self-signed certificate. */
  tls?: boolean;
  /** Implicit TLS from the first byte (SMTPS). */
  secure?: boolean;
  /** Refuse MAIL FROM before STARTTLS (530 5.7.0). */
  requireTls?: boolean;
  /** Require AUTH PLAIN/LOGIN with these credentials before MAIL FROM. */
  auth?: { user: string; pass: string };
  /** SIZE limit advertised and enforced (552). */
  size?: number;
  /** Offer the DSN extension (default true). */
  dsn?: boolean;
  /** Anything else smtp-server accepts (wins over the above). */
  serverOptions?: Partial<SMTPServerOptions>;
}

export interface SinkRecipient {
  address: string;
  /** NOTIFY values, upper case (RFC 3461 §4.1). */
  notify?: string[];
  /** ORCPT as received, e.g. "rfc822;user@example.com" (RFC 3461 §4.2). */
  orcpt?: string;
  args: Record<string, string | true>;
}

export interface SinkMessage {
  envelope: { mailFrom: string; rcptTo: string[] };
  /** The message exactly as received in DATA (dot-unstuffed, CRLF). */
  raw: Buffer;
  /** MAIL FROM parameters, keys upper case (SIZE, BODY, RET, ENVID, SMTPUTF8...). */
  mailParams: Record<string, string | true>;
  recipients: SinkRecipient[];
  dsn: { ret: string | null; envid: string | null };
  bodyType?: string;
  smtpUtf8?: boolean;
  /** The session was TLS when DATA ended. */
  secure: boolean;
  /** Authenticated user, if any. */
  user?: string;
  helo: string;
  remoteAddress: string;
  at: number;
}

export interface SinkConnection { at: number; remoteAddress: string; id: string }

export interface Sink {
  address: string;
  port: number;
  /** "127.0.0.1:PORT". */
  host: string;
  messages: SinkMessage[];
  connections: SinkConnection[];
  /** Every AUTH attempt: user name and whether it succeeded (never the password). */
  auths: { user: string; ok: boolean; method: string }[];
  /** Replace the scripted replies while running. */
  setReplies(replies: SinkReplies): void;
  /** Resolves with the first n messages once they arrived; rejects after timeoutMs (default 5000). */
  waitForMessages(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  waitForConnections(n: number, timeoutMs?: number): Promise<SinkConnection[]>;
  /** Forget recorded messages, connections and auths. */
  reset(): void;
  close(): Promise<void>;
}

/** "452 4.2.2 Mailbox full" → an error smtp-server replies with (see header). */
export function replyError(reply: string): Error & { responseCode: number } {
  const m = /^(\d{3})(?:[ -]+(?:[245]\.\d{1,3}\.\d{1,3}\s+)?(.*))?$/s.exec(reply.trim());
  if (!m) throw new Error(`not an SMTP reply: ${reply}`);
  const err = new Error(m[2] || 'Scripted reply') as Error & { responseCode: number };
  err.responseCode = Number(m[1]);
  return err;
}

const isFailure = (reply: string | undefined): boolean => reply !== undefined && /^[45]/.test(reply.trim());

export async function startSink(opts: SinkOptions = {}): Promise<Sink> {
  let replies: SinkReplies = opts.replies ?? {};
  const messages: SinkMessage[] = [];
  const connections: SinkConnection[] = [];
  const auths: Sink['auths'] = [];
  const waiters = new Set<() => void>();
  const notify = () => { for (const w of waiters) w(); };

  const tlsNeeded = opts.tls || opts.secure;
  const cert = tlsNeeded ? await selfSignedCert() : undefined;

  const server: SMTPServer = new SMTPServer({
    name: opts.hostname ?? 'sink.test',
    banner: 'sink ready',
    secure: !!opts.secure,
    ...(cert ? { key: cert.key, cert: cert.cert } : {}),
    hideSTARTTLS: !opts.tls,
    hideDSN: opts.dsn === false,
    hideENHANCEDSTATUSCODES: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    disableReverseLookup: true,
    size: opts.size ?? 0,
    authOptional: !opts.auth,
    authMethods: ['PLAIN', 'LOGIN'],
    // Real servers refuse AUTH in clear text once they offer TLS; without TLS a test
    // smart host still has to accept it.
    allowInsecureAuth: !tlsNeeded,
    disabledCommands: opts.auth ? [] : ['AUTH'],
    logger: false,
    onConnect(session, cb) {
      connections.push({ at: Date.now(), remoteAddress: session.remoteAddress, id: session.id });
      notify();
      cb(isFailure(replies.connect) ? replyError(replies.connect!) : undefined);
    },
    onAuth(auth, session, cb) {
      const ok = !!opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass;
      auths.push({ user: auth.username ?? '', ok, method: auth.method });
      if (!ok) return cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      cb(null, { user: auth.username });
    },
    onMailFrom(_address, session, cb) {
      if (opts.requireTls && !session.secure) return cb(replyError('530 5.7.0 Must issue a STARTTLS command first'));
      cb(isFailure(replies.mailFrom) ? replyError(replies.mailFrom!) : undefined);
    },
    onRcptTo(address, _session, cb) {
      const r = typeof replies.rcpt === 'function'
        ? replies.rcpt(address.address)
        : lookupCaseless(replies.rcpt, address.address);
      cb(isFailure(r) ? replyError(r!) : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // smtp-server only flags an oversized message; the reply is ours (see brief).
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          return cb(replyError('552 5.3.4 Message size exceeds fixed limit'));
        }
        const msg = toSinkMessage(session, Buffer.concat(chunks));
        const r = typeof replies.data === 'function' ? replies.data(msg) : replies.data;
        if (isFailure(r)) return cb(replyError(r!));
        messages.push(msg);
        notify();
        cb(null, r ? r.replace(/^\d{3}[ -]+/, '') : `Ok: queued as sink${messages.length}`);
      });
    },
    ...opts.serverOptions,
  });
  server.on('error', () => { /* a client's broken TLS handshake etc.; tests look at results */ });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, opts.address ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.server.address() as AddressInfo;

  const waitFor = <T>(list: T[], n: number, what: string, timeoutMs = 5000): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (list.length < n) return false;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(list.slice(0, n));
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`sink: waited ${timeoutMs} ms for ${n} ${what}, got ${list.length}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });

  return {
    address,
    port,
    host: `${address}:${port}`,
    messages,
    connections,
    auths,
    setReplies(r) { replies = r; },
    waitForMessages: (n, t) => waitFor(messages, n, 'messages', t),
    waitForConnections: (n, t) => waitFor(connections, n, 'connections', t),
    reset() { messages.length = 0; connections.length = 0; auths.length = 0; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function lookupCaseless(map: Record<string, string> | undefined, address: string): string | undefined {
  if (!map) return undefined;
  const a = address.toLowerCase();
  for (const [k, v] of Object.entries(map)) if (k.toLowerCase() === a) return v;
  return undefined;
}

function toSinkMessage(session: SMTPServerSession, raw: Buffer): SinkMessage {
  const env = session.envelope;
  const from = env.mailFrom === false ? { address: '', args: false as const } : env.mailFrom;
  return {
    envelope: { mailFrom: from.address, rcptTo: env.rcptTo.map((r) => r.address) },
    raw,
    mailParams: from.args || {},
    recipients: env.rcptTo.map((r) => ({ address: r.address, notify: r.dsn?.notify, orcpt: r.dsn?.orcpt, args: r.args || {} })),
    dsn: { ret: env.dsn?.ret ?? null, envid: env.dsn?.envid ?? null },
    bodyType: env.bodyType,
    smtpUtf8: env.smtpUtf8,
    secure: session.secure,
    user: session.user as string | undefined,
    helo: session.hostNameAppearsAs,
    remoteAddress: session.remoteAddress,
    at: Date.now(),
  };
}

let certPromise: Promise<{ key: Buffer; cert: Buffer; dir: string }> | undefined;

/**
 * A self-signed certificate for CN=localhost (+ IP 127.0.0.1), made once per test
 * process with openssl into a temp dir. Valid for one day: long enough for any run.
 */
export function selfSignedCert(): Promise<{ key: Buffer; cert: Buffer; dir: string }> {
  certPromise ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-cert-'));
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    await new Promise<void>((resolve, reject) => {
      execFile('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
      (err) => (err ? reject(err) : resolve()));
    });
    return { key: await fs.readFile(keyFile), cert: await fs.readFile(certFile), dir };
  })();
  return certPromise;
}
