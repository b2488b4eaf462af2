// The relay tester asks the real policy: its answers must be what a session
// from that client would get.
import { describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { testRelay } from '../../../engine/policy/relay.ts';

const settings = SettingsSchema.parse({
  hostname: 'mx.example.org',
  listen: { address: '192.0.2.1' },
  domains: { local: ['example.org'], relay: ['10.0.0.0/8', 'partner.example'] },
  access: [{ key: 'Connect:198.51.100.7', action: 'RELAY' }, { key: 'Connect:198.51.100.66', action: 'REJECT' }, { key: 'From:spam.example', action: 'REJECT' }],
});

describe('testRelay', () => {
  const cases: { name: string; req: Parameters<typeof testRelay>[1]; want: { accepted: boolean; relayed: boolean; local: boolean; stage: string; reply: string } }[] = [
    { name: 'stranger to a remote domain', req: { client: '203.0.113.9', recipient: 'x@remote.example' },
      want: { accepted: false, relayed: false, local: false, stage: 'rcpt', reply: '550 5.7.1 <x@remote.example>... Relaying denied' } },
    { name: 'stranger to a local domain', req: { client: '203.0.113.9', recipient: 'bob@example.org' },
      want: { accepted: true, relayed: false, local: true, stage: 'rcpt', reply: '250 2.1.5 Ok' } },
    { name: 'stranger, percent hack', req: { client: '203.0.113.9', recipient: 'x%remote.example@example.org' },
      want: { accepted: false, relayed: false, local: false, stage: 'rcpt', reply: '550 5.7.1 <x%remote.example@example.org>... Relaying denied (percent hack not allowed)' } },
    { name: 'relay network', req: { client: '10.1.2.3', recipient: 'x@remote.example' },
      want: { accepted: true, relayed: true, local: false, stage: 'rcpt', reply: '250 2.1.5 Ok' } },
    // relay-domains: mail *to* a relay domain (or below it) relays for anyone (backup MX).
    { name: 'stranger to a relay domain', req: { client: '203.0.113.9', recipient: 'x@partner.example' },
      want: { accepted: true, relayed: true, local: false, stage: 'rcpt', reply: '250 2.1.5 Ok' } },
    { name: 'stranger to a subdomain of a relay domain', req: { client: '203.0.113.9', recipient: 'x@mx.partner.example' },
      want: { accepted: true, relayed: true, local: false, stage: 'rcpt', reply: '250 2.1.5 Ok' } },
    { name: 'stranger to a look-alike of a relay domain', req: { client: '203.0.113.9', recipient: 'x@notpartner.example' },
      want: { accepted: false, relayed: false, local: false, stage: 'rcpt', reply: '550 5.7.1 <x@notpartner.example>... Relaying denied' } },
    { name: 'stranger, percent hack through a relay domain', req: { client: '203.0.113.9', recipient: 'x%remote.example@partner.example' },
      want: { accepted: false, relayed: false, local: false, stage: 'rcpt', reply: '550 5.7.1 <x%remote.example@partner.example>... Relaying denied (percent hack not allowed)' } },
    { name: 'Connect: RELAY', req: { client: '198.51.100.7', recipient: 'x@remote.example' },
      want: { accepted: true, relayed: true, local: false, stage: 'rcpt', reply: '250 2.1.5 Ok' } },
    { name: 'authenticated user', req: { client: '203.0.113.9', user: 'alice', recipient: 'x@remote.example' },
      want: { accepted: true, relayed: true, local: false, stage: 'rcpt', reply: '250 2.1.5 Ok' } },
    { name: 'refused at connect', req: { client: '198.51.100.66', recipient: 'bob@example.org' },
      want: { accepted: false, relayed: false, local: true, stage: 'connect', reply: '554 5.7.1 [198.51.100.66]... Access denied' } },
    { name: 'refused at MAIL', req: { client: '203.0.113.9', sender: 'a@spam.example', recipient: 'bob@example.org' },
      want: { accepted: false, relayed: false, local: true, stage: 'mail', reply: '550 5.7.1 <a@spam.example>... Access denied' } },
  ];
  for (const c of cases) it(c.name, async () => expect(await testRelay(settings, c.req)).toEqual(c.want));

  it('refuses a client that is not an IP address', async () => {
    await expect(testRelay(settings, { client: 'mx.example.com', recipient: 'x@y.example' })).rejects.toThrow(/client: "mx.example.com" is not an IP address/);
  });
});
