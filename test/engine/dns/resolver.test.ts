// createDns against a real loopback DNS server (dns2): answers, and the
// classification of every failure the mailer acts on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns, DnsError, type DnsSettings } from '../../../engine/dns/resolver.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';

let server: DnsServer;
let settings: DnsSettings;
const dns = () => createDns(() => settings);

beforeAll(async () => {
  server = await startDnsServer({
    'Example.TEST': {
      mx: [{ priority: 20, exchange: 'mx2.example.test' }, { priority: 10, exchange: 'mx1.example.test' }],
      a: ['127.0.0.1'],
      aaaa: ['::1'],
      txt: ['v=spf1 -all', ['part one ', 'part two']],
    },
    'null-mx.test': { mx: [{ priority: 0, exchange: '.' }] },
    'v4only.test': { a: ['127.0.0.2'] },
    'exists.test': {},
    '9.0.0.127.in-addr.arpa': { ptr: ['mail.example.test'] },
  });
  settings = { servers: [server.server], timeout: '1s' };
});
afterAll(() => server.stop());

describe('answers', () => {
  it('MX, A, AAAA, TXT, host (case-insensitive names, trailing dot ignored)', async () => {
    const d = dns();
    expect(await d.resolveMx('example.test.')).toEqual([
      { priority: 20, exchange: 'mx2.example.test' },
      { priority: 10, exchange: 'mx1.example.test' },
    ]);
    expect(await d.resolve4('EXAMPLE.test')).toEqual(['127.0.0.1']);
    expect(await d.resolve6('example.test')).toEqual(['::1']);
    expect(await d.resolveTxt('example.test')).toEqual(['v=spf1 -all', 'part one part two']);
    expect(await d.resolveHost('example.test')).toEqual(['127.0.0.1', '::1']);
    expect(await d.resolveHost('v4only.test')).toEqual(['127.0.0.2']);
  });

  it('reverse lookup (PTR)', async () => {
    expect(await dns().reverse('127.0.0.9')).toEqual(['mail.example.test']);
    await expect(dns().reverse('127.0.0.10')).rejects.toMatchObject({ kind: 'nxdomain' });
  });

  it('null MX comes back as exchange "" (RFC 7505 "0 .")', async () => {
    expect(await dns().resolveMx('null-mx.test')).toEqual([{ priority: 0, exchange: '' }]);
  });

  it('follows settings changes without being rebuilt', async () => {
    let s: DnsSettings = { servers: ['127.0.0.1:1'], timeout: '1s' };
    const d = createDns(() => s);
    s = { servers: [server.server], timeout: '1s' };
    expect(await d.resolve4('v4only.test')).toEqual(['127.0.0.2']);
  });
});

describe('failures are classified', () => {
  const cases: { name: string; lookup: 'resolveMx' | 'resolve4' | 'resolveHost' | 'resolveTxt'; want: { kind: string; code: string } }[] = [
    { name: 'nowhere.test', lookup: 'resolveMx', want: { kind: 'nxdomain', code: 'ENOTFOUND' } },
    { name: 'exists.test', lookup: 'resolveMx', want: { kind: 'nodata', code: 'ENODATA' } },
    { name: 'exists.test', lookup: 'resolveHost', want: { kind: 'nodata', code: 'ENODATA' } },
    { name: 'nowhere.test', lookup: 'resolveHost', want: { kind: 'nxdomain', code: 'ENOTFOUND' } },
    { name: 'v4only.test', lookup: 'resolveTxt', want: { kind: 'nodata', code: 'ENODATA' } },
  ];
  for (const c of cases) {
    it(`${c.lookup}(${c.name}) → ${c.want.kind}`, async () => {
      const got = await dns()[c.lookup](c.name).then(() => null, (e: unknown) => e);
      expect(got).toBeInstanceOf(DnsError);
      expect({ kind: (got as DnsError).kind, code: (got as DnsError).code }).toEqual(c.want);
      expect((got as DnsError).name).toBe(c.name);
    });
  }

  it('SERVFAIL → temporary', async () => {
    server.fail('example.test');
    try {
      const got = await dns().resolveMx('example.test').then(() => null, (e: unknown) => e);
      expect(got).toMatchObject({ kind: 'temporary', code: 'ESERVFAIL' });
      // A and AAAA both fail too: resolveHost must not turn that into "no address".
      const host = await dns().resolveHost('example.test').then(() => null, (e: unknown) => e);
      expect(host).toMatchObject({ kind: 'temporary' });
    } finally {
      server.unfail('example.test');
    }
  });

  it('a server that does not answer → temporary (timeout)', async () => {
    server.down();
    try {
      const got = await dns().resolveMx('example.test').then(() => null, (e: unknown) => e);
      expect(got).toMatchObject({ kind: 'temporary', code: 'ETIMEOUT' });
    } finally {
      server.up();
    }
  });

  it('unreachable server (nothing listening) → temporary', async () => {
    const d = createDns(() => ({ servers: ['127.0.0.1:1'], timeout: '1s' }));
    const got = await d.resolve4('example.test').then(() => null, (e: unknown) => e);
    expect(got).toMatchObject({ kind: 'temporary' });
  });
});

describe('the test DNS server itself', () => {
  it('records queries, and set/remove/clear change answers', async () => {
    const s = await startDnsServer();
    try {
      const d = createDns(() => ({ servers: [s.server], timeout: '1s' }));
      s.set('Late.TEST', { a: ['127.0.0.9'] });
      expect(await d.resolve4('late.test')).toEqual(['127.0.0.9']);
      expect(s.queries).toContainEqual({ name: 'late.test', type: 'A' });
      s.remove('late.test');
      await expect(d.resolve4('late.test')).rejects.toMatchObject({ kind: 'nxdomain' });
      s.set('late.test', { a: ['127.0.0.9'] });
      s.clear();
      await expect(d.resolve4('late.test')).rejects.toMatchObject({ kind: 'nxdomain' });
    } finally {
      await s.stop();
    }
  });
});
