// SMTP AUTH on a whole engine over loopback: never offered or accepted outside
// TLS (538 5.7.11), PLAIN and LOGIN inside TLS on submission and smtps, the
// same reply for a bad user and a bad password, and the brute-force brake
// per client address (engine/policy/auth-throttle.ts; see test/engine/smtpd/auth.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.ts';
import { hashPassword } from '../../engine/policy/auth-users.ts';
import { generateSelfSigned } from '../../engine/tls/generate.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { codeOf, plainAuth, SmtpClient } from './tls-client.ts';

let home: string;
let dns: DnsServer;
let engine: Engine;
const ports: Record<string, number> = {};
const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-auth-'));
  dns = await startDnsServer({});
  await generateSelfSigned({ hostname: 'mx.example.org', certFile: join(home, 'tls/cert.pem'), keyFile: join(home, 'tls/key.pem') });
  engine = await createEngine({
    home, timers: false, passwdFile: '',
    settings: {
      hostname: 'mx.example.org',
      listen: { address: '127.0.0.1', smtp: 0, submission: 0, smtps: 0 },
      domains: { local: ['example.org'] },
      users: [{ name: 'alice', passwordHash: await hashPassword('wonderland', { N: 1024, r: 8, p: 1 }) }],
      tls: { cert: 'tls/cert.pem', key: 'tls/key.pem' },
      delivery: { mode: 'queueonly' },
      dns: { servers: [dns.server], timeout: '1s' },
    },
  });
  await engine.start();
  for (const l of (await engine.status()).listeners) ports[l.name] = l.port;
});

afterAll(async () => {
  await engine?.stop();
  await dns?.stop();
  await rm(home, { recursive: true, force: true });
});

async function plain(port: number, localAddress = '127.0.0.1'): Promise<{ c: SmtpClient; ehlo: string }> {
  const c = await SmtpClient.connect(port, { localAddress });
  await c.reply();
  return { c, ehlo: (await c.cmd('EHLO client.example')) ?? '' };
}

async function secure(port: number, localAddress = '127.0.0.1'): Promise<{ c: SmtpClient; ehlo: string }> {
  const { c } = await plain(port, localAddress);
  expect(codeOf(await c.cmd('STARTTLS'))).toMatch(/^220/);
  await c.upgrade();
  return { c, ehlo: (await c.cmd('EHLO client.example')) ?? '' };
}

describe('outside TLS', () => {
  it('submission does not advertise AUTH and refuses it with 538 5.7.11', async () => {
    const { c, ehlo } = await plain(ports.submission);
    expect(ehlo).toMatch(/STARTTLS/);
    expect(ehlo).not.toMatch(/AUTH/);
    expect(await c.cmd(`AUTH PLAIN ${plainAuth('alice', 'wonderland')}`)).toBe('538 5.7.11 Encryption required for requested authentication mechanism');
    expect(codeOf(await c.cmd('AUTH LOGIN'))).toBe('538 5.7.11');
    c.end();
  });

  it('nodemailer with credentials but no TLS cannot log in', async () => {
    const conn = new SMTPConnection({ host: '127.0.0.1', port: ports.submission, ignoreTLS: true, name: 'client.example' });
    await new Promise<void>((resolve, reject) => { conn.once('error', reject); conn.connect(() => resolve()); });
    const err = await new Promise<Error & { responseCode?: number }>((resolve) => conn.login({ user: 'alice', pass: 'wonderland' }, (e) => resolve(e as Error)));
    conn.close();
    expect(err).toBeTruthy();
  });

  it('the smtp port (MTA to MTA) offers no AUTH even inside TLS', async () => {
    const { c, ehlo } = await secure(ports.smtp);
    expect(ehlo).not.toMatch(/AUTH/);
    expect(codeOf(await c.cmd(`AUTH PLAIN ${plainAuth('alice', 'wonderland')}`))).toMatch(/^5/);
    c.end();
  });
});

describe('inside TLS', () => {
  it('submission advertises AUTH PLAIN LOGIN after STARTTLS; PLAIN logs in', async () => {
    const { c, ehlo } = await secure(ports.submission);
    expect(ehlo).toMatch(/^250-AUTH PLAIN LOGIN$/m);
    expect(await c.cmd(`AUTH PLAIN ${plainAuth('alice', 'wonderland')}`)).toMatch(/^235 2\.7\.0/);
    c.end();
    expect((await engine.tailLog(50)).join('\n')).toMatch(/AUTH=server, relay=\[127\.0\.0\.1\], authid=alice, mech=PLAIN/);
  });

  it('LOGIN logs in', async () => {
    const { c } = await secure(ports.submission);
    expect(codeOf(await c.cmd('AUTH LOGIN'))).toBe('334');
    expect(codeOf(await c.cmd(b64('alice')))).toBe('334');
    expect(await c.cmd(b64('wonderland'))).toMatch(/^235/);
    c.end();
  });

  it('smtps: nodemailer logs in and sends to a remote domain (authenticated users relay)', async () => {
    const conn = new SMTPConnection({ host: '127.0.0.1', port: ports.smtps, secure: true, tls: { rejectUnauthorized: false }, name: 'client.example' });
    await new Promise<void>((resolve, reject) => { conn.once('error', reject); conn.connect(() => resolve()); });
    await new Promise<void>((resolve, reject) => conn.login({ user: 'alice', pass: 'wonderland' }, (e) => (e ? reject(e) : resolve())));
    const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
      conn.send({ from: 'alice@example.org', to: ['friend@remote.example'] }, 'Subject: hi\r\n\r\nhi\r\n', (e, i) => (e ? reject(e) : resolve(i))));
    conn.quit();
    expect(codeOf(info.response)).toBe('250 2.0.0');
    const entry = (await engine.listQueue()).find((e) => e.recipients.some((r) => r.address === 'friend@remote.example'));
    expect(entry?.client).toMatchObject({ user: 'alice', daemon: 'smtps', protocol: 'ESMTPSA' });
  });

  it('a bad user and a bad password get the same reply', async () => {
    const { c } = await secure(ports.submission, '127.0.0.5');
    const badPassword = await c.cmd(`AUTH PLAIN ${plainAuth('alice', 'wrong')}`);
    const badUser = await c.cmd(`AUTH PLAIN ${plainAuth('mallory', 'wonderland')}`);
    c.end();
    expect(badPassword).toBe('535 5.7.8 Authentication credentials invalid');
    expect(badUser).toBe(badPassword);
  });
});

// The brute-force brake itself (lockout, per address) is tested with a zero failure
// pause in test/engine/smtpd/auth.test.ts; here each failure costs the real second.
