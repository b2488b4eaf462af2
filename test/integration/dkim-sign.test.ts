// DKIM signing end to end (issue 15): keys made through EngineApi, their records
// published on the loopback DNS server, mail relayed to a loopback sink, and the
// signatures checked by an independent verifier (Debian's dkimpy) against the
// records that DNS server serves.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DkimRecordInfo } from '../../engine/api.ts';
import { dkimpyVerify, publishedRecords } from '../helpers/dkimpy.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

const shop = () => startHarness({
  settings: () => ({ hostname: 'mail.shop.test', domains: { local: ['shop.test'], relay: [] } }),
  zone: {
    'dest.test': { mx: [{ priority: 10, exchange: 'mx.dest.test' }] },
    'mx.dest.test': { a: ['127.0.0.1'] },
    'sender.test': { mx: [{ priority: 10, exchange: 'mx.sender.test' }] },
    'mx.sender.test': { a: ['127.0.0.1'] },
  },
});

/** Put each key's record on the loopback DNS server, as its strings. */
function publish(h: Harness, keys: DkimRecordInfo[]): string[] {
  return keys.map((k) => {
    const name = `${k.selector}._domainkey.${k.domain}`;
    h.dns.set(name, { txt: [k.strings!] });
    return name;
  });
}

async function submitRaw(h: Harness, from: string, to: string, raw: string): Promise<void> {
  await h.engine.submit({ envelope: { sender: from, recipients: [{ address: to }] }, messageBase64: Buffer.from(raw).toString('base64') });
}

describe('DKIM signing of mail that leaves the machine', () => {
  it('signs with RSA and Ed25519 keys, and dkimpy verifies both against the published records', async () => {
    h = await shop();
    const keys = await h.engine.dkimKeygen('shop.test', { type: 'both', selector: 's2026' });
    expect(keys.map((k) => [k.selector, k.type])).toEqual([['s2026', 'rsa'], ['s2026-ed', 'ed25519']]);
    expect(keys[0].zone).toMatch(/^s2026\._domainkey\.shop\.test\. IN TXT "v=DKIM1; k=rsa; " "p=[A-Za-z0-9+/=]+" "[A-Za-z0-9+/=]+"$/);
    for (const s of keys[0].strings!) expect(s.length).toBeLessThanOrEqual(255);
    const names = publish(h, keys);
    await h.submit('alice@shop.test', ['bob@dest.test'], 'Signed twice.');
    const [msg] = await h.sink.waitForMessages(1, 20_000);
    const results = await dkimpyVerify(msg.raw, await publishedRecords(h.dns.server, names));
    expect(results).toEqual([
      expect.objectContaining({ d: 'shop.test', s: 's2026', a: 'rsa-sha256', ok: true }),
      expect.objectContaining({ d: 'shop.test', s: 's2026-ed', a: 'ed25519-sha256', ok: true }),
    ].sort((a, b) => (a.s < b.s ? -1 : 1)) as never);
    expect(msg.raw.toString()).toMatch(/^DKIM-Signature:[^]*c=relaxed\/relaxed/m);
    // The verifier can say no: one changed body byte breaks both signatures.
    const tampered = Buffer.from(msg.raw.toString('latin1').replace('Signed twice.', 'Signed thrice'), 'latin1');
    const bad = await dkimpyVerify(tampered, await publishedRecords(h.dns.server, names));
    expect(bad.map((r) => r.ok)).toEqual([false, false]);
    expect((await h.engine.tailLog(50)).some((l) => /DKIM: signed as d=shop\.test s=s2026,s2026-ed/.test(l))).toBe(true);
  });

  it('signs the From: that masquerading wrote, not the one submitted', async () => {
    h = await startHarness({
      settings: () => ({ hostname: 'web1.shop.test', rewrite: { masqueradeAs: 'shop.test' } }),
      zone: { 'dest.test': { mx: [{ priority: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { a: ['127.0.0.1'] } },
    });
    const [key] = await h.engine.dkimKeygen('shop.test', { type: 'ed25519' });
    const names = publish(h, [key]);
    await submitRaw(h, 'alice@web1.shop.test', 'bob@dest.test', 'From: Alice <alice@web1.shop.test>\nTo: bob@dest.test\nSubject: hi\n\nbody\n');
    const [msg] = await h.sink.waitForMessages(1, 20_000);
    const text = msg.raw.toString();
    expect(text).toMatch(/^From: Alice <alice@shop\.test>\r$/m);
    expect(text).toMatch(/DKIM-Signature:[^]*d=shop\.test/);
    const [r] = await dkimpyVerify(msg.raw, await publishedRecords(h.dns.server, names));
    expect(r).toMatchObject({ d: 'shop.test', ok: true });
    // dkimpy checked h= over the From: that was sent: putting the old one back must fail.
    const old = Buffer.from(text.replace('From: Alice <alice@shop.test>', 'From: Alice <alice@web1.shop.test>'));
    expect((await dkimpyVerify(old, await publishedRecords(h.dns.server, names)))[0].ok).toBe(false);
  });

  it('signs mail relayed through the smart host too', async () => {
    h = await startHarness({
      settings: ({ sink }) => ({ hostname: 'mail.shop.test', domains: { local: ['shop.test'], relay: [] },
        smartHost: { host: '[127.0.0.1]', port: sink.port, tls: 'none' } }),
    });
    const [key] = await h.engine.dkimKeygen('shop.test', { type: 'ed25519' });
    const names = publish(h, [key]);
    await h.submit('alice@shop.test', ['someone@anywhere.example']);
    const [msg] = await h.sink.waitForMessages(1, 20_000);
    expect(msg.envelope.rcptTo).toEqual(['someone@anywhere.example']);
    const [r] = await dkimpyVerify(msg.raw, await publishedRecords(h.dns.server, names));
    expect(r).toMatchObject({ d: 'shop.test', a: 'ed25519-sha256', ok: true });
  });

  it('signs an 8-bit message in its 7-bit form, so a peer without 8BITMIME still gets a valid signature', async () => {
    h = await startHarness({
      settings: () => ({ hostname: 'mail.shop.test', domains: { local: ['shop.test'], relay: [] } }),
      zone: { 'dest.test': { mx: [{ priority: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { a: ['127.0.0.1'] } },
      sink: { serverOptions: { hide8BITMIME: true } },
    });
    const [key] = await h.engine.dkimKeygen('shop.test', { type: 'ed25519' });
    const names = publish(h, [key]);
    await submitRaw(h, 'alice@shop.test', 'bob@dest.test',
      'From: alice@shop.test\nTo: bob@dest.test\nSubject: 8-bit\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nCaf\u00e9 cr\u00e8me\n');
    const [msg] = await h.sink.waitForMessages(1, 20_000);
    expect([...msg.raw].every((b) => b < 0x80)).toBe(true);
    expect(msg.raw.toString()).toMatch(/^Content-Transfer-Encoding: quoted-printable\r$/m);
    const [r] = await dkimpyVerify(msg.raw, await publishedRecords(h.dns.server, names));
    expect(r).toMatchObject({ d: 'shop.test', ok: true });
  });

  it('signs the DSNs we generate for our domains (From: MAILER-DAEMON@host under a signing domain)', async () => {
    h = await startHarness({
      settings: () => ({ hostname: 'mail.shop.test', domains: { local: ['shop.test'], relay: [] } }),
      sink: { replies: { rcpt: { 'nobody@dest.test': '550 5.1.1 No such user' } } },
    });
    const [key] = await h.engine.dkimKeygen('shop.test');
    const names = publish(h, [key]);
    await h.send('alice@sender.test', ['nobody@dest.test']);
    const [dsn] = await h.sink.waitForMessages(1, 20_000);
    expect(dsn.envelope.mailFrom).toBe('');
    const [r] = await dkimpyVerify(dsn.raw, await publishedRecords(h.dns.server, names));
    expect(r).toMatchObject({ d: 'shop.test', a: 'rsa-sha256', ok: true });
  });

  it('does not sign what is delivered locally, nor mail of domains without a key', async () => {
    h = await shop();
    await h.engine.dkimKeygen('shop.test');
    // A Maildir makes carol a local user (no passwd file in tests).
    const box = path.join(h.home, 'mail', 'carol', 'new');
    for (const sub of ['new', 'cur', 'tmp']) await fs.mkdir(path.join(h.home, 'mail', 'carol', sub), { recursive: true });
    await submitRaw(h, 'alice@shop.test', 'carol@shop.test', 'From: alice@shop.test\nSubject: local\n\nx\n');
    await submitRaw(h, 'alice@sender.test', 'bob@dest.test', 'From: alice@sender.test\nSubject: foreign\n\nx\n');
    const [out] = await h.sink.waitForMessages(1, 20_000);
    await h.engine.whenIdle();
    expect(out.raw.toString()).not.toMatch(/DKIM-Signature/i);
    const files = await fs.readdir(box);
    expect(files).toHaveLength(1);
    expect(await fs.readFile(path.join(box, files[0]), 'utf8')).not.toMatch(/DKIM-Signature/i);
  });

  it('keeps the key files private and a rotated selector listed until removed', async () => {
    h = await shop();
    const [first] = await h.engine.dkimKeygen('shop.test', { selector: 'old' });
    expect((await fs.stat(path.join(h.home, 'dkim'))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(h.home, first.file))).mode & 0o777).toBe(0o600);
    const [second] = await h.engine.dkimKeygen('shop.test', { selector: 'new' });
    const [shown] = await h.engine.dkimShow('shop.test');
    expect(shown.keys.map((k) => [k.selector, k.signing])).toEqual([['old', false], ['new', true]]);
    const names = publish(h, [first, second]);
    await h.submit('alice@shop.test', ['bob@dest.test']);
    const [msg] = await h.sink.waitForMessages(1, 20_000);
    const results = await dkimpyVerify(msg.raw, await publishedRecords(h.dns.server, names));
    expect(results).toEqual([expect.objectContaining({ s: 'new', ok: true })]);
    await h.engine.dkimRemove('shop.test', 'old');
    expect((await h.engine.dkimShow('shop.test'))[0].keys.map((k) => k.selector)).toEqual(['new']);
    await expect(fs.stat(path.join(h.home, first.file))).rejects.toThrow(/ENOENT/);
  });

  it('switched off, or with a broken key file, the mail still goes out unsigned and the log says why', async () => {
    h = await shop();
    const [key] = await h.engine.dkimKeygen('shop.test');
    await h.engine.dkimSetSigning('shop.test', false);
    await h.submit('alice@shop.test', ['bob@dest.test'], 'one');
    await h.sink.waitForMessages(1, 20_000);
    expect(h.sink.messages[0].raw.toString()).not.toMatch(/DKIM-Signature/i);
    await h.engine.dkimSetSigning('shop.test', true);
    await fs.writeFile(path.join(h.home, key.file), 'this is not a key\n');
    await h.submit('alice@shop.test', ['bob@dest.test'], 'two');
    await h.sink.waitForMessages(2, 20_000);
    expect(h.sink.messages[1].raw.toString()).not.toMatch(/DKIM-Signature/i);
    const log = await h.engine.tailLog(50);
    expect(log.some((l) => /DKIM: selector \S+ of shop\.test not used: key file .* is not a private key/.test(l))).toBe(true);
    expect(log.some((l) => /DKIM: not signed: no usable key for shop\.test; sending it unsigned/.test(l))).toBe(true);
    const [shown] = await h.engine.dkimShow('shop.test');
    expect(shown.keys[0].error).toMatch(/is not a private key/);
    // Headers the signer cannot work with (no empty line, no body): delivered unsigned, logged.
    await h.engine.dkimKeygen('shop.test', { selector: 'fresh' });
    await submitRaw(h, 'alice@shop.test', 'bob@dest.test', 'From: alice@shop.test\nSubject: headers only');
    await h.sink.waitForMessages(3, 20_000);
    expect(h.sink.messages[2].raw.toString()).not.toMatch(/DKIM-Signature/i);
    expect((await h.engine.tailLog(50)).some((l) => /DKIM: not signed: the signer produced no signature for shop\.test .*sending it unsigned/.test(l))).toBe(true);
    await fs.rm(path.join(h.home, key.file));
    expect((await h.engine.dkimShow('shop.test'))[0].keys[0].error).toMatch(/is missing/);
  });

  it('refuses bad input with words: a bad selector, a domain we do not send for', async () => {
    h = await shop();
    await expect(h.engine.dkimKeygen('shop.test', { selector: 'bad_sel!' })).rejects.toThrow(/selector "bad_sel!" is not valid/);
    await expect(h.engine.dkimKeygen('elsewhere.test')).rejects.toThrow(/elsewhere\.test is not a domain we send for/);
    await expect(h.engine.dkimKeygen('elsewhere.test', { force: true })).resolves.toHaveLength(1);
    await expect(h.engine.dkimRemove('shop.test', 'x')).rejects.toThrow(/shop\.test has no DKIM keys/);
    expect((await h.engine.getSettings()).dkim.domains['elsewhere.test'].sign).toBe(true);
  });
});
