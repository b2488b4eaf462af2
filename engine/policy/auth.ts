// The SMTP AUTH decision (RFC 4954) for smtpd: may this client log in with these
// credentials? Only inside TLS (538 5.7.11 otherwise, §6), never while its address
// is locked out by the brute-force brake (454 4.7.0), and a bad user and a bad
// password get the same reply after the same work (535 5.7.8). Answers questions;
// never writes settings or logs (smtpd logs the outcome).
import type { Settings } from '../config/schema.ts';
import { SmtpError } from '../contracts.ts';
import { bareIp } from '../config/access-map.ts';
import { createAuthThrottle, type AuthThrottle } from './auth-throttle.ts';
import { authenticate } from './auth-users.ts';

export interface AuthAttempt {
  /** Client IP address (the throttle's key). */
  address: string;
  /** Is the session inside TLS (STARTTLS done, or SMTPS)? */
  secure: boolean;
  username: string;
  password: string;
}

export type AuthOutcome = { ok: true; user: string } | { ok: false; error: SmtpError };

export type Authenticator = (attempt: AuthAttempt) => Promise<AuthOutcome>;

/** The mechanisms we offer: both send the password itself, so they exist only inside TLS. */
export const AUTH_METHODS = ['PLAIN', 'LOGIN'] as const;

export const ENCRYPTION_REQUIRED = () =>
  new SmtpError(538, '5.7.11', 'Encryption required for requested authentication mechanism');

export function createAuthenticator(deps: { settings: () => Settings; throttle?: AuthThrottle }): Authenticator {
  const throttle = deps.throttle ?? createAuthThrottle();
  return async ({ address, secure, username, password }) => {
    if (!secure) return { ok: false, error: ENCRYPTION_REQUIRED() };
    const key = bareIp(address);
    if (throttle.locked(key)) {
      return { ok: false, error: new SmtpError(454, '4.7.0', 'Temporary authentication failure; too many failures, try again later') };
    }
    if (await authenticate(deps.settings().users, username, password)) {
      throttle.succeeded(key);
      return { ok: true, user: username };
    }
    await throttle.failed(key);
    return { ok: false, error: new SmtpError(535, '5.7.8', 'Authentication credentials invalid') };
  };
}
