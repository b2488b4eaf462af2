// Relay control, table-driven like Postfix's smtpd_check tests: who may relay,
// which recipients a stranger may use, and the routing tricks that are refused.
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import type { ClientInfo } from '../../../engine/contracts.ts';
import { createPolicy } from '../../../engine/policy/index.ts';
import { parseRecipient } from '../../../engine/policy/address.ts';
import type { PolicySession, Verdict } from '../../../engine/policy/types.ts';
import { isLocalDomain as resolveIsLocal } from '../../../engine/resolve/index.ts';
import type { InterfaceTable } from '../../../engine/config/our-domains.ts';

const settings = SettingsSchema.parse({
  hostname: 'mx.example.org',
  domains: { local: ['example.org', 'Example.NET'], relay: ['192.168.0.0/24', '10.0.0.5', '2001:db8::/32', 'partner.example'] },
});
const policy = createPolicy({ settings: () => settings });

function session(address: string, extra: Partial<ClientInfo> = {}, localAddress = '127.0.0.1'): PolicySession {
  return {
    client: { address, protocol: 'ESMTP', daemon: 'smtp', ...extra },
    localAddress,
    recipients: [],
    badRecipients: 0,
  };
}

const show = (v: Verdict) => (v.action === 'reject' || v.action === 'tempfail' ? `${v.code} ${v.enhanced}` : v.action);

describe('policy.onRcptTo', () => {
  const stranger = session('203.0.113.9');
  const cases: { name: string; s: PolicySession; rcpt: string; want: string }[] = [
    { name: 'stranger to a local domain', s: stranger, rcpt: 'bob@example.org', want: 'ok' },
    { name: 'stranger to a local domain, case and trailing dot', s: stranger, rcpt: 'bob@EXAMPLE.net.', want: 'ok' },
    { name: 'stranger to our host name', s: stranger, rcpt: 'root@mx.example.org', want: 'ok' },
    { name: 'stranger to the bare postmaster', s: stranger, rcpt: 'postmaster', want: 'ok' },
    { name: 'stranger to a remote domain', s: stranger, rcpt: 'victim@remote.example', want: '550 5.7.1' },
    { name: 'stranger to a subdomain of a local domain', s: stranger, rcpt: 'x@sub.example.org', want: '550 5.7.1' },
    { name: 'stranger, percent hack via a local domain', s: stranger, rcpt: 'victim%remote.example@example.org', want: '550 5.7.1' },
    { name: 'stranger, bang path via a local domain', s: stranger, rcpt: 'remote.example!victim@example.org', want: '550 5.7.1' },
    { name: 'stranger, quoted extra @ via a local domain', s: stranger, rcpt: '"victim@remote.example"@example.org', want: '550 5.7.1' },
    { name: 'stranger, source route ending in a local domain', s: stranger, rcpt: '@example.org:victim@remote.example', want: '550 5.7.1' },
    { name: 'stranger, source route to a local user', s: stranger, rcpt: '@relay.example:bob@example.org', want: '550 5.7.1' },
    { name: 'stranger, domainless name', s: stranger, rcpt: 'bob', want: '550 5.7.1' },
    { name: 'stranger, with angle brackets', s: stranger, rcpt: '<victim@remote.example>', want: '550 5.7.1' },
    { name: 'stranger, empty address', s: stranger, rcpt: '', want: '501 5.1.3' },
    { name: 'loopback 127.0.0.1 relays', s: session('127.0.0.1'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'loopback ::1 relays', s: session('::1', {}, '::1'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'IPv4-mapped loopback relays', s: session('::ffff:127.0.0.1'), rcpt: 'x@remote.example', want: 'relay' },
    { name: '127.0.0.2 is a stranger when we listen on 127.0.0.1', s: session('127.0.0.2'), rcpt: 'x@remote.example', want: '550 5.7.1' },
    { name: 'a client on our own listening address relays', s: session('192.0.2.1', {}, '192.0.2.1'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'relay network (CIDR)', s: session('192.168.0.77'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'outside the relay network', s: session('192.168.1.77'), rcpt: 'x@remote.example', want: '550 5.7.1' },
    { name: 'relay address', s: session('10.0.0.5'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'relay IPv6 network', s: session('2001:db8::42'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'client host name in a relay domain', s: session('198.51.100.3', { hostname: 'gw.partner.example' }), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'host name merely ending in the relay domain text', s: session('198.51.100.3', { hostname: 'evilpartner.example' }), rcpt: 'x@remote.example', want: '550 5.7.1' },
    { name: 'HELO name is not trusted for relaying', s: session('198.51.100.3', { helo: 'partner.example' }), rcpt: 'x@remote.example', want: '550 5.7.1' },
    { name: 'authenticated user relays', s: session('203.0.113.9', { user: 'alice' }), rcpt: 'x@remote.example', want: 'relay' },
    // relay-domains: mail *to* a relay domain is relayed for anyone (backup MX / gateway).
    { name: 'stranger to a relay domain', s: stranger, rcpt: 'x@partner.example', want: 'relay' },
    { name: 'stranger to a subdomain of a relay domain', s: stranger, rcpt: 'x@mx.Partner.Example.', want: 'relay' },
    { name: 'stranger to a domain merely ending in the relay domain text', s: stranger, rcpt: 'x@evilpartner.example', want: '550 5.7.1' },
    { name: 'stranger, percent hack via a relay domain', s: stranger, rcpt: 'x%remote.example@partner.example', want: '550 5.7.1' },
    { name: 'relay network entries are not recipient domains', s: stranger, rcpt: 'x@[10.0.0.5]', want: '550 5.7.1' },
    { name: 'relay client may use a percent hack', s: session('127.0.0.1'), rcpt: 'a%b@remote.example', want: 'relay' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = show(await policy.onRcptTo(c.s, c.rcpt));
      expect(got).toBe(c.want);
    });
  }

  it('says which address was refused and why', async () => {
    const got = await policy.onRcptTo(stranger, 'victim%remote.example@example.org');
    expect(got).toEqual({ action: 'reject', code: 550, enhanced: '5.7.1', text: '<victim%remote.example@example.org>... Relaying denied (percent hack not allowed)' });
  });

  it('follows settings changed while running', async () => {
    let current = SettingsSchema.parse({ domains: { relay: [] } });
    const live = createPolicy({ settings: () => current });
    const s = session('192.168.5.5');
    expect(show(await live.onRcptTo(s, 'x@remote.example'))).toBe('550 5.7.1');
    current = SettingsSchema.parse({ domains: { relay: ['192.168.5.0/24'] } });
    expect(show(await live.onRcptTo(s, 'x@remote.example'))).toBe('relay');
  });
});

describe('our address literals: policy and resolve give one answer', () => {
  // A stranger connected to 203.0.113.5 (our public address) while we listen on
  // 0.0.0.0. Accepting postmaster@[that] as local while resolve sends it out by
  // SMTP would deliver to ourselves and loop.
  const wildcard = SettingsSchema.parse({ hostname: 'mx.example.org', listen: { address: '0.0.0.0' } });
  const publicHost: InterfaceTable = () => ({
    eth0: [{ address: '203.0.113.5', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '203.0.113.5/24' }],
  });

  it('accepts a literal of one of our interfaces as local, from any stranger', async () => {
    const p = createPolicy({ settings: () => wildcard, interfaces: publicHost });
    const got = [
      show(await p.onRcptTo(session('198.51.100.9', {}, '203.0.113.5'), 'postmaster@[203.0.113.5]')),
      show(await p.onRcptTo(session('198.51.100.9', {}, '127.0.0.1'), 'postmaster@[203.0.113.5]')),
    ];
    expect(got).toEqual(['ok', 'ok']);
  });

  it('refuses the literal of the address a client connected to when it is not one of ours', async () => {
    // Behind NAT or a proxy the socket address may be one resolve does not know: relaying denied, not a loop.
    const p = createPolicy({ settings: () => wildcard, interfaces: () => ({}) });
    const got = show(await p.onRcptTo(session('198.51.100.9', {}, '203.0.113.5'), 'postmaster@[203.0.113.5]'));
    expect(got).toBe('550 5.7.1');
  });

  // The real machine: whatever policy accepts as local, resolve (and qmgr's mailer choice) delivers locally.
  const own = Object.values(networkInterfaces()).flat().filter((i) => !!i).map((i) => i!.address);
  const literal = (ip: string) => (ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`);
  const literals = [...own.map(literal), '[198.51.100.77]', '[IPv6:2001:db8::77]', '[127.0.0.9]'];
  for (const listen of ['0.0.0.0', '127.0.0.1']) {
    const settings = SettingsSchema.parse({ hostname: 'mx.example.org', listen: { address: listen } });
    const p = createPolicy({ settings: () => settings });
    for (const lit of literals) {
      it(`listen ${listen}: ${lit}`, async () => {
        // Connected to the very address the literal names, the case the old rule trusted.
        const bareIp = lit.slice(1, -1).replace(/^IPv6:/, '');
        const verdict = show(await p.onRcptTo(session('198.51.100.9', {}, bareIp), `postmaster@${lit}`));
        const got = { policyLocal: verdict === 'ok', resolveLocal: resolveIsLocal(lit, settings) };
        expect(got.policyLocal).toBe(got.resolveLocal);
        expect(verdict === 'ok' || verdict === '550 5.7.1').toBe(true);
      });
    }
  }
});

describe('policy connect/helo/mail (first version: no restrictions yet)', () => {
  it('lets every stage continue', async () => {
    const s = session('203.0.113.9');
    const got = [await policy.onConnect(s), await policy.onHelo(s, 'x.example'), await policy.onMailFrom(s, 'a@b.example')].map(show);
    expect(got).toEqual(['continue', 'continue', 'continue']);
  });
});

describe('parseRecipient', () => {
  const cases: { got: string; want: ReturnType<typeof parseRecipient> }[] = [
    { got: 'Bob@Example.ORG', want: { local: 'Bob', domain: 'example.org' } },
    { got: '<a@b.example.>', want: { local: 'a', domain: 'b.example' } },
    { got: '"a b"@c.example', want: { local: 'a b', domain: 'c.example' } },
    { got: '@r1,@r2:u@d.example', want: { local: 'u', domain: 'd.example', routing: 'source route' } },
    { got: 'u@', want: null },
    { got: '@x:', want: null },
  ];
  for (const c of cases) {
    it(c.got, () => expect(parseRecipient(c.got)).toEqual(c.want));
  }
});
