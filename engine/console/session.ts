// Browser sessions of one console (issue 11 §5). Trading `?token=` for a cookie
// used to put the long-lived token itself in the cookie, and browsers send
// cookies to every port of a host (RFC 6265 §8.5): any other web server on
// 127.0.0.1 received the token, which can add a `|program` alias. Now the cookie
// carries a random session id that exists only in this process's memory, under
// a name that includes the console's port, so
//  - another port sees at most a session id, never the token; the id dies with
//    the console and cannot be turned into the token;
//  - two consoles on one host (two data directories) keep separate cookies, and
//    logging into one does not log the other out.
// This module owns the ids and the cookie's text; guard.ts decides who passes.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, like the token: not guessable over HTTP. */
const SESSION_BYTES = 32;
/**
 * Sessions kept at once; the oldest goes first. Each `?token=` visit makes one,
 * so a person opening the link a few times a day stays far below this, while a
 * loop hammering the URL cannot grow memory without end.
 */
const MAX_SESSIONS = 256;

export interface Sessions {
  /** The cookie's name: `mailstop_console_<port>`. */
  readonly cookieName: string;
  /** A new session id, and the Set-Cookie header that carries it. */
  create(): { id: string; setCookie: string };
  valid(id: string | undefined): boolean;
}

export function createSessions(port: number, opts: { secure?: boolean } = {}): Sessions {
  const ids: string[] = [];
  const cookieName = `mailstop_console_${port}`;
  return {
    cookieName,
    create() {
      const id = randomBytes(SESSION_BYTES).toString('base64url');
      ids.push(id);
      if (ids.length > MAX_SESSIONS) ids.shift();
      // HttpOnly: page scripts never see it. SameSite=Strict: no other site rides on it.
      // Path=/ and no Domain: host-only, as the `__Host-` prefix demands (that prefix
      // itself needs Secure, which plain-HTTP loopback cannot give). No Max-Age: it
      // ends with the browser session.
      const setCookie = `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Strict${opts.secure ? '; Secure' : ''}`;
      return { id, setCookie };
    },
    valid(id) {
      if (!id) return false;
      const given = Buffer.from(id);
      // Constant time per comparison, so an id cannot be learned byte by byte.
      return ids.some((known) => {
        const k = Buffer.from(known);
        return k.length === given.length && timingSafeEqual(k, given);
      });
    },
  };
}
