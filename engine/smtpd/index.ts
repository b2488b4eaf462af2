// smtpd: the SMTP listeners (smtp, submission, smtps) on smtp-server. Owns the
// dialogue — limits, the policy questions at each step, replies — and hands each
// message to cleanup. Answers `250` to DATA only after cleanup resolved, i.e.
// after the spool commit is on disk. Never writes the spool itself, never
// delivers, never does ident or PTR lookups. Issue 6: STARTTLS / SMTPS with the
// material of engine/tls, SMTP AUTH on submission and smtps (inside TLS only),
// Srv_Features per client and the bad-recipient throttle; the smtp.privacy flags
// (needmailhelo, noetrn with ETRN of RFC 1985, authwarnings, goaway = all of them).
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Listener } from '../contracts.ts';
import type { AuthVerdict, Verify } from '../auth/verify.ts';
import type { Cleanup } from '../cleanup/index.ts';
import type { Settings } from '../config/schema.ts';
import type { QueueEntry } from '../contracts.ts';
import { SmtpError } from '../contracts.ts';
import { asciiReply, hasUnsafe, inert } from '../inert-text.ts';
import type { SmtpPolicy } from '../policy/types.ts';
import type { Spool } from '../queue/types.ts';
import type { TLSSocket } from 'node:tls';
import { accessMapOf } from '../config/access-map.ts';
import { AUTH_METHODS, createAuthenticator } from '../policy/auth.ts';
import type { AuthThrottle } from '../policy/auth-throttle.ts';
import { authHandler } from './auth.ts';
import { connectionOf, installHooks, installUpgradeHook } from './connection-hooks.ts';
import { clientInfo, envelopeOf, greetingError, policySession, verdictError, type ListenerName, type SessionState } from './session.ts';
import { createTlsRuntime } from './tls-runtime.ts';
import { Anvil, refusalText } from './anvil.ts';
import { assertRoom } from '../queue/free-space.ts';

export type { ListenerName } from './session.ts';

/** The part of the maillog smtpd uses (engine/log/maillog.ts MailLog satisfies it). */
export interface SmtpdLog {
  fromLine(e: QueueEntry): void;
  info(id: string | null, text: string): void;
}

export interface SmtpdDeps {
  settings: () => Settings;
  cleanup: Cleanup;
  policy: SmtpPolicy;
  spool: Spool;
  log: SmtpdLog;
  hostname: () => string;
  /** Data directory, for relative tls.cert / tls.key paths; default the working directory. */
  home?: string;
  /** The AUTH brute-force brake; default 5 failures per 15 minutes, 1 s pause per failure. */
  authThrottle?: AuthThrottle;
  /** ETRN (RFC 1985): start delivering what is queued for this domain (qmgr flush of `@domain`). */
  onEtrn?: (domain: string) => void;
  /** SPF / DKIM / DMARC / ARC of mail from strangers on the SMTP port (issue 15, engine/auth/verify.ts). */
  verify?: Verify;
}

/** smtp.privacy flags in force; Sendmail's goaway sets all but restrictmailq/restrictqrun. */
export function privacyFlags(settings: Settings): Set<string> {
  const flags = new Set<string>(settings.smtp.privacy);
  if (flags.has('goaway')) for (const f of ['novrfy', 'noexpn', 'noetrn', 'needmailhelo', 'authwarnings']) flags.add(f);
  return flags;
}

/**
 * RFC 1985 §5: ETRN takes a domain or "@domain" (its subdomains too). "#queue" names a
 * Sendmail queue, which Mailstop does not have; it gets the syntax reply.
 */
const ETRN_ARG = /^@?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

export interface Smtpd {
  /** Start a listener; port 0 picks a free port, reported in the result. */
  listen(name: ListenerName, address: string, port: number): Promise<Listener>;
  /** Stop every listener; sessions still running get up to CLOSE_GRACE_MS to finish. */
  close(): Promise<void>;
}

/** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
const SOCKET_TIMEOUT_MS = 5 * 60_000;
/** Long enough for a message in transfer to finish at shutdown; short enough for a restart. */
const CLOSE_GRACE_MS = 5_000;
/** Sendmail's confBAD_RCPT_THROTTLE pause: one second per RCPT once the limit is reached. */
const BAD_RCPT_PAUSE_MS = 1_000;
/** Listeners where clients log in (RFC 6409 submission, RFC 8314 implicit TLS). */
const AUTH_LISTENERS: readonly ListenerName[] = ['submission', 'smtps'];

/** How often idle sessions are looked for while a pool is under stress (anvil.ts). */
const STRESS_SWEEP_MS = 1_000;

/** What the stress sweep needs of an smtp-server connection. */
interface ClosableConnection {
  remoteAddress: string;
  send(code: number, data?: string): void;
  close(): void;
}

/**
 * Build an smtp-server callback error carrying its reply (enhanced code in the
 * text). Reply text is ASCII (RFC 5321 §4.2), whatever the message quotes.
 */
const asReply = (e: SmtpError) => Object.assign(new Error(asciiReply(e.message)), { responseCode: e.responseCode });

/**
 * RFC 5321 §4.1.2: no control character belongs in a path (qtextSMTP is %d32-126).
 * Refused before anything stores, logs or echoes the address (issue 11 §3).
 */
function controlInAddress(address: string, enhanced: '5.1.7' | '5.1.3'): SmtpError | null {
  return hasUnsafe(address) ? new SmtpError(553, enhanced, 'Bad address syntax: control character in address') : null;
}

export function createSmtpd(deps: SmtpdDeps): Smtpd {
  const servers: SMTPServer[] = [];
  const states = new WeakMap<SMTPServerSession, SessionState>();
  /** Sessions per pool and per client (anvil.ts): the connection limits and stress. */
  const anvil = new Anvil(() => deps.settings().smtp);
  /** Live connections by session id, for closing idle ones under stress. */
  const live = new Map<string, ClosableConnection>();
  let stressTimer: NodeJS.Timeout | undefined;
  const { log } = deps;
  const tls = createTlsRuntime({ settings: deps.settings, home: deps.home ?? process.cwd(), log: (text) => log.info(null, text) });
  const authenticator = createAuthenticator({ settings: deps.settings, ...(deps.authThrottle ? { throttle: deps.authThrottle } : {}) });
  /** Client-certificate verdicts of implicit TLS, known before onConnect creates the state. */
  const verdicts = new WeakMap<SMTPServerSession, SessionState['tlsVerify']>();

  const stateOf = (session: SMTPServerSession): SessionState => {
    const state = states.get(session);
    // onConnect creates it; every later callback comes after onConnect.
    if (!state) throw new Error(`smtpd: no state for session ${session.id}`);
    return state;
  };

  const logReject = (stage: string, arg: string, session: SMTPServerSession, e: SmtpError) =>
    log.info(null, `ruleset=${stage}, arg1=<${arg}>, relay=[${session.remoteAddress}], reject=${e.responseCode} ${e.message}`);

  function handlers(server: SMTPServer, daemon: ListenerName): Partial<SMTPServerOptions> {
    return {
      onConnect(session, callback) {
        const settings = deps.settings();
        const hostname = deps.hostname();
        const state: SessionState = { daemon, badRecipients: 0, discardSession: false, discardTransaction: false, tlsVerify: verdicts.get(session) };
        states.set(session, state);
        tls.poke();
        const features = accessMapOf(settings).srvFeatures({ address: session.remoteAddress });
        server.options.size = settings.smtp.maxMessageSize;
        const conn = connectionOf(server, session);
        const privacy = privacyFlags(settings);
        if (conn) {
          installHooks(conn, {
            hostname,
            greeting: settings.smtp.greeting.replaceAll('$j', hostname),
            maxErrors: settings.smtp.maxErrors,
            help: settings.smtp.help,
            novrfy: privacy.has('novrfy'),
            noexpn: privacy.has('noexpn'),
            needMailHelo: privacy.has('needmailhelo'),
            heloImplied: (implied) => (state.impliedHelo = implied),
            etrnOffered: !privacy.has('noetrn'),
            onEtrn: (arg) => etrn(arg, session, state),
            onRawRecipient: (path) => (state.rawRecipient = path),
            tlsAvailable: !!tls.current(),
            starttls: !!tls.current() && features.starttls,
            requestCert: features.requestCert,
            auth: AUTH_LISTENERS.includes(daemon) && settings.users.length > 0 && features.auth,
            onCommand: () => anvil.command(session.id),
          });
        }
        // Counted before the policy answers, so simultaneous arrivals cannot all slip in.
        const admitted = anvil.admit(session.id, daemon, session.remoteAddress);
        if (!admitted.ok) {
          log.info(null, admitted.limit === 'pool'
            ? `rejecting connections on daemon ${daemon}: ${admitted.count} children, max ${admitted.max} (${admitted.setting})`
            : `Connection ${admitted.limit === 'rate' ? 'rate' : 'concurrency'} limit exceeded: ${admitted.count} from [${session.remoteAddress}] for service ${daemon} (${admitted.setting} ${admitted.max})`);
          const { enhanced, text } = refusalText(hostname, session.remoteAddress, admitted);
          return callback(asReply(new SmtpError(421, enhanced, text)));
        }
        if (conn) live.set(session.id, conn as unknown as ClosableConnection);
        const refuse = (err: Error) => {
          anvil.release(session.id);
          live.delete(session.id);
          callback(err);
        };
        deps.policy.onConnect(policySession(session, state)).then((verdict) => {
          // smtp-server sends this instead of the greeting and closes the connection.
          const err = greetingError(verdict);
          if (err) {
            logReject('check_relay', session.remoteAddress, session, err);
            return refuse(asReply(err));
          }
          if (verdict.action === 'discard') state.discardSession = true;
          callback();
        }, (err: unknown) => refuse(internalError('connect', err)));
      },

      onSecure(socket, session, callback) {
        const verdict = tls.handshake(socket as TLSSocket, session.remoteAddress);
        verdicts.set(session, verdict);
        const state = states.get(session);
        if (state) state.tlsVerify = verdict;
        callback();
      },

      onAuth: authHandler(authenticator, (text) => log.info(null, text), asReply),

      onClose(session) {
        anvil.release(session.id);
        live.delete(session.id);
      },

      onMailFrom(address, session, callback) {
        const state = stateOf(session);
        state.discardTransaction = false;
        const bad = controlInAddress(address.address, '5.1.7');
        if (bad) return callback(replyFor('check_mail', inert(address.address), session, bad));
        mailFrom(address.address, declaredSize(address.args), session, state).then(() => callback(), (err: unknown) => callback(replyFor('check_mail', address.address, session, err)));
      },

      onRcptTo(address, session, callback) {
        const state = stateOf(session);
        const raw = state.rawRecipient;
        state.rawRecipient = undefined;
        const bad = controlInAddress(address.address, '5.1.3');
        if (bad) return callback(replyFor('check_rcpt', inert(address.address), session, bad));
        throttle(session, state).then(() => rcptTo(address.address, raw, session, state)).then(() => callback(), (err: unknown) => {
          if (err instanceof SmtpError && err.responseCode >= 500) state.badRecipients++;
          callback(replyFor('check_rcpt', address.address, session, err));
        });
      },

      onData(stream, session, callback) {
        const state = stateOf(session);
        anvil.data(session.id, true);
        data(stream, session, state).finally(() => anvil.data(session.id, false))
          .then((text) => callback(null, text), (err: unknown) => callback(replyFor('data', envelopeOf(session).sender, session, err)));
      },
    };
  }

  /** SmtpError → its reply; anything else is our fault: 451, and the peer retries later. */
  function replyFor(stage: string, arg: string, session: SMTPServerSession, err: unknown): Error {
    if (err instanceof SmtpError) {
      logReject(stage, arg, session, err);
      return asReply(err);
    }
    return internalError(stage, err);
  }

  function internalError(stage: string, err: unknown): Error {
    log.info(null, `smtpd ${stage}: ${err instanceof Error ? err.message : String(err)}`);
    return asReply(new SmtpError(451, '4.3.0', 'Local error in processing; please try again later'));
  }

  /** ETRN (RFC 1985): only for clients that may relay, since it makes us open connections. */
  async function etrn(arg: string, session: SMTPServerSession, state: SessionState): Promise<{ code: number; text: string }> {
    if (privacyFlags(deps.settings()).has('noetrn')) return { code: 502, text: '5.7.0 Sorry, ETRN is disabled' };
    if (!ETRN_ARG.test(arg)) return { code: 501, text: '5.5.2 Syntax: ETRN domain' };
    const allowed = deps.policy.mayRelay ? await deps.policy.mayRelay(policySession(session, state)) : false;
    // RFC 1985 §5: 458 "Unable to queue messages for node" — the client may try elsewhere.
    if (!allowed || !deps.onEtrn) {
      log.info(null, `ETRN ${arg} refused: relay=[${session.remoteAddress}] may not relay`);
      return { code: 458, text: `4.7.1 Unable to queue messages for node ${arg}` };
    }
    const node = arg.replace(/^@/, '');
    log.info(null, `ETRN ${arg}: queue run started, relay=[${session.remoteAddress}]`);
    deps.onEtrn(node);
    return { code: 250, text: `2.0.0 Queuing for node ${node} started` };
  }

  /** confBAD_RCPT_THROTTLE: after N refused recipients, every further RCPT waits a second. */
  async function throttle(session: SMTPServerSession, state: SessionState): Promise<void> {
    const limit = deps.settings().smtp.badRcptThrottle;
    if (limit === 0 || state.badRecipients < limit) return;
    if (!state.throttled) {
      state.throttled = true;
      log.info(null, `Possible SMTP RCPT flood, throttling: ${state.badRecipients} bad recipients, relay=[${session.remoteAddress}]`);
    }
    await new Promise((resolve) => setTimeout(resolve, BAD_RCPT_PAUSE_MS));
  }

  async function mailFrom(sender: string, declaredSize: number, session: SMTPServerSession, state: SessionState): Promise<void> {
    const settings = deps.settings();
    // Sendmail's MinFreeBlocks: refuse before the client sends anything big; a
    // client that announced SIZE= (RFC 1870 §6) is refused if that would not fit.
    await assertRoom(deps.spool, settings.smtp.minFreeBlocks, declaredSize);
    const ps = policySession(session, state);
    // HELO checks run here, not at HELO (smtp-server has no HELO hook): this is
    // Postfix's smtpd_delay_reject, which also gives the client a clear reply to a command.
    const helo = ps.client.helo ?? '';
    if (state.heloChecked !== helo) {
      const verdict = await deps.policy.onHelo(ps, helo);
      throwIfRefused(verdict);
      if (verdict.action === 'discard') state.discardSession = true;
      state.heloChecked = helo;
    }
    const verdict = await deps.policy.onMailFrom({ ...ps, sender }, sender);
    throwIfRefused(verdict);
    if (verdict.action === 'discard') state.discardTransaction = true;
  }

  async function rcptTo(address: string, raw: string | undefined, session: SMTPServerSession, state: SessionState): Promise<void> {
    const settings = deps.settings();
    const current = session.envelope.rcptTo;
    const max = settings.smtp.maxRcptsPerMessage;
    if (current.length >= max && !current.some((r) => r.address.toLowerCase() === address.toLowerCase())) {
      // RFC 5321 §4.5.3.1.10: 452 for too many recipients; the client sends the rest later.
      throw new SmtpError(452, '4.5.3', `Too many recipients (max ${max} per message)`);
    }
    // smtp-server drops a source route ("@a,@b:user@c"); the policy must see it.
    const path = raw && raw.startsWith('@') ? raw : address;
    const verdict = await deps.policy.onRcptTo(policySession(session, state), path);
    throwIfRefused(verdict);
    if (verdict.action === 'discard') state.discardTransaction = true;
  }

  async function data(stream: Readable, session: SMTPServerSession, state: SessionState): Promise<string> {
    if (state.discardSession || state.discardTransaction) {
      stream.resume();
      // A client that vanishes mid-message ends the stream early; nothing to answer then.
      await finished(stream).catch(() => undefined);
      log.info(null, `discarded message from <${envelopeOf(session).sender}>, relay=[${session.remoteAddress}]`);
      return '2.0.0 Ok: message accepted';
    }
    // Sendmail's authwarnings case for SMTP: "didn't use HELO protocol" (cleanup adds it only with the flag).
    const authWarnings = state.impliedHelo ? [`[${session.remoteAddress}] didn't use HELO protocol`] : [];
    const envelope = envelopeOf(session);
    const client = clientInfo(session, state);
    // Inside the trust boundary (may relay): signed on the way out, not checked on the way in (issue 15).
    if (deps.policy.mayRelay && await deps.policy.mayRelay(policySession(session, state))) client.internal = true;
    let checked: AuthVerdict | undefined;
    const verify = deps.verify;
    const authenticate = verify && state.daemon === 'smtp' && !client.user && !client.internal && deps.settings().auth.verify
      ? async (message: Readable): Promise<AuthVerdict> => {
        try {
          checked = await verify({ ip: session.remoteAddress, helo: client.helo, sender: envelope.sender }, message);
        } catch (err) {
          // The checks are advice: a failure of ours never costs the sender its message.
          checked = { headers: '', action: 'accept', summary: `checks failed: ${err instanceof Error ? err.message : String(err)}` };
          message.resume();
        }
        return checked;
      }
      : undefined;
    const entry = await deps.cleanup.accept(envelope, client, stream, { lineEndings: 'crlf-strict', authWarnings, ...(authenticate ? { authenticate } : {}) });
    log.fromLine(entry);
    if (checked) log.info(entry.id, `auth: ${checked.summary}${checked.action !== 'accept' ? `, ${checked.action}: ${checked.reason}` : ''}`);
    return `2.0.0 Ok: queued as ${entry.id}`;
  }

  /**
   * Under stress (anvil.ts), sessions idle for STRESS_IDLE_MS are told so and closed,
   * as Postfix's smtpd does with its short stress timeout (421 4.4.2, RFC 3463 "bad
   * connection"). Checked every second: the precision a 10-second limit needs.
   */
  function sweepIdle(): void {
    for (const id of anvil.idleUnderStress()) {
      const conn = live.get(id);
      anvil.release(id);
      live.delete(id);
      if (!conn) continue;
      log.info(null, `timeout waiting for input from [${conn.remoteAddress}] under load (pool nearly full); closing`);
      conn.send(421, `4.4.2 ${deps.hostname()} Error: timeout exceeded (server busy)`);
      conn.close();
    }
  }

  return {
    async listen(name, address, port) {
      const settings = deps.settings();
      stressTimer ??= setInterval(sweepIdle, STRESS_SWEEP_MS).unref();
      const material = await tls.init();
      if (name === 'smtps' && !material) {
        throw new Error('listen.smtps: implicit TLS needs tls.cert and tls.key');
      }
      const options: SMTPServerOptions = {
        name: deps.hostname(),
        secure: name === 'smtps',
        ...(material?.options ?? {}),
        size: settings.smtp.maxMessageSize,
        hideDSN: false,
        hideENHANCEDSTATUSCODES: false,
        hideSMTPUTF8: false,
        hide8BITMIME: false,
        hidePIPELINING: false,
        disableReverseLookup: true,
        // AUTH is optional everywhere: it grants relaying, mail to our own domains needs
        // none. smtp-server's "unauthenticated commands" limit must not apply to everybody.
        authOptional: true,
        authMethods: [...AUTH_METHODS],
        maxAllowedUnauthenticatedCommands: false,
        // WIZ/SHELL/KILL are smtp-server's Sendmail jokes; XCLIENT/XFORWARD would let a
        // client claim another address. STARTTLS stays on: connection-hooks offers it per
        // client, and only while a certificate is loaded (one may arrive while running).
        disabledCommands: ['XCLIENT', 'XFORWARD', 'WIZ', 'SHELL', 'KILL', ...(AUTH_LISTENERS.includes(name) ? [] : ['AUTH'])],
        heloResponse: '%s Hello %s, pleased to meet you',
        socketTimeout: SOCKET_TIMEOUT_MS,
        closeTimeout: CLOSE_GRACE_MS,
        logger: false,
      };
      const server = new SMTPServer(options);
      Object.assign(server, handlers(server, name));
      server.on('error', (err: NodeJS.ErrnoException) => {
        // A peer resetting its connection is routine, not worth a log line.
        if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') log.info(null, `smtpd ${name}: ${err.message}`);
      });
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, address, () => {
          server.server.off('error', reject);
          resolve();
        });
      });
      servers.push(server);
      tls.attach(server);
      // Srv_Features V on implicit TLS: the certificate request is made before onConnect.
      if (name === 'smtps') installUpgradeHook(server, (address) => accessMapOf(deps.settings()).srvFeatures({ address }).requestCert);
      const bound = server.server.address() as AddressInfo;
      log.info(null, `starting daemon (Mailstop): ${name} on ${bound.address} port ${bound.port}`);
      return { name, address: bound.address, port: bound.port };
    },

    async close() {
      clearInterval(stressTimer);
      stressTimer = undefined;
      const all = servers.splice(0);
      await Promise.all(all.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** RFC 1870 SIZE= of MAIL FROM, in octets; 0 when absent or not a number. */
function declaredSize(args: unknown): number {
  const raw = args && typeof args === 'object' ? (args as Record<string, unknown>).SIZE : undefined;
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : 0;
}

function throwIfRefused(verdict: Parameters<typeof verdictError>[0]): void {
  const err = verdictError(verdict);
  if (err) throw err;
}
