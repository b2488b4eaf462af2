// The headless console: the EngineApi and the built renderer over loopback HTTP
// (DESIGN.md "mailstop serve"), or HTTPS with the mail certificate when bound to
// another address (issue 11 §5). It owns the HTTP server, the access rules and
// the URL it prints; every call goes straight to EngineApi, so it never holds
// mail logic of its own, and it never builds the renderer.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import { randomBytes } from 'node:crypto';
import type { EngineApi } from '../api.ts';
import { handleCall, handleEvents } from './api-routes.ts';
import { isLoopbackAddress } from '../config/names.ts';
import { authenticated, hostAllowed, originAllowed } from './guard.ts';
import { createSessions, type Sessions } from './session.ts';
import { contentSecurityPolicy } from './csp.ts';
import { serveStatic } from './static.ts';
import { loadOrCreateToken, tokenMatches } from './token.ts';

export interface ConsoleOptions {
  address: string;
  /** 0 picks a free port; read the real one back from the result. */
  port: number;
  /** Data directory: the token lives in `<home>/console-token`. */
  home: string;
  /** Built renderer; defaults to `<repo>/dist/renderer`. */
  staticDir?: string;
  /** PEM certificate and key: the console speaks HTTPS (required off loopback unless allowPlainHttp). */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** Off loopback without TLS: plain HTTP anyway (console.allowPlainHttp; behind a TLS proxy). */
  allowPlainHttp?: boolean;
  /** Host names the console answers to besides its address (the certificate's name, e.g. `hostname`). */
  names?: string[];
}

/** A console that must not start as configured; the message names the field. */
export class ConsoleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleConfigError';
  }
}

export interface ConsoleHandle {
  /** The URL to open, token included: `http://127.0.0.1:8025/?token=…` (https off loopback). */
  url: string;
  /** Where the socket really is: `127.0.0.1:8025`, `0.0.0.0:8025` (every interface). */
  listening: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = path.join(PACKAGE_ROOT, 'dist', 'renderer') + path.sep;

const UNAUTHORIZED_PAGE = '<!doctype html><meta charset="utf-8"><title>Mailstop</title>' +
  '<p>This console needs its access token: open the URL printed by <code>mailstop serve</code> ' +
  '(it ends in <code>?token=…</code>), or find the token in the data directory\'s <code>console-token</code> file.</p>\n';

function baseHeaders(res: http.ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function plain(res: http.ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(text);
}

export async function startConsole(api: EngineApi, opts: ConsoleOptions): Promise<ConsoleHandle> {
  // The token can add a `|program` alias: it never crosses a network in clear
  // text unless the administrator says so (a TLS proxy in front, a trusted LAN).
  if (!isLoopbackAddress(opts.address) && !opts.tls && !opts.allowPlainHttp) {
    throw new ConsoleConfigError(`console.address: ${opts.address} is not loopback: the console then needs tls.cert and tls.key ` +
      '(it speaks HTTPS), or console.allowPlainHttp: true');
  }
  const token = await loadOrCreateToken(opts.home);
  const staticDir = path.resolve(opts.staticDir ?? DEFAULT_STATIC_DIR);
  const streams = new Set<() => void>();
  const wildcard = opts.address === '0.0.0.0' || opts.address === '::';
  // A wildcard bind is reached by the machine's name: answer to it too.
  const names = [...(opts.names ?? []), ...(wildcard && !opts.names?.length ? [os.hostname()] : [])];
  let port = opts.port;
  // Made once the port is known (the cookie is named after it); no request comes earlier.
  let sessions!: Sessions;

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) plain(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  };
  const server = opts.tls
    ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, onRequest)
    : http.createServer(onRequest);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    baseHeaders(res);
    // DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 still sends
    // "Host: evil.example". 421 = "not the server you meant" (RFC 9110 §15.5.20).
    if (!hostAllowed(req.headers.host, opts.address, port, names)) {
      return plain(res, 421, 'misdirected request: this console answers only to its own address\n');
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://console.invalid');
    } catch {
      return plain(res, 400, 'bad request: malformed URL\n');
    }

    if (url.pathname.startsWith('/api/')) {
      if (!authenticated(req, token, sessions)) return plain(res, 401, 'missing or wrong token\n');
      if (!originAllowed(req)) return plain(res, 403, 'cross-origin request refused\n');
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') return plain(res, 405, 'use GET\n');
        return handleEvents(api, req, res, (stop) => {
          streams.add(stop);
          return () => streams.delete(stop);
        });
      }
      let method: string;
      try {
        method = decodeURIComponent(url.pathname.slice('/api/'.length));
      } catch {
        // `/api/%ZZ`: the client's mistake, not ours (RFC 9110 §15.5.1).
        return plain(res, 400, 'bad request: malformed %-escape in the URL\n');
      }
      return handleCall(api, method, req, res);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed\n');
    }
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!tokenMatches(given, token)) return plain(res, 401, UNAUTHORIZED_PAGE, 'text/html; charset=utf-8');
      // Trade the token in the URL for a cookie and drop it from the address bar,
      // so it does not linger in history or get copied along with the link.
      url.searchParams.delete('token');
      res.writeHead(303, { 'Set-Cookie': sessions.create().setCookie, Location: url.pathname + url.search, 'Cache-Control': 'no-store' });
      return void res.end();
    }
    if (!authenticated(req, token, sessions)) return plain(res, 401, UNAUTHORIZED_PAGE, 'text/html; charset=utf-8');

    const nonce = randomBytes(16).toString('base64');
    const file = await serveStatic(staticDir, url.pathname, nonce, req.headers['accept-encoding']);
    const headers: Record<string, string> = { 'Content-Type': file.type };
    if (file.encoding) headers['Content-Encoding'] = file.encoding;
    if (file.immutable) headers['Vary'] = 'Accept-Encoding';
    headers['Cache-Control'] = file.immutable ? 'public, max-age=31536000, immutable' : 'no-store';
    if (file.type.startsWith('text/html')) headers['Content-Security-Policy'] = contentSecurityPolicy({ styleNonce: nonce });
    res.writeHead(file.status, headers);
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as net.AddressInfo).port;
  sessions = createSessions(port, { secure: !!opts.tls });
  const literal = (a: string) => (net.isIPv6(a) ? `[${a}]` : a);
  // The URL names where the console really is: a wildcard bind is reached by the
  // machine's name (the certificate's, when there is one), not by 127.0.0.1.
  const shown = wildcard ? names[0] : literal(opts.address);

  return {
    url: `${opts.tls ? 'https' : 'http'}://${shown}:${port}/?token=${token}`,
    listening: `${literal(opts.address)}:${port}`,
    token,
    port,
    async close() {
      for (const stop of [...streams]) stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
