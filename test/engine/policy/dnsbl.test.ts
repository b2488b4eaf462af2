// DNS block lists against a real loopback DNS server (dns2): listed, not listed,
// answer codes, lookup failure → temp-fail only when the list asks for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDns } from '../../../engine/dns/resolver.ts';
import { DnsblSchema } from '../../../engine/config/schema.ts';
import { dnsblQueryName, dnsblVerdict, expandDnsblMessage, testDnsbl } from '../../../engine/policy/dnsbl.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';

let server: DnsServer;
let dns: ReturnType<typeof createDns>;

beforeAll(async () => {
  server = await startDnsServer({
    '2.0.0.127.bl.test': { a: ['127.0.0.2'], txt: ['listed for testing'] },
    '9.113.0.203.bl.test': { a: ['127.0.0.4'], txt: ['spam source'] },
    '7.113.0.203.bl.test': { a: ['127.0.1.2'] },
    '9.113.0.203.other.test': { a: ['127.0.0.10'] },
  });
  server.fail('5.113.0.203.bl.test');
  dns = createDns(() => ({ servers: [server.server], timeout: '1s' }));
});
afterAll(async () => { await server.stop(); });

const list = (over: Record<string, unknown>) => DnsblSchema.parse({ zone: 'bl.test', ...over });

describe('dnsblQueryName (RFC 5782 §2.1)', () => {
  const cases: [string, string][] = [
    ['192.0.2.99', '99.2.0.192.bl.test'],
    ['::ffff:192.0.2.99', '99.2.0.192.bl.test'],
    ['2001:db8:1:2:3:4:567:89ab', 'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test'],
  ];
  for (const [ip, want] of cases) it(ip, () => expect(dnsblQueryName(ip, 'bl.test.')).toBe(want));
  it('refuses a non-address', () => expect(() => dnsblQueryName('mx.example', 'bl.test')).toThrow(/not an IP address/));
});

describe('dnsblVerdict', () => {
  const show = (v: { action: string; code?: number; enhanced?: string; text?: string }) =>
    v.action === 'reject' || v.action === 'tempfail' ? `${v.code} ${v.enhanced} ${v.text}` : v.action;
  const cases: { name: string; ip: string; lists: ReturnType<typeof list>[]; want: string }[] = [
    { name: 'listed: default message with macros expanded', ip: '203.0.113.9', lists: [list({})], want: '550 5.7.1 Rejected: 203.0.113.9 listed at bl.test' },
    { name: 'listed: own message', ip: '203.0.113.9', lists: [list({ message: 'Mail from $&{client_addr} refused - see http://bl.test/' })], want: '550 5.7.1 Mail from 203.0.113.9 refused - see http://bl.test/' },
    { name: 'not listed (NXDOMAIN)', ip: '203.0.113.8', lists: [list({})], want: 'continue' },
    { name: 'answer outside 127.0.0.x does not count by default', ip: '203.0.113.7', lists: [list({})], want: 'continue' },
    { name: 'enhdnsbl: answer code matches', ip: '203.0.113.9', lists: [list({ match: ['127.0.0.4'], enhanced: true })], want: '550 5.7.1 Rejected: 203.0.113.9 listed at bl.test' },
    { name: 'enhdnsbl: answer code does not match', ip: '203.0.113.9', lists: [list({ match: ['127.0.0.2'], enhanced: true })], want: 'continue' },
    { name: 'enhdnsbl: prefix match', ip: '203.0.113.7', lists: [list({ match: ['127.0.1.'] })], want: '550 5.7.1 Rejected: 203.0.113.7 listed at bl.test' },
    { name: 'lookup failure, tempfail set', ip: '203.0.113.5', lists: [list({ tempfail: true })], want: '451 4.7.1 Temporary lookup failure of 203.0.113.5 at bl.test' },
    { name: 'lookup failure, tempfail not set: skipped', ip: '203.0.113.5', lists: [list({})], want: 'continue' },
    { name: 'second list decides when the first does not list', ip: '203.0.113.9', lists: [list({ zone: 'none.test' }), list({ zone: 'other.test' })], want: '550 5.7.1 Rejected: 203.0.113.9 listed at other.test' },
    { name: 'no address (local submission): nothing asked', ip: '', lists: [list({})], want: 'continue' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { verdict } = await dnsblVerdict(c.ip, c.lists, dns);
      expect(show(verdict)).toBe(c.want);
    });
  }

  it('a server that does not answer at all is a temporary failure', async () => {
    server.down();
    try {
      const { verdict, results } = await dnsblVerdict('203.0.113.9', [list({ tempfail: true })], dns);
      expect(show(verdict)).toBe('451 4.7.1 Temporary lookup failure of 203.0.113.9 at bl.test');
      expect(results[0].status).toBe('error');
    } finally {
      server.up();
    }
  });
});

describe('testDnsbl (the Test lookup button)', () => {
  it('reports every list, with TXT reason when listed', async () => {
    const got = await testDnsbl('203.0.113.9', [list({}), list({ zone: 'none.test' })], dns);
    expect(got).toEqual([
      { zone: 'bl.test', query: '9.113.0.203.bl.test', status: 'listed', answers: ['127.0.0.4'], reason: 'spam source' },
      { zone: 'none.test', query: '9.113.0.203.none.test', status: 'not-listed', answers: [] },
    ]);
  });
  it('refuses something that is not an IP address', async () => {
    await expect(testDnsbl('example.com', [list({})], dns)).rejects.toThrow(/not an IP address/);
  });
});

it('expandDnsblMessage knows both macro spellings', () => {
  expect(expandDnsblMessage('$&{client_addr} / ${client_addr} at $&{zone}', '::ffff:192.0.2.1', 'z.test')).toBe('192.0.2.1 / 192.0.2.1 at z.test');
});
