// Who may talk to the console: the Host header must name the address we are bound
// to (DNS rebinding defence), and the request must carry the token (Bearer header,
// the session cookie, or `?token=` on a page load). This module answers questions;
// it never writes a response body.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { tokenMatches } from './token.ts';

export const COOKIE_NAME = 'mailstop_console';

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
export function hostAllowed(hostHeader: string | undefined, boundAddress: string, port: number): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  const allowed = new Set<string>([`${hostForm(boundAddress).toLowerCase()}:${port}`]);
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
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

/** Token from the Authorization header or the session cookie (not the query string). */
export function authenticated(req: IncomingMessage, token: string): boolean {
  return tokenMatches(bearer(req), token) || tokenMatches(readCookie(req, COOKIE_NAME), token);
}

/**
 * The session cookie: HttpOnly so page scripts never see the token, SameSite=Strict
 * so another site cannot ride on it (CSRF). No Max-Age: it lasts the browser session.
 */
export function sessionCookie(token: string): string {
  return `${COOKIE_NAME}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
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
