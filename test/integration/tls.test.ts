// TLS on a whole engine over loopback: STARTTLS checked with `openssl s_client
// -starttls smtp` and nodemailer (requireTLS), implicit TLS on smtps, the
// Sendmail TLS log line with verify=OK|NO|FAIL, Srv_Features per client, the
// STARTTLS command injection (CVE-2011-0411), and certificates replaced while
// running (a bad replacement is refused and the old certificate kept).
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { generateSelfSigned } from '../../engine/tls/generate.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { codeOf, SmtpClient } from './tls-client.ts';

const run = promisify(execFile);
const tlsFile = (f: string) => join(home, 'tls', f);
let home: string;
let dns: DnsServer;
const engines: Engine[] = [];
let client: { key: Buffer; cert: Buffer };
let stranger: { key: Buffer; cert: Buffer };

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-tls-it-'));
  dns = await startDnsServer({});
  const t = (f: string) => join(home, 'tls', f);
  await generateSelfSigned({ hostname: 'mx.example.org', certFile: t('cert.pem'), keyFile: t('key.pem') });
  await generateSelfSigned({ hostname: 'new.example.org', certFile: t('new-cert.pem'), keyFile: t('new-key.pem') });
  // A CA and a client certificate it signed (verify=OK), and one it did not (verify=FAIL).
  await generateSelfSigned({ hostname: 'ca.example.org', certFile: t('ca.pem'), keyFile: t('ca.key') });
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', t('client.key'), '-out', t('client.csr'), '-subj', '/CN=client.example']);
  await run('openssl', ['x509', '-req', '-in', t('client.csr'), '-CA', t('ca.pem'), '-CAkey', t('ca.key'), '-CAcreateserial', '-out', t('client.pem'), '-days', '2']);
  await generateSelfSigned({ hostname: 'stranger.example', certFile: t('stranger.pem'), keyFile: t('stranger.key') });
  client = { key: await readFile(t('client.key')), cert: await readFile(t('client.pem')) };
  stranger = { key: await readFile(t('stranger.key')), cert: await readFile(t('stranger.pem')) };
});

afterAll(async () => {
  for (const e of engines) await e.stop();
  await dns?.stop();
  await rm(home, { recursive: true, force: true });
});

/** Each engine gets its own data directory; the TLS files live in the shared one (absolute paths). */
async function start(extra: SettingsInput = {}): Promise<{ engine: Engine; port: (n: string) => number; log: () => Promise<string> }> {
  const own = await mkdtemp(join(home, 'engine-'));
  const engine = await createEngine({
    home: own, timers: false, passwdFile: '',
    settings: {
      hostname: 'mx.example.org',
      listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: 0 },
      domains: { local: ['example.org'] },
      // bob is a local mailbox (an alias to itself): unknown local users are refused at RCPT.
      aliases: { bob: ['bob'] },
      delivery: { mode: 'queueonly' },
      dns: { servers: [dns.server], timeout: '1s' },
      ...extra,
      tls: { cert: tlsFile('cert.pem'), key: tlsFile('key.pem'), ...extra.tls },
    },
  });
  await engine.start();
  engines.push(engine);
  const listeners = (await engine.status()).listeners;
  return {
    engine,
    port: (n) => listeners.find((l) => l.name === n)!.port,
    log: async () => (await engine.tailLog(200)).join('\n'),
  };
}

async function nodemailerSend(port: number, opts: { secure?: boolean; cert?: { key: Buffer; cert: Buffer } } = {}): Promise<string> {
  const conn = new SMTPConnection({
    host: '127.0.0.1', port, secure: !!opts.secure, requireTLS: !opts.secure, name: 'client.example',
    tls: { rejectUnauthorized: false, ...(opts.cert ?? {}) },
  });
  await new Promise<void>((resolve, reject) => { conn.once('error', reject); conn.connect(() => resolve()); });
  const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
    conn.send({ from: 'a@example.com', to: ['bob@example.org'] }, 'Subject: tls\r\n\r\nbody\r\n', (err, i) => (err ? reject(err) : resolve(i))));
  conn.quit();
  return info.response;
}

describe('STARTTLS', () => {
  it('openssl s_client -starttls smtp completes the handshake (TLS 1.2 or later) and talks SMTP inside', async () => {
    const { port } = await start();
    const child = spawn('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port('smtp')}`, '-brief', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    // s_client has done its own EHLO/STARTTLS; what we type goes through TLS.
    await new Promise((resolve) => setTimeout(resolve, 600));
    child.stdin.write('EHLO probe.example\r\nQUIT\r\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(err).toMatch(/Protocol version: TLSv1\.[23]/);
    expect(out).toMatch(/^250[ -]mx\.example\.org Hello/m);
    expect(out).not.toMatch(/STARTTLS/); // not offered again inside TLS
    expect(out).toMatch(/^221/m);
  });

  it('TLS 1.1 is refused', async () => {
    const { port } = await start();
    const r = await run('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port('smtp')}`, '-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'], { timeout: 5000 })
      .then(() => 'connected', (e: { stdout?: string }) => e.stdout ?? 'failed');
    // The handshake fails: no certificate is ever shown and no cipher agreed.
    expect(r).toMatch(/Cipher is \(NONE\)|no peer certificate available/);
    expect(r).not.toMatch(/BEGIN CERTIFICATE/);
  });

  it('nodemailer with requireTLS delivers; the maillog has the Sendmail TLS line with verify=NO', async () => {
    const { engine, port, log } = await start();
    expect(codeOf(await nodemailerSend(port('smtp')))).toBe('250 2.0.0');
    const [entry] = await engine.listQueue();
    expect(entry.client).toMatchObject({ protocol: 'ESMTPS', tls: { verify: 'NO' } });
    expect(await log()).toMatch(/STARTTLS=server, relay=\[127\.0\.0\.1\], version=TLSv1\.[23], verify=NO, cipher=\S+, bits=(128|256)\/(128|256)/);
  });

  it('STARTTLS command injection: commands pipelined after STARTTLS in the same write are discarded', async () => {
    const { port } = await start();
    const c = await SmtpClient.connect(port('smtp'));
    await c.reply();
    await c.cmd('EHLO probe.example');
    c.send('STARTTLS\r\nRSET\r\nMAIL FROM:<injected@evil.example>\r\n');
    expect(codeOf(await c.reply())).toMatch(/^220/);
    await c.upgrade();
    // Had the injected lines run inside TLS, their replies would come first.
    expect(codeOf(await c.cmd('EHLO probe.example'))).toBe('250');
    expect(codeOf(await c.cmd('RCPT TO:<bob@example.org>'))).toMatch(/^503/);
    expect(c.pending()).toEqual([]);
    c.end();
  });
});

describe('implicit TLS (smtps)', () => {
  it('nodemailer secure:true delivers', async () => {
    const { port, log } = await start();
    expect(codeOf(await nodemailerSend(port('smtps'), { secure: true }))).toBe('250 2.0.0');
    expect(await log()).toMatch(/STARTTLS=server, relay=\[127\.0\.0\.1\], version=TLSv1\.[23], verify=NO/);
  });
});

describe('client certificates (tls.verifyClients)', () => {
  const cases: { name: string; cert?: () => { key: Buffer; cert: Buffer }; want: 'OK' | 'NO' | 'FAIL' }[] = [
    { name: 'signed by tls.ca', cert: () => client, want: 'OK' },
    { name: 'not signed by tls.ca', cert: () => stranger, want: 'FAIL' },
    { name: 'none presented', want: 'NO' },
  ];
  for (const c of cases) {
    it(`${c.name}: verify=${c.want}, and the mail is still accepted`, async () => {
      const { engine, port, log } = await start({ tls: { ca: tlsFile('ca.pem'), verifyClients: true } });
      expect(codeOf(await nodemailerSend(port('smtp'), c.cert ? { cert: c.cert() } : {}))).toBe('250 2.0.0');
      expect(await log()).toMatch(new RegExp(`STARTTLS=server, relay=\\[127\\.0\\.0\\.1\\], version=TLSv1\\.[23], verify=${c.want},`));
      expect((await engine.listQueue())[0].client.tls?.verify).toBe(c.want);
    });
  }
});

describe('Srv_Features in the access map', () => {
  it('S: no STARTTLS for that client (454), others still get it', async () => {
    const { port } = await start({ access: [{ key: 'Srv_Features:127.0.0.2', action: 'S' }] });
    const refused = await SmtpClient.connect(port('smtp'), { localAddress: '127.0.0.2' });
    await refused.reply();
    expect(await refused.cmd('EHLO probe.example')).not.toMatch(/STARTTLS/);
    expect(codeOf(await refused.cmd('STARTTLS'))).toBe('454 4.7.0');
    refused.end();
    const other = await SmtpClient.connect(port('smtp'));
    await other.reply();
    expect(await other.cmd('EHLO probe.example')).toMatch(/250-STARTTLS/);
    other.end();
  });

  it('V: that client is not asked for a certificate (verify=NO although it has one)', async () => {
    const { log, port } = await start({ tls: { ca: tlsFile('ca.pem'), verifyClients: true }, access: [{ key: 'Srv_Features:127.0.0.1', action: 'V' }] });
    expect(codeOf(await nodemailerSend(port('smtp'), { cert: client }))).toBe('250 2.0.0');
    expect(await log()).toMatch(/STARTTLS=server, relay=\[127\.0\.0\.1\], version=\S+, verify=NO,/);
  });
});

describe('certificates changed while running', () => {
  async function servedCert(port: number): Promise<string> {
    const c = await SmtpClient.connect(port);
    await c.reply();
    await c.cmd('EHLO probe.example');
    await c.cmd('STARTTLS');
    const s = await c.upgrade();
    const cn = new X509Certificate(s.getPeerCertificate(true).raw).subject;
    c.end();
    return cn;
  }
  /** The reload runs in the background after a connection notices the change. */
  async function eventually(port: number, want: string): Promise<string> {
    let got = '';
    for (let i = 0; i < 20 && got !== want; i++) {
      got = await servedCert(port);
      if (got !== want) await new Promise((r) => setTimeout(r, 50));
    }
    return got;
  }

  it('a new certificate in the settings is used; a mismatched one is refused and the last good one kept', async () => {
    const { engine, port } = await start();
    expect(await servedCert(port('smtp'))).toBe('CN=mx.example.org');
    await engine.updateSettings({ tls: { ...(await engine.getSettings()).tls, cert: tlsFile('new-cert.pem'), key: tlsFile('new-key.pem') } });
    expect(await eventually(port('smtp'), 'CN=new.example.org')).toBe('CN=new.example.org');
    // Refused when saved (issue 11 §4), so config.json never names a pair that cannot work.
    const bad = await engine.updateSettings({ tls: { ...(await engine.getSettings()).tls, cert: tlsFile('cert.pem'), key: tlsFile('new-key.pem') } });
    expect(bad).toEqual({ ok: false, errors: [{ path: 'tls.key', message: 'does not match the certificate in tls.cert' }] });
    expect((await engine.getSettings()).tls.cert).toBe(tlsFile('new-cert.pem'));
    expect(await servedCert(port('smtp'))).toBe('CN=new.example.org');
  });

  it('a key that does not match its certificate stops start-up with the field named', async () => {
    await copyFile(join(home, 'tls/new-key.pem'), join(home, 'tls/wrong-key.pem'));
    await expect(createEngine({
      home, timers: false, passwdFile: '',
      settings: { listen: { address: '127.0.0.1', smtp: 0, submission: false }, tls: { cert: 'tls/cert.pem', key: 'tls/wrong-key.pem' }, dns: { servers: [dns.server] } },
    })).rejects.toThrow(/tls\.key: does not match the certificate in tls\.cert/);
  });
});
