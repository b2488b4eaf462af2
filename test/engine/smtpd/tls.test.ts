// STARTTLS and implicit TLS exist only when tls.cert/tls.key are configured
// (the rest of TLS is issue 6). Real TLS on loopback with a throw-away certificate.
import { join } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../helpers/sink.ts';
import { codeOf, ehlo, startRig, type Rig } from './harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function tlsSettings() {
  const { dir } = await selfSignedCert();
  return { tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } };
}

async function send(port: number, secure: boolean): Promise<string> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port, secure, requireTLS: !secure, tls: { rejectUnauthorized: false }, name: 'client.example' });
  await new Promise<void>((resolve, reject) => {
    conn.once('error', reject);
    conn.connect(() => resolve());
  });
  const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
    conn.send({ from: 'a@example.com', to: ['bob@example.org'] }, 'Subject: tls\r\n\r\nbody\r\n', (err, i) => (err ? reject(err) : resolve(i))),
  );
  conn.quit();
  return info.response;
}

async function storedHeaders(r: Rig): Promise<string> {
  const [entry] = await r.spool.list();
  return r.spool.readHeaders(entry.id);
}

describe('smtpd TLS', () => {
  it('offers STARTTLS when a certificate is configured and records the TLS session', async () => {
    rig = await startRig(await tlsSettings());
    const c = await ehlo(rig.listener.port);
    c.end();
    const response = await send(rig.listener.port, false);
    expect(codeOf(response)).toBe('250 2.0.0');
    const [entry] = await rig.spool.list();
    expect(entry.client.protocol).toBe('ESMTPS');
    expect(entry.client.tls?.version).toMatch(/^TLSv1\.[23]$/);
    expect(await storedHeaders(rig)).toMatch(/with ESMTPS id \w{14}\r\n\t\(version=TLSv1\.[23] cipher=\S+ bits=(128|256) verify=NO\)\r\n\tfor <bob@example.org>;/);
  });

  it('lists STARTTLS in EHLO only with a certificate', async () => {
    rig = await startRig(await tlsSettings());
    const withCert = await ehlo(rig.listener.port);
    const got = await withCert.cmd('EHLO again.example');
    withCert.end();
    expect(got).toContain('250-STARTTLS');
    await rig.close();
    rig = await startRig();
    const without = await ehlo(rig.listener.port);
    expect(await without.cmd('EHLO again.example')).not.toContain('STARTTLS');
    without.end();
  });

  it('speaks implicit TLS on an smtps listener', async () => {
    rig = await startRig(await tlsSettings(), 'smtps');
    expect(rig.listener.name).toBe('smtps');
    expect(codeOf(await send(rig.listener.port, true))).toBe('250 2.0.0');
    const [entry] = await rig.spool.list();
    expect(entry.client).toMatchObject({ daemon: 'smtps', protocol: 'ESMTPS' });
  });

  it('names the setting when the certificate file is missing', async () => {
    rig = await startRig();
    rig.settings.tls.cert = '/nonexistent/cert.pem';
    rig.settings.tls.key = '/nonexistent/key.pem';
    await expect(rig.smtpd.listen('smtp', '127.0.0.1', 0)).rejects.toThrow(/^tls\.cert: cannot read \/nonexistent\/cert\.pem/);
  });
});
