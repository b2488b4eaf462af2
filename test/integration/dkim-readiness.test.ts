// The readiness check (issue 15, `mailstop dkim check`, the DKIM page): the
// DKIM, SPF and DMARC records a loopback DNS server publishes, right and wrong,
// and what the check says to fix. Through EngineApi, over the configured resolvers.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadinessItem } from '../../engine/api.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

const setup = (extra: object = {}) => startHarness({
  settings: ({ dns }) => ({ hostname: 'mail.shop.test', domains: { local: ['shop.test'], relay: [] }, dns: { servers: [dns.server], timeout: '1s' }, ...extra }),
  zone: { 'mail.shop.test': { a: ['192.0.2.10'] }, 'smarthost.test': { a: ['192.0.2.20'] } },
});

const by = (items: ReadinessItem[], item: ReadinessItem['item']) => items.filter((i) => i.item === item);

describe('dkim check: are the DNS records right?', () => {
  it('all published and right: every item ok', async () => {
    h = await setup();
    const [key] = await h.engine.dkimKeygen('shop.test', { selector: 's2026' });
    h.dns.set('s2026._domainkey.shop.test', { txt: [key.strings!] });
    h.dns.set('shop.test', { txt: ['v=spf1 ip4:192.0.2.10 -all'] });
    h.dns.set('_dmarc.shop.test', { txt: ['v=DMARC1; p=quarantine; rua=mailto:postmaster@shop.test'] });
    const items = await h.engine.dkimCheck('shop.test');
    expect(items.filter((i) => i.level !== 'ok')).toEqual([]);
    expect(by(items, 'dkim')[0].detail).toMatch(/s2026 \(rsa\): the record at s2026\._domainkey\.shop\.test matches the key/);
    expect(by(items, 'spf')[0].detail).toMatch(/lets this server \(mail\.shop\.test\) send from 192\.0\.2\.10/);
    expect(by(items, 'dmarc').map((i) => i.detail)).toEqual([
      expect.stringMatching(/DMARC record found: p=quarantine/),
      expect.stringMatching(/DKIM aligns: mail from @shop\.test is signed with d=shop\.test/),
    ]);
  });

  it('nothing published: says what to publish, in zone-file form', async () => {
    h = await setup();
    const [key] = await h.engine.dkimKeygen('shop.test', { selector: 's2026' });
    const items = await h.engine.dkimCheck('shop.test');
    const dkim = by(items, 'dkim')[0];
    expect(dkim).toMatchObject({ level: 'error', fix: key.zone });
    expect(by(items, 'spf')[0]).toMatchObject({ level: 'error', detail: 'shop.test publishes no SPF record', fix: 'shop.test. IN TXT "v=spf1 ip4:192.0.2.10 ~all"' });
    expect(by(items, 'dmarc')[0]).toMatchObject({ level: 'error', fix: '_dmarc.shop.test. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@shop.test"' });
  });

  it('wrong records: another key, an SPF without the smart host, DMARC p=none, no key at all', async () => {
    h = await setup({ smartHost: { host: 'smarthost.test', port: 587, tls: 'none' } });
    await h.engine.dkimKeygen('shop.test', { selector: 's2026' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    h.dns.set('s2026._domainkey.shop.test', { txt: [['v=DKIM1; k=rsa; ', `p=${other.slice(0, 250)}`, other.slice(250)]] });
    h.dns.set('shop.test', { txt: ['v=spf1 ip4:192.0.2.10 -all'] });
    h.dns.set('_dmarc.shop.test', { txt: ['v=DMARC1; p=none'] });
    const items = await h.engine.dkimCheck('shop.test');
    expect(by(items, 'dkim')[0]).toMatchObject({ level: 'error', detail: expect.stringMatching(/does not match the key/) });
    expect(by(items, 'spf')[0]).toMatchObject({
      level: 'error', detail: expect.stringMatching(/does not allow the smart host smarthost\.test at 192\.0\.2\.20 \(result: fail\)/),
      fix: 'add ip4:192.0.2.20 to "v=spf1 ip4:192.0.2.10 -all"',
    });
    expect(by(items, 'dmarc')[0]).toMatchObject({ level: 'warn', detail: expect.stringMatching(/p=none/) });
    await h.engine.dkimRemove('shop.test', 's2026');
    const none = await h.engine.dkimCheck('shop.test');
    expect(by(none, 'dkim')[0]).toMatchObject({ level: 'error', detail: 'shop.test has no DKIM key, so its mail is not signed', fix: 'mailstop dkim keygen shop.test' });
    expect(by(none, 'dmarc')[1]).toMatchObject({ level: 'error', detail: expect.stringMatching(/DKIM does not align/) });
  });

  it('a DNS server that does not answer: "try again later", never "wrong"', async () => {
    h = await setup();
    await h.engine.dkimKeygen('shop.test', { selector: 's2026' });
    h.dns.down();
    const items = await h.engine.dkimCheck('shop.test');
    expect(items.map((i) => i.level)).not.toContain('error');
    expect(items.every((i) => /try again later|lookup failed|could not/.test(i.detail))).toBe(true);
  }, 60_000);
});
