// "Test connection" / "Send test message" against a real loopback SMTP peer: each
// step says what happened, and a failure names the step and the server's reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { SettingsSchema, type SmartHost } from '../../engine/config/schema.ts';
import { testSmartHost } from '../../engine/smarthost-test.ts';
import { startSink, type Sink } from '../helpers/sink.ts';

const settings = SettingsSchema.parse({ hostname: 'laptop.test', delivery: { connectTimeout: '5s' } });
let plain: Sink;
let authed: Sink;
let starttls: Sink;
let closedPort: number;

beforeAll(async () => {
  plain = await startSink({ address: '127.0.0.1', port: 0 });
  authed = await startSink({ address: '127.0.0.1', port: 0, auth: { user: 'me', pass: 'right' } });
  starttls = await startSink({ address: '127.0.0.1', port: 0, tls: true });
  // A port nobody listens on: bind, read it back, close.
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  closedPort = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
});

afterAll(async () => {
  await Promise.all([plain?.close(), authed?.close(), starttls?.close()]);
});

const host = (sink: Sink, over: Partial<SmartHost> = {}): SmartHost => ({ host: '127.0.0.1', port: sink.port, tls: 'none', requireTls: false, ...over });

describe('testSmartHost', () => {
  it('walks connect, TLS, AUTH and says each passed', async () => {
    const got = await testSmartHost(settings, host(authed, { auth: { user: 'me', pass: 'right' } }));
    expect(got.map((s) => [s.step, s.ok])).toEqual([['connect', true], ['tls', true], ['auth', true]]);
    expect(got[2].detail).toBe('logged in as me');
  });

  it('reports refused credentials at the auth step with the server reply', async () => {
    const got = await testSmartHost(settings, host(authed, { auth: { user: 'me', pass: 'wrong' } }));
    expect(got.map((s) => [s.step, s.ok])).toEqual([['connect', true], ['tls', true], ['auth', false]]);
    expect(got[2].detail).toMatch(/^login as me refused: 535/);
  });

  it('reports a connection failure as the only step', async () => {
    const got = await testSmartHost(settings, { host: '127.0.0.1', port: closedPort, tls: 'none', requireTls: false });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ step: 'connect', ok: false });
    expect(got[0].detail).toMatch(/ECONNREFUSED/);
  });

  it('says so when nothing is configured', async () => {
    expect(await testSmartHost(settings, null)).toEqual([{ step: 'connect', ok: false, detail: 'no smart host is configured' }]);
  });

  it('sends one test message when asked, and the peer receives it', async () => {
    const got = await testSmartHost(settings, host(plain), { sendTo: 'check@example.net' });
    expect(got.at(-1)).toMatchObject({ step: 'send', ok: true });
    const [msg] = await plain.waitForMessages(1);
    expect(msg.envelope).toEqual({ mailFrom: 'postmaster@laptop.test', rcptTo: ['check@example.net'] });
    expect(msg.raw.toString()).toContain('Subject: Mailstop smart host test');
  });

  it('encrypts with STARTTLS and says the self-signed certificate was not verified', async () => {
    // Delivery accepts unverified certificates (like Sendmail's verify=FAIL), so the test does too but says so.
    const got = await testSmartHost(settings, host(starttls, { tls: 'starttls' }));
    expect(got.map((s) => [s.step, s.ok])).toEqual([['connect', true], ['tls', true], ['auth', true]]);
    expect(got[1].detail).toMatch(/^encrypted with TLSv1\.[23] .*certificate not verified/);
  });

  it('fails at the TLS step when the server speaks no TLS on an implicit-TLS port', async () => {
    const got = await testSmartHost({ ...settings, delivery: { ...settings.delivery, connectTimeout: '2s' } }, host(plain, { tls: 'implicit' }));
    expect(got.at(-1)?.ok).toBe(false);
    expect(got.map((s) => s.step)).not.toContain('auth');
  });
});
