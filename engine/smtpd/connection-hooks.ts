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
//     policy could see it.
import type { SMTPServer, SMTPServerSession } from 'smtp-server';

type Handler = (command: Buffer, callback: () => void) => void;

export interface ConnectionInternals {
  session: SMTPServerSession;
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
}

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
