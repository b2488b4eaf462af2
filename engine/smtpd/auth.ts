// smtp-server's onAuth for our listeners: PLAIN and LOGIN, decided by
// engine/policy/auth.ts (TLS only, throttled, same reply for a bad user and a
// bad password), logged the way Sendmail logs AUTH (AUTH=server, ...).
// Never logs a password.
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import { SmtpError } from '../contracts.ts';
import type { Authenticator } from '../policy/auth.ts';

type Callback = (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void;

export function authHandler(authenticator: Authenticator, log: (text: string) => void, asReply: (e: SmtpError) => Error) {
  return (auth: SMTPServerAuthentication, session: SMTPServerSession, callback: Callback): void => {
    const username = auth.username ?? '';
    // PLAIN may name an authorization identity; acting as somebody else is not offered.
    const raw = auth as SMTPServerAuthentication & { authzid?: string; authcid?: string };
    const proxy = !!raw.authzid && !!raw.authcid && raw.authzid !== raw.authcid;
    authenticator({ address: session.remoteAddress, secure: session.secure, username, password: auth.password ?? '' }).then((outcome) => {
      if (outcome.ok && !proxy) {
        log(`AUTH=server, relay=[${session.remoteAddress}], authid=${outcome.user}, mech=${auth.method}`);
        return callback(null, { user: outcome.user });
      }
      const error = outcome.ok ? new SmtpError(535, '5.7.8', 'Authentication credentials invalid') : outcome.error;
      log(`AUTH failure (${auth.method}): ${error.responseCode} ${error.message}, relay=[${session.remoteAddress}]`);
      callback(asReply(error));
    }, (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
  };
}
