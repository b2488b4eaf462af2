// Who may talk to the console: the Host header must name the address we are bound
// to (DNS rebinding defence), and the request must carry the token (Bearer header,
// for scripts), a session cookie (session.ts), or `?token=` on a page load. This
// module answers questions; it never writes a response body.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Sessions } from './session.ts';
import { tokenMatches } from './token.ts';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

/** An address as it appears in a Host header: IPv6 literals in brackets (RFC 7230 §5.4, RFC 3986 §3.2.2). */
function hostForm(address: string): string {
  return net.isIPv6(address) ? `[${address}]` : address;
}

/**
 * Whether a Host header names this console. A rebinding attack makes the browser
 * send the attacker's host name, so only literal addresses (and `localhost` when
 * we are on loopback) are accepted — never an arbitrary name.
 */
export function hostAllowed(hostHeader: string | undefined, boundAddress: string, port: number, names: readonly string[] = []): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  const allowed = new Set<string>([`${hostForm(boundAddress).toLowerCase()}:${port}`]);
  // Names given by the caller (the certificate's host name on an HTTPS console):
  // rebinding cannot forge them, since the browser checks the certificate first.
  for (const name of names) allowed.add(`${name.toLowerCase()}:${port}`);
  if (isLoopback(boundAddress)) for (const name of LOOPBACK_NAMES) allowed.add(`${name}:${port}`);
  if (allowed.has(host)) return true;
  if (isWildcard(boundAddress)) {
    // Bound to every interface: accept any IP literal of ours plus localhost. A
    // literal IP cannot be rebound, and DNS names are what rebinding needs.
    const m = /^(\[[0-9a-f:.]+\]|[0-9.]+|localhost):(\d+)$/.exec(host);
    if (!m || Number(m[2]) !== port) return false;
    const name = m[1].replace(/^\[|\]$/g, '');
    return name === 'localhost' || net.isIP(name) !== 0;
  }
  return false;
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    // A malformed %-escape from some other program's cookie is no session, not an error.
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

/** The token in the Authorization header (scripts), or this console's session cookie (browsers). */
export function authenticated(req: IncomingMessage, token: string, sessions: Sessions): boolean {
  return tokenMatches(bearer(req), token) || sessions.valid(readCookie(req, sessions.cookieName));
}

/**
 * A state-changing request from a page must come from our own origin. Browsers send
 * Origin on cross-site POSTs; when present it must name this console's host.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host.toLowerCase() === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
