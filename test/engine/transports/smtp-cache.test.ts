// The SMTP connection cache through deliverSmtp, against the scripted peer (it
// counts connections and can hang up at any step): messages to one smart host
// share a session; a session the server ended is never used to lose or repeat
// mail — before MAIL FROM's answer the message is retried on a new connection,
// after the final "." it is deferred as before (at-least-once, never silently lost).
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { createDns } from '../../../engine/dns/resolver.ts';
import { ConnectionCache, cacheKey } from '../../../engine/transports/smtp-cache.ts';
import { deliverSmtp, type SmtpContext } from '../../../engine/transports/smtp.ts';
import { startScriptedSmtp, type ScriptedSmtp, type ScriptedSmtpOptions } from '../../helpers/scripted-smtp.ts';

const RAW = 'From: a@origin.test\r\nTo: b@dest.test\r\nSubject: hello\r\n\r\nbody\r\n';

function message(n: number): OutboundMessage {
  const buf = Buffer.from(RAW.replace('hello', `hello ${n}`));
  return { id: `Q000000000000${n}`, sender: 'a@origin.test', open: () => Readable.from([buf]), size: buf.length };
}

const dest = (address: string): Destination =>
  ({ transport: 'smtp', nexthop: '[127.0.0.1]', mailer: 'relay', address, original: address, smartHost: true });

const servers: ScriptedSmtp[] = [];
const caches: ConnectionCache[] = [];
afterEach(async () => {
  for (const c of caches.splice(0)) c.closeIdle();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function peer(opts: ScriptedSmtpOptions = {}): Promise<ScriptedSmtp> {
  const s = await startScriptedSmtp(opts);
  servers.push(s);
  return s;
}

function context(port: number, perKey = 10): SmtpContext & { lines: string[]; cache: ConnectionCache } {
  const settings = SettingsSchema.parse({
    hostname: 'mailstop.test',
    smartHost: { host: '[127.0.0.1]', port, tls: 'none' },
    delivery: { connectTimeout: '2s' },
  });
  const cache = new ConnectionCache(() => perKey);
  caches.push(cache);
  const lines: string[] = [];
  return { settings, dns: createDns(() => settings.dns), hostname: 'mailstop.test', onTranscript: (l) => lines.push(l), lines, cache };
}

/** How many MAIL FROMs this connection has seen so far (the current one included). */
const mails = (lines: string[]) => lines.filter((l) => /^MAIL FROM/i.test(l)).length;

describe('SMTP connection cache', () => {
  it('five messages to the same smart host use one connection, each delivered once', async () => {
    const s = await peer();
    const ctx = context(s.port);
    const got: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const r = await deliverSmtp(message(i), [dest(`r${i}@dest.test`)], ctx);
      got.push(r.results.map((x) => `${x.address} ${x.status}`).join());
    }
    expect(got).toEqual([1, 2, 3, 4, 5].map((i) => `r${i}@dest.test sent`));
    expect(s.connections).toBe(1);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([1, 2, 3, 4, 5].map((i) => [`r${i}@dest.test`]));
    expect(ctx.lines.filter((l) => /Reusing connection/.test(l))).toHaveLength(4);
    expect(ctx.lines.some((l) => /QUIT/.test(l))).toBe(false); // parked, not closed
  });

  it('a connection the server closed after the "." is not reused; the next message is delivered once', async () => {
    const s = await peer({ on: { DOT: (_arg, c) => (c.connection === 0 ? { reply: '250 2.0.0 Ok: queued', close: true } : undefined) } });
    const ctx = context(s.port);
    const first = await deliverSmtp(message(1), [dest('a@dest.test')], ctx);
    await waitFor(() => ctx.cache.size === 0); // the FIN reached us: the session left the cache
    const second = await deliverSmtp(message(2), [dest('b@dest.test')], ctx);
    expect([first.results[0].status, second.results[0].status]).toEqual(['sent', 'sent']);
    expect(s.connections).toBe(2);
    expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@dest.test'], ['b@dest.test']]);
  });

  // Server behaviour on the reused session's MAIL FROM, and what must happen.
  const beforeMail: { name: string; onMail: { reply?: string; close?: boolean } }[] = [
    { name: 'hangs up without a reply', onMail: { close: true } },
    { name: 'answers 421 and hangs up', onMail: { reply: '421 4.4.2 idle too long, closing', close: true } },
  ];
  for (const tc of beforeMail) {
    it(`a reused connection whose server ${tc.name} at MAIL FROM: retried on a new connection, delivered once`, async () => {
      const s = await peer({ on: { MAIL: (_arg, c) => (c.connection === 0 && mails(c.lines) === 2 ? tc.onMail : undefined) } });
      const ctx = context(s.port);
      await deliverSmtp(message(1), [dest('a@dest.test')], ctx);
      const got = await deliverSmtp(message(2), [dest('b@dest.test')], ctx);
      expect(got.results.map((r) => [r.address, r.status])).toEqual([['b@dest.test', 'sent']]);
      expect(s.connections).toBe(2);
      expect(s.messages.map((m) => m.rcptTo)).toEqual([['a@dest.test'], ['b@dest.test']]);
      expect(ctx.lines.some((l) => /retrying on a new connection/.test(l))).toBe(true);
    });
  }

  it('a reused connection lost after the final "." is deferred, not retried (never a silent second copy)', async () => {
    const s = await peer({ on: { DOT: (_arg, c) => (c.connection === 0 && mails(c.lines) === 2 ? { close: true } : undefined) } });
    const ctx = context(s.port);
    await deliverSmtp(message(1), [dest('a@dest.test')], ctx);
    const got = await deliverSmtp(message(2), [dest('b@dest.test')], ctx);
    expect(got.results.map((r) => [r.status, r.dsnStatus])).toEqual([['deferred', '4.4.2']]);
    expect(got.results[0].reply).toMatch(/^Lost connection with \[127\.0\.0\.1\] \[127\.0\.0\.1\]/);
    expect(s.connections).toBe(1);
  });

  it('a session idle past the check limit is verified with RSET; a refused RSET means a new connection', async () => {
    const s = await peer({ on: { RSET: (_arg, c) => (c.connection === 0 ? { reply: '421 4.4.2 closing', close: true } : undefined) } });
    const ctx = context(s.port);
    await deliverSmtp(message(1), [dest('a@dest.test')], ctx);
    await new Promise((r) => setTimeout(r, 1_100)); // VERIFY_AFTER_IDLE_MS is 1 s
    const got = await deliverSmtp(message(2), [dest('b@dest.test')], ctx);
    expect(got.results[0].status).toBe('sent');
    expect(s.connections).toBe(2);
    expect(s.log[0].some((l) => /^C: RSET/.test(l))).toBe(true);
    expect(s.messages).toHaveLength(2);
  });

  it('keeps at most perKey idle sessions per destination; parallel deliveries open their own', async () => {
    const s = await peer();
    const ctx = context(s.port, 1);
    const got = await Promise.all([1, 2, 3].map((i) => deliverSmtp(message(i), [dest(`r${i}@dest.test`)], ctx)));
    expect(got.map((r) => r.results[0].status)).toEqual(['sent', 'sent', 'sent']);
    expect(s.connections).toBe(3);
    expect(ctx.cache.size).toBe(1);
  });
});

describe('cacheKey', () => {
  const base = { ip: '192.0.2.1', port: 25, tls: 'none', helo: 'a.test' };
  const cases: { name: string; other: Parameters<typeof cacheKey>[0]; same: boolean }[] = [
    { name: 'same everything', other: { ...base, helo: 'A.TEST' }, same: true },
    { name: 'another port', other: { ...base, port: 587 }, same: false },
    { name: 'another TLS policy', other: { ...base, tls: 'opportunistic' }, same: false },
    { name: 'authenticated', other: { ...base, auth: { user: 'u', pass: 'p' } }, same: false },
  ];
  for (const tc of cases) {
    it(tc.name, () => { expect(cacheKey(tc.other) === cacheKey(base)).toBe(tc.same); });
  }
  it('never holds the password itself', () => {
    expect(cacheKey({ ...base, auth: { user: 'u', pass: 'hunter2' } })).not.toContain('hunter2');
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}
