// MX selection over a real loopback DNS server: preference order, tie shuffle,
// implicit MX, null MX, brackets, and what DNS failures mean for the recipients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns, type Dns } from '../../../engine/dns/resolver.ts';
import { findMailHosts, order } from '../../../engine/transports/mx.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';

let server: DnsServer;
let dns: Dns;

beforeAll(async () => {
  server = await startDnsServer({
    'pref.test': { mx: [
      { priority: 30, exchange: 'c.pref.test' },
      { priority: 10, exchange: 'a.pref.test' },
      { priority: 20, exchange: 'b.pref.test' },
    ] },
    'tie.test': { mx: [
      { priority: 10, exchange: 'one.tie.test' },
      { priority: 10, exchange: 'two.tie.test' },
      { priority: 10, exchange: 'three.tie.test' },
      { priority: 5, exchange: 'first.tie.test' },
    ] },
    'nomx.test': { a: ['127.0.0.1'] },
    'null.test': { mx: [{ priority: 0, exchange: '.' }] },
    'mixed-null.test': { mx: [{ priority: 0, exchange: '.' }, { priority: 10, exchange: 'real.mixed-null.test' }] },
    'self.test': { mx: [{ priority: 10, exchange: 'mailstop.test' }, { priority: 20, exchange: 'backup.self.test' }] },
    'below-self.test': { mx: [{ priority: 5, exchange: 'primary.below-self.test' }, { priority: 10, exchange: 'mailstop.test' }] },
  });
  server.fail('servfail.test');
  dns = createDns(() => ({ servers: [server.server], timeout: '1s' }));
});
afterAll(() => server.stop());

const names = (r: Awaited<ReturnType<typeof findMailHosts>>) => (r.ok ? r.hosts.map((h) => h.name) : r);

describe('findMailHosts', () => {
  const cases: { nexthop: string; want: unknown; self?: string }[] = [
    { nexthop: 'pref.test', want: ['a.pref.test', 'b.pref.test', 'c.pref.test'] },
    { nexthop: 'PREF.test.', want: ['a.pref.test', 'b.pref.test', 'c.pref.test'] },
    // RFC 5321 §5.1: no MX → the domain itself.
    { nexthop: 'nomx.test', want: ['nomx.test'] },
    // Brackets: no MX lookup at all (a literal needs no DNS).
    { nexthop: '[127.0.0.5]', want: ['127.0.0.5'] },
    { nexthop: '[pref.test]', want: ['pref.test'] },
    { nexthop: 'null.test', want: { ok: false, status: 'bounced', dsnStatus: '5.1.10', reply: 'Domain null.test does not accept mail (null MX)' } },
    // RFC 7505 §3: a null MX among real ones is ignored.
    { nexthop: 'mixed-null.test', want: ['real.mixed-null.test'] },
    { nexthop: 'nowhere.test', want: { ok: false, status: 'bounced', dsnStatus: '5.1.2', reply: 'Host unknown (Name server: nowhere.test.: host not found)' } },
    { nexthop: 'servfail.test', want: { ok: false, status: 'deferred', dsnStatus: '4.4.3', reply: 'Name server: servfail.test.: host name lookup failure' } },
    // RFC 5321 §5.1: we are an MX ourselves — only more preferred hosts count.
    { nexthop: 'below-self.test', self: 'mailstop.test', want: ['primary.below-self.test'] },
    { nexthop: 'self.test', self: 'MAILSTOP.test', want: { ok: false, status: 'bounced', dsnStatus: '5.3.5', reply: 'MX list for self.test. points back to mailstop.test' } },
  ];
  for (const c of cases) {
    it(`${c.nexthop}${c.self ? ` (self ${c.self})` : ''}`, async () => {
      const got = names(await findMailHosts(c.nexthop, dns, { self: c.self, random: () => 0 }));
      expect(got).toEqual(c.want);
    });
  }

  it('literal addresses come back resolved', async () => {
    const got = await findMailHosts('[127.0.0.5]', dns);
    expect(got).toEqual({ ok: true, hosts: [{ name: '127.0.0.5', preference: 0, addresses: ['127.0.0.5'] }] });
  });

  it('a DNS server that does not answer defers (4.4.3)', async () => {
    server.down();
    try {
      const got = await findMailHosts('pref.test', dns);
      expect(got).toMatchObject({ ok: false, status: 'deferred', dsnStatus: '4.4.3' });
    } finally {
      server.up();
    }
  });

  it('equal preferences are shuffled, lower preference always first (RFC 5321 §5.1)', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const got = names(await findMailHosts('tie.test', dns)) as string[];
      expect(got[0]).toBe('first.tie.test');
      seen.set(got.slice(1).join(','), (seen.get(got.slice(1).join(',')) ?? 0) + 1);
    }
    // 6 orders of 3, each with p = 1/6: all six missing from 60 draws has p ≈ 1e-4 per order.
    expect(seen.size).toBeGreaterThanOrEqual(4);
  });
});

describe('order', () => {
  it('uses the injected randomness for ties only', () => {
    const hosts = [
      { name: 'b', preference: 10 }, { name: 'x', preference: 20 }, { name: 'a', preference: 10 }, { name: 'c', preference: 10 },
    ];
    // random() = 0 always swaps position i with 0: [b,a,c] → i=2: [c,a,b] → i=1: [a,c,b].
    expect(order(hosts, () => 0).map((h) => h.name)).toEqual(['a', 'c', 'b', 'x']);
    // random() ≈ 1 keeps every element in place.
    expect(order(hosts, () => 0.999).map((h) => h.name)).toEqual(['b', 'a', 'c', 'x']);
  });
});
