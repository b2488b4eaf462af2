// The few places where smtp-server's per-connection behaviour differs from what a
// Sendmail administrator expects, adjusted on each connection object (never on the
// shared prototype, so other smtp-server instances in the process are untouched).
// This file is the only one that touches smtp-server internals; each one used is
// listed in `ConnectionInternals` so an upgrade has one place to check:
//   - the greeting text (smtp.greeting, "$j" = our host name),
//   - our enhanced status codes passed through unchanged (smtp-server would
//     otherwise derive its own from the reply code: 550 → 5.1.1),
//   - counting error replies and closing after smtp.maxErrors (421 4.7.0) instead
//     of smtp-server's fixed "10 unrecognized commands",
//   - HELP / EXPN / VRFY answers following smtp.help and smtp.privacy,
//   - the raw RCPT TO path, because smtp-server drops a source route before the
//     policy could see it,
//   - STARTTLS and AUTH per client (issue 6): STARTTLS only with a certificate and
//     unless the access map's Srv_Features says S; a client certificate asked for
//     unless it says V; AUTH neither advertised nor accepted outside TLS
//     (RFC 4954 §4: 538 5.7.11), and only where the listener offers it,
//   - MAIL before HELO/EHLO (smtp-server always refuses it; Sendmail only with
//     needmailhelo) and ETRN (RFC 1985; smtp-server has no such command),
//   - on implicit TLS (smtps) the client-certificate request per client address,
//     decided in the server's `_upgrade` before any SMTP is spoken.
import type { SMTPServer, SMTPServerSession } from 'smtp-server';

type Handler = (command: Buffer, callback: () => void) => void;

export interface ConnectionInternals {
  session: SMTPServerSession;
  /** Inside TLS (after STARTTLS, or from the start on smtps). */
  secure: boolean;
  /** The server the connection belongs to; its options are read at STARTTLS time. */
  _server: { options: { requestCert?: boolean } };
  /** Host name smtp-server puts into HELO replies and its own 421 texts. */
  name: string;
  send(code: number, data?: string | string[], context?: string | false): void;
  _sendGreeting(): void;
  /** smtp-server's own counter that closes the session at 10; we keep it at 0. */
  _unrecognizedCommands: number;
  handler_HELP?: Handler;
  handler_EXPN?: Handler;
  handler_VRFY?: Handler;
  handler_RCPT?: Handler;
  handler_STARTTLS?: Handler;
  handler_AUTH?: Handler;
  handler_ETRN?: Handler;
  /** The client's HELO/EHLO name; false until one was given. smtp-server refuses MAIL while false. */
  hostNameAppearsAs: string | false;
  remoteAddress: string;
  _onCommand(command: Buffer, callback: () => void): void;
}

/** The server method that wraps an implicit-TLS socket (smtp-server internal). */
interface ServerInternals {
  options: { requestCert?: boolean };
  _upgrade(socket: { remoteAddress?: string }, callback: (...args: unknown[]) => void): void;
}

/**
 * Every smtp-server member this file reads or replaces, with what it must be.
 * smtp-server is pinned to one exact version (package.json), and
 * test/engine/smtpd/connection-internals.test.ts checks each of these on a real
 * connection, so an upgrade that renames one fails there, loudly, not in a session.
 * (handler_ETRN and handler_EXPN are ours: smtp-server has neither command; it
 * dispatches every command to `handler_<NAME>`, which the HELP/VRFY checks cover.)
 */
export const CONNECTION_INTERNALS = {
  session: 'object', secure: 'boolean', _server: 'object', name: 'string', send: 'function',
  _sendGreeting: 'function', _unrecognizedCommands: 'number', handler_HELP: 'function',
  handler_VRFY: 'function', handler_RCPT: 'function',
  handler_STARTTLS: 'function', handler_AUTH: 'function', hostNameAppearsAs: 'boolean',
  remoteAddress: 'string', _onCommand: 'function',
} as const satisfies Partial<Record<keyof ConnectionInternals, string>>;
/** The server's members used here and by connectionOf. */
export const SERVER_INTERNALS = { options: 'object', connections: 'object', _upgrade: 'function' } as const;

/** A reply text that already starts with an RFC 3463 enhanced status code. */
const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;

export interface HookOptions {
  hostname: string;
  greeting: string;
  maxErrors: number;
  help: boolean;
  novrfy: boolean;
  noexpn: boolean;
  /** Called with the path of every RCPT TO exactly as the client sent it. */
  onRawRecipient: (path: string) => void;
  /** A certificate is loaded (otherwise STARTTLS does not exist here). */
  tlsAvailable: boolean;
  /** Offer STARTTLS to this client (a certificate is loaded and Srv_Features has no S). */
  starttls: boolean;
  /** Ask this client for a certificate during STARTTLS (tls.verifyClients and no V). */
  requestCert: boolean;
  /** AUTH on this listener for this client (submission/smtps, users exist, no A); only ever inside TLS. */
  auth: boolean;
  /** Sendmail's needmailhelo: MAIL before HELO/EHLO gets 503; otherwise it is accepted. */
  needMailHelo: boolean;
  /** Told whether the current "HELO name" is one we made up because MAIL came without HELO. */
  heloImplied: (implied: boolean) => void;
  /** ETRN (RFC 1985) advertised in EHLO (noetrn unset). The command itself always goes to onEtrn. */
  etrnOffered: boolean;
  /** The ETRN reply for this argument (policy, noetrn and the queue run decided by the caller). */
  onEtrn: (arg: string) => Promise<{ code: number; text: string }>;
  /** Told of every complete command line (anvil.ts: the session is not idle). */
  onCommand?: () => void;
}

/** The connection object of a session (smtp-server hands onConnect only the session). */
export function connectionOf(server: SMTPServer, session: SMTPServerSession): ConnectionInternals | undefined {
  for (const conn of server.connections as Set<unknown>) {
    if ((conn as ConnectionInternals).session === session) return conn as ConnectionInternals;
  }
  return undefined;
}

/** Is this reply one that counts toward smtp.maxErrors? */
function countsAsError(code: number, data: string | string[] | undefined): boolean {
  if (code < 400 || code === 421) return false;
  // Postfix's recipient overshoot: "too many recipients" answers do not count as
  // client errors, a client with a long list simply sends the rest again.
  return !(code === 452 && typeof data === 'string' && data.startsWith('4.5.3 '));
}

export function installHooks(conn: ConnectionInternals, opts: HookOptions): void {
  const send = conn.send.bind(conn);
  let errors = 0;
  let closing = false;

  conn.name = opts.hostname;
  conn.send = (code, data, context) => {
    conn._unrecognizedCommands = 0;
    // The EHLO reply is the one 250 sent as a list: drop what this client may not use.
    if (code === 250 && Array.isArray(data)) {
      data = data.filter((line, i) => i === 0
        || !((/^STARTTLS$/i.test(line) && !opts.starttls) || (/^AUTH /i.test(line) && !(opts.auth && conn.secure))));
      if (opts.etrnOffered) data.push('ETRN');
    }
    if (typeof data === 'string' && ENHANCED.test(data)) context = false;
    send(code, data, context);
    if (code === 421) closing = true;
    if (closing || !countsAsError(code, data)) return;
    errors++;
    if (errors >= opts.maxErrors) {
      closing = true;
      // Sendmail: "421 4.7.0 host Too many bad commands; closing connection".
      send(421, `4.7.0 ${opts.hostname} Too many errors; closing connection`, false);
    }
  };
  conn._sendGreeting = () => send(220, opts.greeting, false);

  conn.handler_HELP = (_command, callback) => {
    if (opts.help) conn.send(214, `2.0.0 ${opts.hostname} Mailstop. Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY (RFC 5321)`);
    else conn.send(502, '5.5.1 HELP not implemented');
    callback();
  };
  conn.handler_EXPN = (_command, callback) => {
    // Mailing lists are not expanded for strangers (Sendmail's noexpn).
    if (opts.noexpn) conn.send(502, '5.7.0 Sorry, we do not allow this operation');
    else conn.send(252, '2.5.2 Cannot EXPN; try RCPT to discover');
    callback();
  };
  conn.handler_VRFY = (command, callback) => {
    if (!command.toString().trim().split(/\s+/)[1]) conn.send(501, '5.5.4 Syntax: VRFY address');
    // RFC 5321 §3.5.3: 252 when we will not say whether a user exists. Mailstop never
    // does (novrfy or not); the flag only decides the wording.
    else if (opts.novrfy) conn.send(252, '2.5.2 Cannot VRFY user; try RCPT to attempt delivery');
    else conn.send(252, '2.5.2 Cannot VRFY user, but will accept message and attempt delivery');
    callback();
  };

  const starttls = conn.handler_STARTTLS;
  conn.handler_STARTTLS = (command, callback) => {
    // Without a certificate there is no STARTTLS at all (smtp-server's unknown-command
    // reply); a client refused it by Srv_Features S gets RFC 3207 §4's 454.
    if (!opts.tlsAvailable || !starttls) {
      conn.send(500, '5.5.2 Error: command not recognized');
      return callback();
    }
    if (!opts.starttls) {
      conn.send(454, '4.7.0 TLS not available');
      return callback();
    }
    // smtp-server reads requestCert from the server options while STARTTLS runs
    // (synchronously): switch it for this one client and put it back at once.
    const options = conn._server.options;
    const before = options.requestCert;
    options.requestCert = before && opts.requestCert;
    try {
      starttls.call(conn, command, callback);
    } finally {
      options.requestCert = before;
    }
  };

  const auth = conn.handler_AUTH;
  conn.handler_AUTH = (command, callback) => {
    if (!conn.secure) conn.send(538, '5.7.11 Encryption required for requested authentication mechanism');
    else if (!opts.auth || !auth) conn.send(503, '5.5.1 AUTH not available');
    else return auth.call(conn, command, callback);
    callback();
  };

  const onCommand = conn._onCommand.bind(conn);
  conn._onCommand = (command, callback) => {
    opts.onCommand?.();
    const name = (command || '').toString().split(' ')[0].toUpperCase();
    if (name === 'HELO' || name === 'EHLO') opts.heloImplied(false);
    else if (name === 'MAIL' && !conn.hostNameAppearsAs) {
      if (opts.needMailHelo) {
        // Sendmail's needmailhelo reply (its enhanced code is the RFC 3463 "bad sequence").
        conn.send(503, '5.5.1 Polite people say HELO first');
        return setImmediate(callback);
      }
      // smtp-server refuses MAIL until a HELO name exists: stand in the address literal
      // (what Sendmail's Received: shows for such a client) and remember it was made up.
      const literal = `[${conn.remoteAddress}]`;
      conn.hostNameAppearsAs = literal;
      conn.session.hostNameAppearsAs = literal;
      opts.heloImplied(true);
    }
    onCommand(command, callback);
  };

  conn.handler_ETRN = (command, callback) => {
    const arg = command.toString().trim().split(/\s+/)[1] ?? '';
    opts.onEtrn(arg).then(({ code, text }) => conn.send(code, text), () => conn.send(451, '4.3.0 Local error in processing'))
      .finally(callback);
  };

  const rcpt = conn.handler_RCPT;
  if (rcpt) {
    conn.handler_RCPT = (command, callback) => {
      const text = command.toString();
      const m = /<([^<>]*)>/.exec(text.slice(text.indexOf(':') + 1));
      opts.onRawRecipient(m ? m[1] : '');
      rcpt.call(conn, command, callback);
    };
  }
}

/**
 * Implicit TLS decides the client-certificate request at TLS accept time, before
 * onConnect: switch requestCert for this socket's address while smtp-server builds
 * its TLS options (synchronously, at the start of `_upgrade`), as STARTTLS does above.
 */
export function installUpgradeHook(server: SMTPServer, requestCertFor: (address: string) => boolean): void {
  const internals = server as unknown as ServerInternals;
  const upgrade = internals._upgrade.bind(server);
  internals._upgrade = (socket, callback) => {
    const options = internals.options;
    const before = options.requestCert;
    options.requestCert = before && requestCertFor(socket.remoteAddress ?? '');
    try {
      upgrade(socket, callback);
    } finally {
      options.requestCert = before;
    }
  };
}
