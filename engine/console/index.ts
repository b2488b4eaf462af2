// The headless console: the EngineApi and the built renderer over loopback HTTP
// (DESIGN.md "mailstop serve"). It owns the HTTP server, the access rules and the
// URL it prints; every call goes straight to EngineApi, so it never holds mail
// logic of its own, and it never builds the renderer.
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { EngineApi } from '../api.ts';
import { handleCall, handleEvents } from './api-routes.ts';
import { authenticated, hostAllowed, originAllowed, sessionCookie } from './guard.ts';
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
}

export interface ConsoleHandle {
  /** The URL to open, token included: `http://127.0.0.1:8025/?token=…`. */
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));

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
  const token = await loadOrCreateToken(opts.home);
  const staticDir = path.resolve(opts.staticDir ?? DEFAULT_STATIC_DIR);
  const streams = new Set<() => void>();
  let port = opts.port;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) plain(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    baseHeaders(res);
    // DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 still sends
    // "Host: evil.example". 421 = "not the server you meant" (RFC 9110 §15.5.20).
    if (!hostAllowed(req.headers.host, opts.address, port)) {
      return plain(res, 421, 'misdirected request: this console answers only to its own address\n');
    }
    const url = new URL(req.url ?? '/', 'http://console.invalid');

    if (url.pathname.startsWith('/api/')) {
      if (!authenticated(req, token)) return plain(res, 401, 'missing or wrong token\n');
      if (!originAllowed(req)) return plain(res, 403, 'cross-origin request refused\n');
      if (url.pathname === '/api/events') {
        if (req.method !== 'GET') return plain(res, 405, 'use GET\n');
        return handleEvents(api, req, res, (stop) => {
          streams.add(stop);
          return () => streams.delete(stop);
        });
      }
      return handleCall(api, decodeURIComponent(url.pathname.slice('/api/'.length)), req, res);
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
      res.writeHead(303, { 'Set-Cookie': sessionCookie(token), Location: url.pathname + url.search, 'Cache-Control': 'no-store' });
      return void res.end();
    }
    if (!authenticated(req, token)) return plain(res, 401, UNAUTHORIZED_PAGE, 'text/html; charset=utf-8');

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
  // A wildcard bind is still opened through loopback on this machine.
  const shown = opts.address === '0.0.0.0' || opts.address === '::' ? '127.0.0.1'
    : net.isIPv6(opts.address) ? `[${opts.address}]` : opts.address;

  return {
    url: `http://${shown}:${port}/?token=${token}`,
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
