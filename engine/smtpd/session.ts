// Translation between smtp-server's session object and our mail nouns: who the
// client is (ClientInfo), what the policy sees (PolicySession), what the client
// asked for (Envelope), and verdicts turned into replies. Never does I/O.
import type { SMTPServerSession } from 'smtp-server';
import type { ClientInfo, DsnNotify, Envelope } from '../contracts.ts';
import { SmtpError } from '../contracts.ts';
import type { PolicySession, Verdict } from '../policy/types.ts';
import { cipherBits } from '../tls/log-line.ts';

export type ListenerName = 'smtp' | 'submission' | 'smtps';

/** What smtpd remembers per connection besides smtp-server's own session. */
export interface SessionState {
  daemon: ListenerName;
  /** Unknown/refused recipients so far (badRcptThrottle, issue 6). */
  badRecipients: number;
  /** A connect- or HELO-stage DISCARD verdict applies to every message of the session. */
  discardSession: boolean;
  /** A MAIL/RCPT-stage DISCARD applies to the current transaction. */
  discardTransaction: boolean;
  /** The HELO name the policy already approved (HELO checks run at MAIL, see index.ts). */
  heloChecked?: string;
  /** The last RCPT TO path exactly as sent (source route included). */
  rawRecipient?: string;
  /** Client certificate verdict of the TLS handshake, if there was one. */
  tlsVerify?: 'OK' | 'NO' | 'FAIL';
  /** MAIL came without HELO/EHLO (needmailhelo unset): the HELO name is our stand-in. */
  impliedHelo?: boolean;
  /** badRcptThrottle engaged (logged once per session). */
  throttled?: boolean;
}

const stringOrUndefined = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export function clientInfo(session: SMTPServerSession, state: SessionState): ClientInfo {
  const user = session.user as unknown;
  const tls = session.tlsOptions;
  return {
    address: session.remoteAddress,
    // No PTR lookups (disableReverseLookup) and never ident: the name is unknown.
    helo: state.impliedHelo ? undefined : stringOrUndefined(session.hostNameAppearsAs),
    protocol: session.transmissionType || 'ESMTP',
    user: stringOrUndefined(user) ?? stringOrUndefined((user as { username?: unknown } | undefined)?.username),
    daemon: state.daemon,
    tls: tls ? {
      version: tls.version, cipher: tls.name,
      ...(cipherBits(tls.name) ? { bits: cipherBits(tls.name) } : {}),
      ...(state.tlsVerify ? { verify: state.tlsVerify } : {}),
    } : undefined,
  };
}

export function policySession(session: SMTPServerSession, state: SessionState): PolicySession {
  const env = session.envelope;
  return {
    client: clientInfo(session, state),
    localAddress: session.localAddress,
    sender: env?.mailFrom ? env.mailFrom.address : undefined,
    recipients: env ? env.rcptTo.map((r) => r.address) : [],
    badRecipients: state.badRecipients,
  };
}

export function envelopeOf(session: SMTPServerSession): Envelope {
  const env = session.envelope;
  const ret = env.dsn?.ret;
  const body = env.bodyType?.toUpperCase();
  return {
    sender: env.mailFrom ? env.mailFrom.address : '',
    recipients: env.rcptTo.map((r) => ({
      address: r.address,
      orcpt: r.dsn?.orcpt,
      notify: r.dsn?.notify as DsnNotify[] | undefined,
    })),
    ret: ret === 'FULL' || ret === 'HDRS' ? ret : undefined,
    envid: env.dsn?.envid ?? undefined,
    body: body === '7BIT' || body === '8BITMIME' ? body : undefined,
    smtputf8: env.smtpUtf8 || undefined,
  };
}

/**
 * A connect-stage refusal as the greeting allows it: RFC 5321 §3.1 / §4.3.2 permit
 * only 220, 554 (no service) or 421 (service not available, closing) there, so an
 * access-map `Connect:` REJECT or a DNSBL hit (550 elsewhere) becomes 554 5.7.1 and
 * any temporary failure (451/450) 421 4.7.1 — the text kept. Others → null (go on).
 */
export function greetingError(v: Verdict): SmtpError | null {
  if (v.action === 'reject') return new SmtpError(554, '5.7.1', v.text);
  if (v.action === 'tempfail') return new SmtpError(421, '4.7.1', v.text);
  return null;
}

/** reject/tempfail → the error smtp-server turns into that reply; anything else → null (go on). */
export function verdictError(v: Verdict): SmtpError | null {
  if (v.action === 'reject' || v.action === 'tempfail') return new SmtpError(v.code, v.enhanced, v.text);
  return null;
}
