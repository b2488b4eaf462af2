// One SMTP session to one address with nodemailer's SMTPConnection: connect,
// (STARTTLS), (AUTH), one transaction carrying every recipient, QUIT — or, with
// a connection cache, a parked session checked by RSET instead of the connect,
// and the session parked again instead of the QUIT (smtp-cache.ts). It
// reports what the peer said per recipient, or why there was no session; it
// never decides sent/deferred/bounced and never retries (smtp.ts does both).
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { DsnNotify, OutboundMessage } from '../contracts.ts';
import type { Transcript } from './smtp-transcript.ts';
import { cacheKey, isClosed, politeClose, type ConnectionCache, type Reusable } from './smtp-cache.ts';
import { tlsLogLine } from '../tls/log-line.ts';
import { downgrade8bit } from './downgrade-8bit.ts';

/** opportunistic: STARTTLS if offered, unverified; required: no TLS, no mail. */
export type TlsPolicy = 'opportunistic' | 'none' | 'required' | 'implicit';

export interface SessionParams {
  ip: string;
  port: number;
  /** The host's name: SNI and the transcript. */
  hostName: string;
  /** Our EHLO name. */
  helo: string;
  tls: TlsPolicy;
  auth?: { user: string; pass: string };
  connectTimeoutMs: number;
  transcript: Transcript;
  /** Where a finished session may idle for the next message, and where one is looked for first. */
  cache?: ConnectionCache;
}

export interface SessionRecipient { address: string; notify?: DsnNotify[]; orcpt?: string }

/**
 * code 0: no verdict — the connection was lost before the peer answered for this recipient.
 * dsnPassedOn: accepted by a peer that offered DSN, so NOTIFY/ORCPT went with the RCPT.
 */
export interface RcptOutcome { address: string; code: number; reply: string; dsnPassedOn?: boolean }

export type SessionOutcome =
  | { kind: 'unreachable'; reason: 'refused' | 'timeout' | 'closed' | 'error'; detail: string }
  | { kind: 'tls-failed'; detail: string }
  /** The peer refused the session before any transaction (greeting, EHLO, STARTTLS, AUTH). */
  | { kind: 'session-rejected'; stage: string; code: number; reply: string }
  | { kind: 'done'; results: RcptOutcome[]; lostDuring?: string };

// RFC 5321 §4.5.3.2: command replies may take 5 minutes, the final "." 10; one
// inactivity limit of 5 minutes covers the commands, and a server silent that long
// after our "." is treated as a lost connection (deferred, so at worst a duplicate).
const SOCKET_TIMEOUT_MS = 5 * 60_000;

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
  recipient?: string;
}

/** The connection's internals we rely on (nodemailer 10; covered by the transport tests). */
interface ConnInternals {
  _supportedExtensions: string[];
  _recipientQueue: string[];
  _envelope: false | { accepted: string[]; rejectedErrors: NodemailerError[] };
  _getDsnRcptToArgs: () => string;
  _socket: unknown;
}

/** A connection and where its listeners report: the transcript of the attempt now using it. */
interface Live {
  conn: SMTPConnection;
  uses: number;
  route: Route;
}

interface Route {
  t: Transcript;
  /** Whether the session got as far as asking for TLS (see connectFresh). */
  startTlsSent: boolean;
  failure?: NodemailerError;
  /**
   * The server's replies since our last MAIL FROM (undefined before one): with
   * PIPELINING (RFC 2920) MAIL, RCPT and DATA go out together, and the first reply
   * after MAIL is MAIL's.
   */
  sinceMail?: string[];
}

export async function runSession(p: SessionParams, from: string, recipients: SessionRecipient[], message: OutboundMessage): Promise<SessionOutcome> {
  const key = p.cache ? cacheKey({ ip: p.ip, port: p.port, tls: p.tls, helo: p.helo, auth: p.auth }) : '';
  const cached = p.cache?.take(key);
  const live = cached ? await reuse(cached, p) : undefined;
  if (live) {
    const { outcome, beforeMail } = await transact(live, p, key, from, recipients, message);
    // A reused connection that died before the server answered MAIL FROM carried no
    // part of this message (RFC 5321 §3.3: nothing is accepted before RCPT and DATA):
    // trying once more on a fresh connection cannot deliver twice.
    if (!beforeMail) return outcome;
    p.transcript.note(`Reused connection to ${p.hostName} [${p.ip}] was lost; retrying on a new connection`);
  }
  const fresh = await connectFresh(p);
  if (!('conn' in fresh)) return fresh;
  return (await transact(fresh, p, key, from, recipients, message)).outcome;
}

/** A parked connection, checked with RSET (RFC 5321 §4.1.1.5) before it carries mail; undefined when it is no good. */
async function reuse(r: Reusable, p: SessionParams): Promise<Live | undefined> {
  const live = routeOf(r.conn);
  if (!live) { politeClose(r.conn); return undefined; }
  live.uses = r.uses;
  live.route.t = p.transcript;
  live.route.startTlsSent = false;
  live.route.failure = undefined;
  live.route.sinceMail = undefined;
  p.transcript.note(`Reusing connection to ${p.hostName} [${p.ip}]:${p.port}`);
  // Within a burst the check would cost a round trip per message for nothing: a peer
  // that hung up has sent its FIN (the cache dropped the session on 'end'), and one
  // that goes away during MAIL FROM is retried safely (runSession).
  if (Date.now() - (r.idleSince ?? 0) < VERIFY_AFTER_IDLE_MS) { noteTls(r.conn, p, p.transcript, true); return live; }
  const ok = await new Promise<boolean>((resolve) => {
    // The peer may have hung up while we idled: its FIN can arrive after our RSET.
    const onEnd = () => done(false);
    const timer = setTimeout(() => done(false), p.connectTimeoutMs);
    function done(v: boolean) { clearTimeout(timer); r.conn.removeListener('end', onEnd); resolve(v); }
    r.conn.once('end', onEnd);
    r.conn.reset((err) => done(!err));
  });
  if (ok) { noteTls(r.conn, p, p.transcript, true); return live; }
  r.conn.close();
  p.transcript.note(`Cached connection to ${p.hostName} [${p.ip}] no longer usable; opening a new one`);
  return undefined;
}

/**
 * A session idle longer than this is checked with RSET before reuse: it bounds the
 * wait for a peer that vanished without a FIN (a NAT or firewall dropping the flow)
 * to the connect timeout instead of the 5-minute command timeout.
 */
const VERIFY_AFTER_IDLE_MS = 1_000;

const routes = new WeakMap<SMTPConnection, Live>();
function routeOf(conn: SMTPConnection): Live | undefined { return routes.get(conn); }

/** Connect, (STARTTLS), (AUTH): a session ready for a transaction, or why there is none. */
async function connectFresh(p: SessionParams): Promise<Live | Exclude<SessionOutcome, { kind: 'done' }>> {
  const route: Route = { t: p.transcript, startTlsSent: false };
  const conn = new SMTPConnection({
    host: p.ip,
    port: p.port,
    name: p.helo,
    secure: p.tls === 'implicit',
    ignoreTLS: p.tls === 'none',
    requireTLS: p.tls === 'required',
    opportunisticTLS: p.tls === 'opportunistic',
    connectionTimeout: p.connectTimeoutMs,
    greetingTimeout: p.connectTimeoutMs,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // Sendmail delivers over TLS whatever the certificate (verify=FAIL in the log);
    // refusing is a policy choice (requireTls) made above us.
    tls: { rejectUnauthorized: false, ...(isName(p.hostName) ? { servername: p.hostName } : {}) },
    transactionLog: true,
    logger: {
      level: () => undefined,
      trace: () => undefined,
      // route.t: a cached connection reports to the transcript of the attempt using it now.
      debug: (entry: { tnx?: string }, msg: string) => {
        if (entry?.tnx === 'client') {
          if (/^STARTTLS$/i.test(String(msg))) route.startTlsSent = true;
          if (/^MAIL FROM/i.test(String(msg))) route.sinceMail = [];
          route.t.client(String(msg));
        }
        else if (entry?.tnx === 'server') {
          route.sinceMail?.push(String(msg));
          route.t.server(String(msg));
        }
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      fatal: () => undefined,
    } as never,
  });
  const live: Live = { conn, uses: 0, route };
  routes.set(conn, live);
  const t = p.transcript;

  // Errors arrive as 'error' events (and then 'end'); the connect callback only fires on success.
  // The listener stays for the connection's life, also while it idles in the cache.
  conn.on('error', (err: NodemailerError) => { route.failure ??= err; });

  t.note(`Connecting to ${p.hostName} [${p.ip}]:${p.port}${p.tls === 'implicit' ? ' (TLS)' : ''}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const onEnd = () => reject(route.failure ?? Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' }));
      conn.once('end', onEnd);
      conn.connect(() => { conn.removeListener('end', onEnd); resolve(); });
    });
  } catch (err) {
    conn.close();
    const e = err as NodemailerError;
    if (route.startTlsSent && !conn.secure && !e.responseCode) return { kind: 'tls-failed', detail: e.message };
    return connectFailure(e);
  }
  noteTls(conn, p, t);

  try {
    if (p.auth) {
      if (conn.allowsAuth) {
        await new Promise<void>((resolve, reject) => conn.login({ user: p.auth!.user, pass: p.auth!.pass }, (err) => (err ? reject(err) : resolve())));
      } else {
        t.note('AUTH not offered by the server; sending without authentication');
      }
    }
  } catch (err) {
    const e = err as NodemailerError;
    conn.close();
    if (e.responseCode) return { kind: 'session-rejected', stage: 'AUTH', code: e.responseCode, reply: e.response ?? e.message };
    return connectFailure(e);
  }
  return live;
}

/** One transaction on a ready session; afterwards the session is parked in the cache or QUIT. */
async function transact(live: Live, p: SessionParams, key: string, from: string, recipients: SessionRecipient[], message: OutboundMessage): Promise<{ outcome: SessionOutcome; beforeMail?: boolean }> {
  const { conn } = live;
  const t = p.transcript;
  const internals = conn as unknown as ConnInternals;
  installPerRecipientDsn(internals, recipients);

  // RFC 6531 §3.2: a non-ASCII address may only travel to a server that offers SMTPUTF8.
  const needsUtf8 = [from, ...recipients.map((r) => r.address)].some((a) => /[^\x00-\x7f]/.test(a));
  if (needsUtf8 && !internals._supportedExtensions.includes('SMTPUTF8')) {
    await quit(conn);
    const reply = `553 5.6.7 SMTPUTF8 is required, but was not offered by host ${p.hostName}`;
    t.note(reply);
    return { outcome: { kind: 'done', results: recipients.map((r) => ({ address: r.address, code: 553, reply })) } };
  }

  // RFC 6152: 8-bit content is declared (BODY=8BITMIME) to a peer that offers it;
  // for any other peer it is converted to 7 bits (downgrade-8bit.ts), never sent raw.
  const eightBit = message.body === '8BITMIME';
  let content: Readable | Buffer;
  try {
    // A small message is read in one go (spool.readInline), not streamed.
    content = message.bytes?.() ?? message.open() as unknown as Readable;
  } catch (err) {
    return { outcome: unreadable(conn, err, recipients) };
  }
  let size = message.size;
  if (eightBit && !internals._supportedExtensions.includes('8BITMIME')) {
    let raw: Buffer;
    try {
      raw = Buffer.isBuffer(content) ? content : await readAll(content);
    } catch (err) {
      return { outcome: unreadable(conn, err, recipients) };
    }
    const { message: seven, converted } = downgrade8bit(raw, p.helo);
    if (converted > 0) t.note(`${p.hostName} does not offer 8BITMIME: ${converted} body part(s) converted to 7 bit (RFC 6152)`);
    content = seven;
    size = seven.length;
  }
  const envelope = {
    from: from === '' ? false as const : from,
    to: recipients.map((r) => r.address),
    size,
    use8BitMime: eightBit,
    dsn: message.ret || message.envid ? { ret: message.ret, envid: message.envid } : {},
  };
  const stream = content;
  try {
    const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
      conn.send(envelope, stream, (err, res) => (err ? reject(err) : resolve(res!))));
    // Kept for the next message to this server (no QUIT), when the cache has room.
    if (!(p.cache?.put(key, { conn, uses: live.uses + 1 }))) await quit(conn);
    const rejected = new Map((info.rejectedErrors ?? []).map((e) => [e.recipient, e as NodemailerError]));
    // RFC 3461 §6.2.6.1: to a DSN-aware peer the NOTIFY travels on (installPerRecipientDsn)
    // and the success report becomes its job; to any other peer it is ours ("relayed").
    const dsnPassedOn = internals._supportedExtensions.includes('DSN');
    return {
      outcome: {
        kind: 'done',
        results: recipients.map((r) => {
          const e = rejected.get(r.address);
          if (e) return { address: r.address, code: e.responseCode ?? 0, reply: e.response ?? e.message };
          return { address: r.address, code: codeOf(info.response), reply: info.response, ...(dsnPassedOn ? { dsnPassedOn } : {}) };
        }),
      },
    };
  } catch (err) {
    const e = err as NodemailerError;
    // A refusal of the final "." (other than 421, the server closing) ends this
    // transaction, not the session (RFC 5321 §4.1.1.4): every reply is in, and the
    // next message to this server may use it, as Postfix does. Anything else: hang up.
    const transactionOver = e.code === 'EMESSAGE' && !!e.responseCode && e.responseCode !== 421 && !isClosed(conn);
    if (!(transactionOver && p.cache?.put(key, { conn, uses: live.uses + 1 }))) conn.close();
    if (!Buffer.isBuffer(stream)) stream.destroy();
    // No answer to MAIL FROM, or 421 (RFC 5321 §3.8: the server is closing this
    // session, e.g. its idle limit struck while we kept it): nothing was accepted.
    const replies = live.route.sinceMail;
    const beforeMail = !!replies && (replies.length === 0 || /^421[ -]/.test(replies[0]));
    return { outcome: transactionFailure(e, recipients, internals), beforeMail };
  }
}

/** The queued message could not be read (removed meanwhile, a disk error): nothing was sent, it stays queued. */
function unreadable(conn: SMTPConnection, err: unknown, recipients: SessionRecipient[]): SessionOutcome {
  conn.close();
  const reply = `cannot read the queued message: ${(err as Error).message}`;
  return { kind: 'done', lostDuring: 'message transfer', results: recipients.map((r) => ({ address: r.address, code: 0, reply })) };
}

/** The whole stored message (only for a 7-bit peer: at most smtp.maxMessageSize octets). */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk as Buffer);
  return Buffer.concat(chunks);
}

// A polite QUIT gets this long for its 221 before we hang up; the mail is already
// delivered, so a slow peer must not hold the queue runner.
const QUIT_WAIT_MS = 2000;

/** QUIT and wait for the peer's 221 (so the transcript ends with it), but not for long. */
function quit(conn: SMTPConnection): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { conn.close(); resolve(); }, QUIT_WAIT_MS);
    conn.once('end', () => { clearTimeout(timer); resolve(); });
    conn.quit();
  });
}

/** nodemailer sends one NOTIFY/ORCPT for all RCPTs; ours differ per recipient (RFC 3461 §4). */
function installPerRecipientDsn(conn: ConnInternals, recipients: SessionRecipient[]): void {
  const byAddress = new Map(recipients.map((r) => [r.address, r]));
  conn._getDsnRcptToArgs = function (this: ConnInternals) {
    if (!this._supportedExtensions.includes('DSN')) return '';
    const current = this._recipientQueue[this._recipientQueue.length - 1];
    const r = current === undefined ? undefined : byAddress.get(current);
    const args: string[] = [];
    if (r?.notify?.length) args.push(`NOTIFY=${r.notify.join(',')}`);
    if (r?.orcpt) args.push(`ORCPT=${xtext(r.orcpt.includes(';') ? r.orcpt : `rfc822;${r.orcpt}`)}`);
    return args.length ? ` ${args.join(' ')}` : '';
  };
}

/** RFC 3461 §4: xtext — "+", "=", controls and non-ASCII as +HH. */
export function xtext(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((b) => (b < 33 || b > 126 || b === 0x2b || b === 0x3d ? `+${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b)))
    .join('');
}

function connectFailure(e: NodemailerError): Exclude<SessionOutcome, { kind: 'done' }> {
  const sys = e.originalCode ?? e.code;
  if (e.code === 'ETLS') return { kind: 'tls-failed', detail: e.message };
  if (e.responseCode) {
    // A reply instead of the greeting (421/554) or a refused EHLO/HELO/STARTTLS.
    const stage = e.command === 'CONN' ? 'greeting' : (e.command ?? 'greeting');
    return { kind: 'session-rejected', stage, code: e.responseCode, reply: e.response ?? e.message };
  }
  if (sys === 'ECONNREFUSED') return { kind: 'unreachable', reason: 'refused', detail: e.message };
  if (e.code === 'ETIMEDOUT') return { kind: 'unreachable', reason: 'timeout', detail: e.message };
  if (e.code === 'ECONNECTION' || sys === 'ECONNRESET' || sys === 'EPIPE') return { kind: 'unreachable', reason: 'closed', detail: e.message };
  return { kind: 'unreachable', reason: 'error', detail: e.message };
}

function transactionFailure(e: NodemailerError, recipients: SessionRecipient[], conn: ConnInternals): SessionOutcome {
  const env = conn._envelope || { accepted: [], rejectedErrors: [] };
  const rcptErr = new Map(env.rejectedErrors.map((x) => [x.recipient, x]));
  // A verdict for everyone: a failed MAIL FROM, a refused DATA or final "."
  const whole = e.responseCode && e.response && e.command !== 'RCPT TO' ? { code: e.responseCode, reply: e.response } : undefined;
  if (e.code === 'EMESSAGE' && !e.responseCode && /size/i.test(e.message)) {
    // SIZE (RFC 1870 §6): the server announced a limit below this message.
    const reply = `552 5.3.4 Message size exceeds fixed maximum message size (${e.message.replace(/\D+/g, '')})`;
    return { kind: 'done', results: recipients.map((r) => ({ address: r.address, code: 552, reply })) };
  }
  const lost = !whole && !(e.command === 'RCPT TO' && e.responseCode);
  // A refused MAIL FROM decides for everyone; the RCPTs pipelined after it only got 503s.
  const mailRefused = whole && e.command === 'MAIL FROM';
  return {
    kind: 'done',
    lostDuring: lost ? stageName(e.command) : undefined,
    results: recipients.map((r) => {
      const x = mailRefused ? undefined : rcptErr.get(r.address);
      if (x?.responseCode) return { address: r.address, code: x.responseCode, reply: x.response ?? x.message };
      if (whole) return { address: r.address, code: whole.code, reply: whole.reply };
      return { address: r.address, code: 0, reply: e.message };
    }),
  };
}

function stageName(command: string | undefined): string {
  switch (command) {
    case 'MAIL FROM': return 'MAIL FROM';
    case 'RCPT TO': return 'RCPT TO';
    case 'DATA': return 'DATA';
    default: return 'message transfer';
  }
}

export function codeOf(reply: string): number {
  const m = /^(\d{3})/.exec(reply);
  return m ? Number(m[1]) : 0;
}

function isName(host: string): boolean {
  return /[a-z]/i.test(host) && !host.includes(':');
}

/**
 * Sendmail's STARTTLS=client line, so a person can see whether the hop was encrypted
 * (`*** STARTTLS=client, relay=…, version=…, verify=…, cipher=…, bits=…/…`). Once per
 * TLS handshake: qmgr copies exactly these notes to the maillog. A cached session
 * carrying another message gets the same facts marked as reused, not a new line.
 */
function noteTls(conn: SMTPConnection, p: SessionParams, t: Transcript, reused = false): void {
  const socket = (conn as unknown as ConnInternals)._socket as TLSSocket | undefined;
  if (!conn.secure || !socket || typeof socket.getCipher !== 'function') return;
  // Sendmail names the host it connected to: an MX name with its root dot, an address in brackets.
  const relay = isIP(p.hostName) ? `[${p.hostName}]` : `${p.hostName.replace(/\.$/, '')}.`;
  const line = tlsLogLine('client', relay, socket);
  t.note(reused ? `TLS session reused: ${line}` : line);
}
