// The small pure parts of engine/auth, table-driven: TXT record strings and the
// zone line, selector checks, fresh selectors, whose mail is signed, the From:
// domain, the signing domain for it, the authserv-id of an Authentication-Results
// value, and reverse names back to addresses (SPF's ptr through our resolver).
import { describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { DkimError, checkSelector, freshSelector, recordStrings, sendingDomains, zoneLine } from '../../../engine/auth/dkim-keys.ts';
import { fromDomain, isTrustedSource, signingDomainFor } from '../../../engine/auth/dkim-sign.ts';
import { authservId } from '../../../engine/auth/verify.ts';
import { ipOfReverseName } from '../../../engine/auth/dns.ts';
import type { ClientInfo } from '../../../engine/contracts.ts';

describe('record strings', () => {
  it('splits p= into strings of at most 255 characters, after "v=DKIM1; k=…; "', () => {
    const p = 'A'.repeat(392);
    const got = recordStrings('rsa', p);
    expect(got[0]).toBe('v=DKIM1; k=rsa; ');
    expect(got.slice(1).map((s) => s.length)).toEqual([255, 139]);
    expect(got.join('')).toBe(`v=DKIM1; k=rsa; p=${p}`);
    expect(zoneLine('shop.test', 's2026', 'ed25519', 'QUJD')).toBe('s2026._domainkey.shop.test. IN TXT "v=DKIM1; k=ed25519; " "p=QUJD"');
  });
});

describe('selectors', () => {
  const cases: { got: string; want: boolean }[] = [
    { got: 's2026', want: true }, { got: 'mail.2026-01', want: true }, { got: 'a', want: true },
    { got: 'bad_sel', want: false }, { got: '-x', want: false }, { got: 'a..b', want: false }, { got: 'a b', want: false }, { got: '', want: false },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.got)} is ${c.want ? 'valid' : 'refused'}`, () => {
      if (c.want) expect(() => checkSelector(c.got)).not.toThrow();
      else expect(() => checkSelector(c.got)).toThrow(DkimError);
    });
  }
  it('picks a fresh one per month and type', () => {
    const now = new Date(Date.UTC(2026, 11, 5));
    expect(freshSelector('rsa', now, [])).toBe('s202612');
    expect(freshSelector('ed25519', now, [])).toBe('e202612');
    expect(freshSelector('rsa', now, ['s202612', 'S202612-2'])).toBe('s202612-3');
  });
});

describe('whose mail is signed', () => {
  const base: ClientInfo = { address: '192.0.2.7', protocol: 'ESMTP', daemon: 'smtp' };
  const cases: { name: string; got: ClientInfo; want: boolean }[] = [
    { name: 'a stranger on the SMTP port', got: base, want: false },
    { name: 'a stranger on submission without AUTH', got: { ...base, daemon: 'submission' }, want: false },
    { name: 'an AUTH user', got: { ...base, daemon: 'submission', user: 'alice' }, want: true },
    { name: 'a relay client', got: { ...base, internal: true }, want: true },
    { name: 'the sendmail command', got: { address: '', protocol: 'local', daemon: 'cli' }, want: true },
    { name: 'our bounces', got: { address: '', protocol: 'local', daemon: 'bounce' }, want: true },
  ];
  for (const c of cases) it(c.name, () => expect(isTrustedSource(c.got)).toBe(c.want));
});

describe('From: domain and the domain that signs for it', () => {
  const cases: { got: string; want: string | null }[] = [
    { got: 'From: Alice <alice@Shop.Test>\r\n', want: 'shop.test' },
    { got: 'Subject: x\r\nfrom: alice@shop.test (Alice)\r\n', want: 'shop.test' },
    { got: 'From: "a@b" <alice@web1.shop.test>\r\n', want: 'web1.shop.test' },
    { got: 'From:\r\n Alice <alice@shop.test>\r\n', want: 'shop.test' },
    { got: 'To: bob@dest.test\r\n', want: null },
  ];
  for (const c of cases) it(JSON.stringify(c.got), () => expect(fromDomain(c.got)).toBe(c.want));
  it('signs with the domain itself, else its nearest parent with keys', () => {
    const s = SettingsSchema.parse({ dkim: { domains: { 'shop.test': { keys: [] }, 'eu.shop.test': { keys: [] } } } });
    expect(signingDomainFor('shop.test', s)).toBe('shop.test');
    expect(signingDomainFor('mail.shop.test', s)).toBe('shop.test');
    expect(signingDomainFor('x.eu.shop.test', s)).toBe('eu.shop.test');
    expect(signingDomainFor('test', s)).toBeNull();
    expect(signingDomainFor('other.test', s)).toBeNull();
  });
  it('knows the domains we send for', () => {
    const s = SettingsSchema.parse({ hostname: 'mail.shop.test', domains: { local: ['shop.test'] }, rewrite: { masqueradeAs: 'corp.test', generics: { u: 'u@brand.test' } } });
    expect(sendingDomains(s)).toEqual(['brand.test', 'corp.test', 'mail.shop.test', 'shop.test']);
  });
});

describe('authserv-id and reverse names', () => {
  it('reads the authserv-id of an Authentication-Results value', () => {
    expect(authservId(' MX.Ours.Test; spf=pass')).toBe('mx.ours.test');
    expect(authservId(' mx.ours.test 1; dkim=pass')).toBe('mx.ours.test');
    expect(authservId(' (comment) mx.ours.test;')).toBe('mx.ours.test');
  });
  it('turns reverse names back into addresses', () => {
    expect(ipOfReverseName('2.0.0.127.in-addr.arpa.')).toBe('127.0.0.2');
    expect(ipOfReverseName(`${'0.'.repeat(33)}ip6.arpa`)).toBeNull(); // 33 nibbles: not an address
    expect(ipOfReverseName(`1.${'0.'.repeat(31)}ip6.arpa`)).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
    expect(ipOfReverseName('example.test')).toBeNull();
  });
});
