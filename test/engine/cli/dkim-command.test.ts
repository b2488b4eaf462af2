// `mailstop dkim` with no engine running: keys made and listed on config.json,
// the record printed in zone-file form, bad input in one line, and `dkim check`
// against a loopback DNS server named in dns.servers.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMain } from './in-process.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';

let home: string;
let dns: DnsServer;
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-dkim-'));
  dns = await startDnsServer({ 'mail.shop.test': { a: ['192.0.2.10'] } });
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
    hostname: 'mail.shop.test', domains: { local: ['shop.test'] }, dns: { servers: [dns.server], timeout: '1s' },
  }));
});
afterEach(async () => { await dns.stop(); await fs.rm(home, { recursive: true, force: true }); });

const run = (...argv: string[]) => runMain(argv, { MAILSTOP_HOME: home });

describe('mailstop dkim (engine not running)', () => {
  it('keygen prints the record, show lists it, check reads it back from DNS', async () => {
    const made = await run('dkim', 'keygen', 'shop.test', '--selector', 's2026', '--type', 'ed25519');
    expect(made.code).toBe(0);
    const line = made.stdout.split('\n').find((l) => l.startsWith('s2026.'))!;
    expect(line).toMatch(/^s2026\._domainkey\.shop\.test\. IN TXT "v=DKIM1; k=ed25519; " "p=[A-Za-z0-9+/]{43}="$/);
    const config = JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8'));
    expect(config.dkim.domains['shop.test']).toEqual({ sign: true, keys: [{ selector: 's2026', type: 'ed25519', file: 'dkim/shop.test.s2026.key', signing: true }] });
    const shown = await run('dkim', 'show');
    expect(shown.stdout).toContain(line);
    expect(shown.stdout).toMatch(/; shop\.test: signing on/);

    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    dns.set('s2026._domainkey.shop.test', { txt: [strings] });
    dns.set('shop.test', { txt: ['v=spf1 ip4:192.0.2.10 -all'] });
    const partly = await run('dkim', 'check', 'shop.test');
    expect(partly.code).toBe(65); // DMARC is missing
    expect(partly.stdout).toMatch(/^ok {4}DKIM: signing key s2026 \(ed25519\): the record at s2026\._domainkey\.shop\.test matches the key$/m);
    expect(partly.stdout).toMatch(/^ok {4}SPF: /m);
    expect(partly.stdout).toMatch(/^FIX {3}DMARC: shop\.test publishes no DMARC record.*\n {6}fix: _dmarc\.shop\.test\. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@shop\.test"$/m);
    dns.set('_dmarc.shop.test', { txt: ['v=DMARC1; p=reject'] });
    expect((await run('dkim', 'check', 'shop.test')).code).toBe(0);

    expect((await run('dkim', 'disable', 'shop.test')).stdout).toMatch(/signing OFF/);
    expect((await run('dkim', 'remove', 'shop.test', 's2026')).code).toBe(0);
    await expect(fs.stat(path.join(home, 'dkim', 'shop.test.s2026.key'))).rejects.toThrow(/ENOENT/);
  });

  const bad: { argv: string[]; want: { code: number; stderr: RegExp } }[] = [
    { argv: ['dkim', 'keygen', 'shop.test', '--selector', 'a b'], want: { code: 65, stderr: /^mailstop: selector "a b" is not valid/ } },
    { argv: ['dkim', 'keygen', 'bank.test'], want: { code: 65, stderr: /^mailstop: bank\.test is not a domain we send for/ } },
    { argv: ['dkim', 'keygen', 'shop.test', '--type', 'dsa'], want: { code: 64, stderr: /^mailstop: --type wants rsa, ed25519 or both, got "dsa"/ } },
    { argv: ['dkim', 'show', 'nokeys.test'], want: { code: 65, stderr: /^mailstop: nokeys\.test has no DKIM keys/ } },
    { argv: ['dkim', 'frob'], want: { code: 64, stderr: /^mailstop: unknown dkim subcommand: frob/ } },
  ];
  for (const c of bad) {
    it(`bad input: ${c.argv.join(' ')}`, async () => {
      const got = await run(...c.argv);
      expect(got.code).toBe(c.want.code);
      expect(got.stderr).toMatch(c.want.stderr);
    });
  }
});
