// The headless console over real HTTP on loopback: who gets in (token, Host
// header), what they get (API results, server-sent events, the built UI), and
// what is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startConsole, type ConsoleHandle } from '../../../engine/console/index.ts';
import type { EngineEvent } from '../../../engine/api.ts';
import { createTestEngine, type TestEngine } from './engine.ts';

let home: string;
let staticDir: string;
let engine: TestEngine;
let consoleHandle: ConsoleHandle;
let origin: string;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-console-'));
  staticDir = path.join(home, 'ui');
  await fs.mkdir(path.join(staticDir, 'assets'), { recursive: true });
  await fs.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body>app</body></html>');
  await fs.writeFile(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
  engine = await createTestEngine(home);
  consoleHandle = await startConsole(engine.api, { address: '127.0.0.1', port: 0, home, staticDir });
  origin = `http://127.0.0.1:${consoleHandle.port}`;
});

afterAll(async () => {
  await consoleHandle?.close();
  await engine?.stop();
  await fs.rm(home, { recursive: true, force: true });
});

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** A raw request, so the Host header can be anything (fetch would not let us forge it). */
function request(p: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: consoleHandle.port, path: p, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'Content-Type': 'application/json' };

/** A browser's way in: `?token=` traded for a session cookie; returns `name=value`. */
async function session(): Promise<string> {
  const got = await request(`/?token=${consoleHandle.token}`);
  return String(got.headers['set-cookie']).split(';')[0];
}

describe('console access', () => {
  it('prints a URL with the token that is kept in <home>/console-token (0600)', async () => {
    const file = path.join(home, 'console-token');
    const stored = (await fs.readFile(file, 'utf8')).trim();
    expect(stored).toBe(consoleHandle.token);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(consoleHandle.url).toBe(`${origin}/?token=${consoleHandle.token}`);
  });

  it('reuses the token across restarts', async () => {
    const again = await startConsole(engine.api, { address: '127.0.0.1', port: 0, home, staticDir });
    try {
      expect(again.token).toBe(consoleHandle.token);
    } finally {
      await again.close();
    }
  });

  const cases: { name: string; path: string; headers: Record<string, string>; method?: string; want: number }[] = [
    { name: 'API without token', path: '/api/status', method: 'POST', headers: { ...json }, want: 401 },
    { name: 'API with wrong token', path: '/api/status', method: 'POST', headers: { ...json, Authorization: 'Bearer nope' }, want: 401 },
    { name: 'API with wrong cookie', path: '/api/status', method: 'POST', headers: { ...json, Cookie: 'mailstop_console_PORT=nope' }, want: 401 },
    // The cookie never carries the token itself any more (issue 11 §5), so a token-valued cookie is no session.
    { name: 'API with the token as a cookie', path: '/api/status', method: 'POST', headers: { ...json, Cookie: 'mailstop_console_PORT=TOKEN; mailstop_console=TOKEN' }, want: 401 },
    { name: 'page without token', path: '/', headers: {}, want: 401 },
    { name: 'page with wrong ?token=', path: '/?token=wrong', headers: {}, want: 401 },
    { name: 'events without token', path: '/api/events', headers: {}, want: 401 },
    { name: 'foreign Host (DNS rebinding)', path: '/api/status', method: 'POST', headers: { ...json, Host: `evil.example:${0}` }, want: 421 },
    { name: 'foreign Host on the page', path: '/?token=TOKEN', headers: { Host: 'evil.example' }, want: 421 },
    { name: 'right token, wrong port in Host', path: '/api/status', method: 'POST', headers: { ...json, Authorization: 'Bearer TOKEN', Host: '127.0.0.1:1' }, want: 421 },
    { name: 'cross-origin POST with the cookie', path: '/api/status', method: 'POST', headers: { ...json, Cookie: 'SESSION', Origin: 'http://evil.example' }, want: 403 },
    { name: 'malformed %-escape in an API path', path: '/api/%ZZ', method: 'POST', headers: { ...json, Authorization: 'Bearer TOKEN' }, want: 400 },
    { name: 'malformed %-escape in a page path', path: '/%ZZ%', headers: { Cookie: 'SESSION' }, want: 404 },
    { name: 'unknown method', path: '/api/shutdownEverything', method: 'POST', headers: { ...json, Authorization: 'Bearer TOKEN' }, want: 404 },
    { name: 'subscribe is not a call', path: '/api/subscribe', method: 'POST', headers: { ...json, Authorization: 'Bearer TOKEN' }, want: 404 },
    { name: 'form post (not JSON)', path: '/api/status', method: 'POST', headers: { 'Content-Type': 'text/plain', Authorization: 'Bearer TOKEN' }, want: 415 },
    { name: 'GET on a method', path: '/api/status', headers: { Authorization: 'Bearer TOKEN' }, want: 405 },
  ];
  for (const c of cases) {
    it(`refuses: ${c.name} → ${c.want}`, async () => {
      const cookie = Object.values(c.headers).includes('SESSION') ? await session() : '';
      const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) =>
        [k, v.replaceAll('TOKEN', consoleHandle.token).replace('PORT', String(consoleHandle.port)).replace('SESSION', cookie)]));
      const got = await request(c.path.replace('TOKEN', consoleHandle.token), { method: c.method, headers, body: c.method === 'POST' ? '[]' : undefined });
      expect(got.status).toBe(c.want);
      expect(got.body).not.toContain('"result"');
    });
  }

  it('accepts localhost:port and 127.0.0.1:port as Host when bound to loopback', async () => {
    for (const host of [`localhost:${consoleHandle.port}`, `127.0.0.1:${consoleHandle.port}`]) {
      const got = await request('/api/status', { method: 'POST', headers: { ...json, Host: host, Authorization: `Bearer ${consoleHandle.token}` }, body: '[]' });
      expect(got.status, host).toBe(200);
    }
  });
});

describe('console API', () => {
  const auth = (): Record<string, string> => ({ ...json, Authorization: `Bearer ${consoleHandle.token}` });

  it('answers a call with the engine\'s data', async () => {
    const got = await request('/api/status', { method: 'POST', headers: auth(), body: '[]' });
    expect(got.status).toBe(200);
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['access-control-allow-origin']).toBeUndefined();
    const status = JSON.parse(got.body).result;
    expect(status.home).toBe(home);
    expect(status.counts.total).toBe(0);
  });

  it('passes arguments through: a submitted message shows up in listQueue', async () => {
    const message = Buffer.from('Subject: hi\r\n\r\nhello\r\n').toString('base64');
    const submitted = await request('/api/submit', {
      method: 'POST', headers: auth(),
      body: JSON.stringify([{ envelope: { sender: 'a@example.com', recipients: [{ address: 'b@example.net' }] }, messageBase64: message }]),
    });
    expect(submitted.status).toBe(200);
    const { id } = JSON.parse(submitted.body).result;
    const listed = await request('/api/listQueue', { method: 'POST', headers: auth(), body: JSON.stringify([{ ids: [id] }]) });
    const entries = JSON.parse(listed.body).result;
    expect(entries.map((e: { id: string }) => e.id)).toEqual([id]);
  });

  it('says what was wrong with a malformed body', async () => {
    const cases = [{ body: '{"not":"an array"}', want: 400 }, { body: '[oops', want: 400 }];
    for (const c of cases) {
      const got = await request('/api/status', { method: 'POST', headers: auth(), body: c.body });
      expect(got.status, c.body).toBe(c.want);
      expect(JSON.parse(got.body).error).toBeTruthy();
    }
  });

  it('delivers engine events over server-sent events', async () => {
    let submittedId = '';
    const event = await new Promise<EngineEvent>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: consoleHandle.port, path: '/api/events', headers: { Authorization: `Bearer ${consoleHandle.token}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          if (buffer.includes(': connected')) {
            // Subscribed: make the engine say something.
            buffer = buffer.replace(': connected', '');
            const messageBase64 = Buffer.from('Subject: sse\r\n\r\nhello\r\n').toString('base64');
            engine.api.submit({ envelope: { sender: 'a@example.com', recipients: [{ address: 'sse@example.net' }] }, messageBase64 })
              .then((r) => { submittedId = r.id; }, reject);
          }
          for (const m of buffer.matchAll(/^data: (.*)$/gm)) {
            const e = JSON.parse(m[1]) as EngineEvent;
            if (e.type === 'queue:added') {
              resolve(e);
              req.destroy();
            }
          }
        });
      });
      req.on('error', reject);
    });
    expect(event.type).toBe('queue:added');
    if (event.type === 'queue:added') expect(event.entry.recipients[0].address).toBe('sse@example.net');
    expect(submittedId).not.toBe('');
  });
});

describe('console pages', () => {
  it('trades ?token= for an HttpOnly SameSite=Strict cookie and drops it from the URL', async () => {
    const got = await request(`/queue?token=${consoleHandle.token}`);
    expect(got.status).toBe(303);
    expect(got.headers.location).toBe('/queue');
    const cookie = String(got.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    // A per-session value under a name that carries the port: never the token (issue 11 §5).
    expect(cookie).toMatch(new RegExp(`^mailstop_console_${consoleHandle.port}=[A-Za-z0-9_-]{43};`));
    expect(cookie).not.toContain(consoleHandle.token);
    const page = await request('/queue', { headers: { Cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('app');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // The nonce in the page is the one the policy allows.
    const nonce = /<meta name="csp-nonce" content="([^"]+)">/.exec(page.body)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain(`'nonce-${nonce}'`);
  });

  it('serves built files, 404s missing ones, and never leaves the build directory', async () => {
    const headers = { Authorization: `Bearer ${consoleHandle.token}` };
    const cases = [
      { path: '/assets/app-1234.js', want: 200, type: /javascript/ },
      { path: '/assets/missing.js', want: 404, type: /text\/plain/ },
      // Dot segments are normalised away: these land on the SPA page, never on <home>.
      { path: '/../console-token', want: 200, type: /text\/html/ },
      { path: '/%2e%2e/console-token', want: 200, type: /text\/html/ },
      { path: '/assets/..%2f..%2f..%2fconsole-token', want: 200, type: /text\/html/ },
    ];
    for (const c of cases) {
      const got = await request(c.path, { headers });
      expect(got.status, c.path).toBe(c.want);
      expect(String(got.headers['content-type']), c.path).toMatch(c.type);
      expect(got.body, c.path).not.toContain(consoleHandle.token);
    }
  });

  it('tells the person to build the UI when it is missing', async () => {
    const bare = await startConsole(engine.api, { address: '127.0.0.1', port: 0, home, staticDir: path.join(home, 'nothing-here') });
    try {
      const res = await fetch(`http://127.0.0.1:${bare.port}/`, { headers: { Authorization: `Bearer ${bare.token}` } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await bare.close();
    }
  });
});

describe('console off loopback (issue 11 §5)', () => {
  it('refuses a non-loopback address without TLS or console.allowPlainHttp, naming the field', async () => {
    await expect(startConsole(engine.api, { address: '0.0.0.0', port: 0, home, staticDir }))
      .rejects.toThrow(/^console\.address: 0\.0\.0\.0 is not loopback: .*tls\.cert and tls\.key.*allowPlainHttp/);
  });

  it('with allowPlainHttp: plain HTTP, and the URL and the listening line say where it really is', async () => {
    const h = await startConsole(engine.api, { address: '0.0.0.0', port: 0, home, staticDir, allowPlainHttp: true, names: ['console.test'] });
    try {
      expect(h.listening).toBe(`0.0.0.0:${h.port}`);
      expect(h.url).toBe(`http://console.test:${h.port}/?token=${h.token}`);
    } finally {
      await h.close();
    }
  });

  it('with the certificate: HTTPS, a Secure cookie, and the certificate\'s name in the URL', async () => {
    const { generateSelfSigned } = await import('../../../engine/tls/generate.ts');
    const certFile = path.join(home, 'tls', 'console-cert.pem');
    const keyFile = path.join(home, 'tls', 'console-key.pem');
    await generateSelfSigned({ hostname: 'console.test', certFile, keyFile });
    const cert = await fs.readFile(certFile);
    const h = await startConsole(engine.api, {
      address: '0.0.0.0', port: 0, home, staticDir, tls: { cert, key: await fs.readFile(keyFile) }, names: ['console.test'],
    });
    try {
      expect(h.url).toBe(`https://console.test:${h.port}/?token=${h.token}`);
      const https = await import('node:https');
      const got = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const req = https.request({
          host: '127.0.0.1', port: h.port, path: `/?token=${h.token}`, servername: 'console.test', ca: cert,
          headers: { Host: `console.test:${h.port}` },
        }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie']) });
        });
        req.on('error', reject);
        req.end();
      });
      expect(got.status).toBe(303);
      expect(got.cookie).toMatch(/; Secure$/);
    } finally {
      await h.close();
    }
  }, 60_000);
});
