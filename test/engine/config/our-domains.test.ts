// Sendmail's $=w in one function: which domains and address literals are ours.
// The interface table is injected to play a host with a public address
// (203.0.113.5) listening on every interface.
import { describe, expect, it } from 'vitest';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import { isOurDomain, type InterfaceTable } from '../../../engine/config/our-domains.ts';

const table: InterfaceTable = () => ({
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '203.0.113.5', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '203.0.113.5/24' },
    { address: '2001:db8::5', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: '2001:db8::5/64', scopeid: 0 },
  ],
});

const settingsFor = (listen: string, extra: SettingsInput = {}) =>
  SettingsSchema.parse({ hostname: 'mx.example.org', domains: { local: ['example.org', 'Example.NET.'] }, listen: { address: listen }, ...extra });

describe('isOurDomain', () => {
  const cases: { domain: string; listen: string; want: boolean }[] = [
    { domain: 'example.org', listen: '127.0.0.1', want: true },
    { domain: 'EXAMPLE.net.', listen: '127.0.0.1', want: true },
    { domain: 'mx.example.org', listen: '127.0.0.1', want: true },
    { domain: 'localhost', listen: '127.0.0.1', want: true },
    { domain: 'sub.example.org', listen: '127.0.0.1', want: false },
    { domain: 'remote.example', listen: '127.0.0.1', want: false },
    { domain: '[127.0.0.1]', listen: '192.0.2.10', want: true },
    { domain: '[127.0.0.53]', listen: '192.0.2.10', want: true },
    { domain: '[IPv6:::1]', listen: '192.0.2.10', want: true },
    { domain: '[IPv6:0:0:0:0:0:0:0:1]', listen: '192.0.2.10', want: true },
    // A specific listen address is ours; other interfaces then are not (we do not answer there).
    { domain: '[192.0.2.10]', listen: '192.0.2.10', want: true },
    { domain: '[203.0.113.5]', listen: '192.0.2.10', want: false },
    // On the wildcard every interface address is ours: mail to it would come back to us.
    { domain: '[203.0.113.5]', listen: '0.0.0.0', want: true },
    { domain: '[IPv6:2001:db8::5]', listen: '::', want: true },
    { domain: '[IPv6:2001:DB8:0::5]', listen: '0.0.0.0', want: true },
    { domain: '[203.0.113.6]', listen: '0.0.0.0', want: false },
    { domain: '[not-an-ip]', listen: '0.0.0.0', want: false },
  ];
  for (const c of cases) {
    it(`${c.domain} with listen ${c.listen} → ${c.want}`, () => {
      const got = isOurDomain(c.domain, settingsFor(c.listen), table);
      expect(got).toBe(c.want);
    });
  }
});
