// Checking what arrives on the SMTP port (issue 15): mail from strangers on
// loopback addresses (127.0.0.2 passes bank.test's SPF, 127.0.0.3 does not),
// signed by dkimpy or not, gets an Authentication-Results: with our host name as
// authserv-id in the stored message; forged ones claiming our name are removed;
// DMARC p=reject / p=quarantine are acted on only when enforceDmarc is on; a DNS
// timeout is a temperror, never a refusal.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingsInput } from '../../engine/config/schema.ts';
import type { ZoneRecords } from '../helpers/dns-server.ts';
import { dkimpySign } from '../helpers/dkimpy.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

const bankKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const bankP = bankKey.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

function zone(dmarc = 'v=DMARC1; p=reject'): ZoneRecords {
  return {
    'bank.test': { txt: ['v=spf1 ip4:127.0.0.2 -all'] },
    '_dmarc.bank.test': { txt: [dmarc] },
    'sel._domainkey.bank.test': { txt: [['v=DKIM1; k=rsa; ', `p=${bankP.slice(0, 200)}`, bankP.slice(200)]] },
  };
}

async function ours(extra: Partial<SettingsInput> = {}, dmarc?: string): Promise<Harness> {
  const harness = await startHarness({
    settings: ({ dns }) => ({ hostname: 'mx.ours.test', domains: { local: ['ours.test'], relay: [] }, dns: { servers: [dns.server], timeout: '2s' }, ...extra }),
    zone: zone(dmarc),
  });
  for (const sub of ['new', 'cur', 'tmp']) await fs.mkdir(path.join(harness.home, 'mail', 'bob', sub), { recursive: true });
  return harness;
}

const plain = (extraHeaders = '') =>
  Buffer.from(`${extraHeaders}From: Bank <notice@bank.test>\r\nTo: bob@ours.test\r\nSubject: Your statement\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@bank.test>\r\n\r\nYour balance is 100.\r\n`);

async function signed(extraHeaders = ''): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(h!.home, 'key-'));
  const file = path.join(dir, 'bank.pem');
  await fs.writeFile(file, bankKey.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  return dkimpySign(plain(extraHeaders), 'sel', 'bank.test', file);
}

/** One message over SMTP from `localAddress` (127.0.0.x plays a stranger); resolves with the final reply or rejects. */
async function sendFrom(localAddress: string, raw: Buffer, from = 'notice@bank.test'): Promise<string> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port: h!.smtpPort, localAddress, ignoreTLS: true, name: 'mail.bank.test' });
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  try {
    return await new Promise<string>((resolve, reject) =>
      conn.send({ from, to: ['bob@ours.test'] }, raw, (err, info) => (err ? reject(err) : resolve((info as { response: string }).response))));
  } finally {
    conn.quit();
  }
}

/** The header block of the one message in bob's Maildir. */
async function stored(): Promise<string> {
  await h!.engine.whenIdle();
  const dir = path.join(h!.home, 'mail', 'bob', 'new');
  const files = await fs.readdir(dir);
  expect(files).toHaveLength(1);
  const text = await fs.readFile(path.join(dir, files[0]), 'utf8');
  return text.slice(0, text.indexOf('\r\n\r\n') >= 0 ? text.indexOf('\r\n\r\n') : text.indexOf('\n\n'));
}

/** Our Authentication-Results field, unfolded. */
function ourResults(headers: string): string {
  const fields = headers.split(/\r?\n(?![ \t])/).filter((f) => /^Authentication-Results:\s*mx\.ours\.test;/i.test(f));
  expect(fields).toHaveLength(1);
  return fields[0].replace(/\r?\n[ \t]+/g, ' ');
}

describe('Authentication-Results for mail from strangers on the SMTP port', () => {
  it('good signature and SPF pass: dkim=pass, spf=pass, dmarc=pass', async () => {
    h = await ours();
    expect(await sendFrom('127.0.0.2', await signed())).toMatch(/^250/);
    const ar = ourResults(await stored());
    expect(ar).toMatch(/dkim=pass [^;]*header\.[id]=@?bank\.test/);
    expect(ar).toMatch(/spf=pass [^;]*smtp\.mailfrom=notice@bank\.test/);
    expect(ar).toMatch(/dmarc=pass [^;]*header\.from=bank\.test/);
    expect((await h.engine.tailLog(30)).some((l) => /auth: spf=pass dkim=pass dmarc=pass/.test(l))).toBe(true);
  });

  it('a signed header changed after signing, from an address SPF does not allow: dkim=fail, spf=fail, dmarc=fail (accepted: enforcement is off)', async () => {
    h = await ours();
    const tampered = Buffer.from((await signed()).toString('latin1').replace('Subject: Your statement', 'Subject: Urgent: verify your account'), 'latin1');
    expect(await sendFrom('127.0.0.3', tampered)).toMatch(/^250/);
    const ar = ourResults(await stored());
    expect(ar).toMatch(/dkim=fail/);
    expect(ar).toMatch(/spf=fail/);
    expect(ar).toMatch(/dmarc=fail/);
  });

  it('a body changed after signing: the signature does not count (mailauth says neutral, body hash did not verify)', async () => {
    h = await ours();
    const tampered = Buffer.from((await signed()).toString('latin1').replace('balance is 100', 'balance is 999'), 'latin1');
    await sendFrom('127.0.0.2', tampered);
    const ar = ourResults(await stored());
    expect(ar).toMatch(/dkim=neutral \(body hash did not verify\)/);
    expect(ar).toMatch(/dmarc=pass/); // SPF from 127.0.0.2 still aligns
  });

  it('no signature at all: dkim=none, and SPF alone carries DMARC', async () => {
    h = await ours();
    await sendFrom('127.0.0.2', plain());
    const ar = ourResults(await stored());
    expect(ar).toMatch(/dkim=none/);
    expect(ar).toMatch(/spf=pass/);
    expect(ar).toMatch(/dmarc=pass/);
  });

  it('removes a forged Authentication-Results claiming our name, keeps another host\'s', async () => {
    h = await ours();
    const forged = 'Authentication-Results: mx.ours.test; dkim=pass header.d=bank.test; spf=pass\r\n' +
      'Authentication-Results: relay.elsewhere.test; spf=neutral\r\n';
    await sendFrom('127.0.0.3', plain(forged));
    const headers = await stored();
    const ar = ourResults(headers); // exactly one of ours: the real one
    expect(ar).toMatch(/spf=fail/);
    expect(headers).toMatch(/^Authentication-Results: relay\.elsewhere\.test; spf=neutral$/m);
  });

  it('does not check mail from the local machine (it is signed on the way out instead)', async () => {
    h = await ours();
    await sendFrom('127.0.0.1', plain());
    expect(await stored()).not.toMatch(/^Authentication-Results:/im);
  });

  it('with enforceDmarc, a p=reject failure is refused with 550 5.7.1 and nothing is queued', async () => {
    h = await ours({ auth: { verify: true, enforceDmarc: true, quarantine: 'hold' } });
    await expect(sendFrom('127.0.0.3', plain())).rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/5\.7\.1 .*DMARC policy of bank\.test/) });
    expect(await h.engine.listQueue()).toEqual([]);
    // The same message from an address SPF allows passes DMARC and is taken.
    expect(await sendFrom('127.0.0.2', plain())).toMatch(/^250/);
  });

  it('with enforceDmarc, a p=quarantine failure is held with the reason, or tagged', async () => {
    h = await ours({ auth: { verify: true, enforceDmarc: true, quarantine: 'hold' } }, 'v=DMARC1; p=quarantine');
    expect(await sendFrom('127.0.0.3', plain())).toMatch(/^250/);
    const [entry] = await h.engine.listQueue();
    expect(entry).toMatchObject({ state: 'hold', heldBy: 'admin', reason: expect.stringMatching(/DMARC quarantine: bank\.test publishes p=quarantine/) });
    const detail = await h.engine.getMessage(entry.id);
    expect(detail?.headers).toMatch(/^Authentication-Results: mx\.ours\.test;/m);
    await h.engine.updateSettings({ auth: { verify: true, enforceDmarc: true, quarantine: 'tag' } });
    await sendFrom('127.0.0.3', plain());
    expect(await stored()).toMatch(/^X-Quarantine: dmarc=fail \(p=quarantine\) header\.from=bank\.test/m);
  });

  it('a DNS timeout is a temperror and never a refusal, even with enforceDmarc', async () => {
    h = await ours({ auth: { verify: true, enforceDmarc: true, quarantine: 'hold' } });
    h.dns.down();
    expect(await sendFrom('127.0.0.3', await signed())).toMatch(/^250/);
    h.dns.up();
    const ar = ourResults(await stored());
    expect(ar).toMatch(/dkim=temperror/);
    expect(ar).toMatch(/spf=temperror/);
  }, 60_000);
});
