// The access map and DNS block lists inside the policy, at the step Sendmail
// applies them (connect / MAIL / RCPT), and delay_checks moving them to RCPT
// with friend / hater recipients. Real loopback DNS for the block list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import type { ClientInfo } from '../../../engine/contracts.ts';
import { createDns } from '../../../engine/dns/resolver.ts';
import { createPolicy } from '../../../engine/policy/index.ts';
import type { PolicySession, Verdict } from '../../../engine/policy/types.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';

let server: DnsServer;
beforeAll(async () => {
  server = await startDnsServer({ '9.113.0.203.bl.test': { a: ['127.0.0.2'] }, '1.0.0.10.bl.test': { a: ['127.0.0.2'] } });
  server.fail('5.113.0.203.bl.test');
});
afterAll(async () => { await server.stop(); });

const BASE: SettingsInput = {
  hostname: 'mx.example.org',
  domains: { local: ['example.org'], relay: ['10.0.0.0/24'] },
  access: [
    { key: 'Connect:198.51.100.66', action: 'REJECT' },
    { key: 'Connect:198.51.100.77', action: 'RELAY' },
    { key: 'Connect:198.51.100.88', action: 'DISCARD' },
    { key: 'Connect:203.0.113.9', action: 'OK' },
    { key: 'From:spammer@bad.example', action: 'REJECT' },
    { key: 'From:bad.example', action: 'ERROR:4.7.1:"451 Try again later"' },
    { key: 'From:ok@bad.example', action: 'OK' },
    { key: 'To:gone@example.org', action: 'ERROR:"550 5.1.6 Moved away"' },
    { key: 'To:backup.example', action: 'RELAY' },
    { key: 'To:trap@example.org', action: 'DISCARD' },
    { key: 'Spam:abuse@example.org', action: 'FRIEND' },
    { key: 'Spam:grumpy@example.org', action: 'HATER' },
  ],
  antispam: { dnsbl: [{ zone: 'bl.test', tempfail: true }] },
};

function policyWith(over: SettingsInput = {}) {
  const settings = SettingsSchema.parse({ ...BASE, ...over, antispam: { ...BASE.antispam, ...over.antispam } });
  return createPolicy({ settings: () => settings, dns: createDns(() => ({ servers: [server.server], timeout: '1s' })) });
}
const session = (address: string, extra: Partial<ClientInfo> = {}, sender?: string): PolicySession => ({
  client: { address, protocol: 'ESMTP', daemon: 'smtp', ...extra }, localAddress: '192.0.2.1', recipients: [], badRecipients: 0,
  ...(sender !== undefined ? { sender } : {}),
});
const show = (v: Verdict) => (v.action === 'reject' || v.action === 'tempfail' ? `${v.code} ${v.enhanced} ${v.text}` : v.action);

describe('connect (check_relay)', () => {
  const policy = policyWith();
  const cases: [string, string][] = [
    ['198.51.100.66', '550 5.7.1 [198.51.100.66]... Access denied'],
    ['198.51.100.77', 'relay'],
    ['198.51.100.88', 'discard'],
    ['203.0.113.9', 'ok'], // listed in bl.test, but exempted by Connect: OK (the seeds' self-exemption)
    ['10.0.0.1', 'continue'], // listed, but a relay network is not judged by block lists
    ['203.0.113.5', '451 4.7.1 Temporary lookup failure of 203.0.113.5 at bl.test'],
    ['203.0.113.8', 'continue'],
    ['127.0.0.1', 'continue'],
  ];
  for (const [ip, want] of cases) it(ip, async () => expect(show(await policy.onConnect(session(ip)))).toBe(want));

  it('a listed client is refused with the list\'s message', async () => {
    const p = policyWith({ access: [] });
    expect(show(await p.onConnect(session('203.0.113.9')))).toBe('550 5.7.1 Rejected: 203.0.113.9 listed at bl.test');
  });
});

describe('MAIL (check_mail)', () => {
  const policy = policyWith();
  const cases: [string, string][] = [
    ['spammer@bad.example', '550 5.7.1 <spammer@bad.example>... Access denied'],
    ['other@bad.example', '451 4.7.1 Try again later'],
    ['ok@bad.example', 'ok'],
    ['someone@good.example', 'continue'],
    ['', 'continue'],
  ];
  for (const [sender, want] of cases) it(`<${sender}>`, async () => expect(show(await policy.onMailFrom(session('203.0.113.8'), sender))).toBe(want));
});

describe('RCPT (check_rcpt)', () => {
  const policy = policyWith();
  const cases: { name: string; s: PolicySession; rcpt: string; want: string }[] = [
    { name: 'To: ERROR', s: session('203.0.113.8'), rcpt: 'gone@example.org', want: '550 5.1.6 Moved away' },
    { name: 'To: ERROR applies to relay clients too', s: session('127.0.0.1'), rcpt: 'gone@example.org', want: '550 5.1.6 Moved away' },
    { name: 'To: DISCARD', s: session('203.0.113.8'), rcpt: 'trap@example.org', want: 'discard' },
    { name: 'To: RELAY opens a domain for everyone', s: session('203.0.113.8'), rcpt: 'x@backup.example', want: 'relay' },
    { name: 'To: RELAY covers subdomains', s: session('203.0.113.8'), rcpt: 'x@mx.backup.example', want: 'relay' },
    { name: 'Connect: RELAY gives relay rights', s: session('198.51.100.77'), rcpt: 'x@remote.example', want: 'relay' },
    { name: 'Connect: OK gives no relay rights', s: session('203.0.113.9'), rcpt: 'x@remote.example', want: '550 5.7.1 <x@remote.example>... Relaying denied' },
    { name: 'From: RELAY gives no relay rights', s: session('203.0.113.8', {}, 'ok@bad.example'), rcpt: 'x@remote.example', want: '550 5.7.1 <x@remote.example>... Relaying denied' },
  ];
  for (const c of cases) it(c.name, async () => expect(show(await policy.onRcptTo(c.s, c.rcpt))).toBe(c.want));
});

describe('delay_checks', () => {
  const listed = session('203.0.113.9', {}, 'a@good.example');
  const badSender = session('203.0.113.8', {}, 'spammer@bad.example');
  const noAccess = { access: BASE.access!.filter((r) => r.key !== 'Connect:203.0.113.9') };
  const cases: { mode: 'on' | 'friend' | 'hater'; s: PolicySession; rcpt: string; want: string }[] = [
    { mode: 'on', s: listed, rcpt: 'bob@example.org', want: '550 5.7.1 Rejected: 203.0.113.9 listed at bl.test' },
    { mode: 'on', s: badSender, rcpt: 'bob@example.org', want: '550 5.7.1 <spammer@bad.example>... Access denied' },
    { mode: 'friend', s: listed, rcpt: 'bob@example.org', want: '550 5.7.1 Rejected: 203.0.113.9 listed at bl.test' },
    { mode: 'friend', s: listed, rcpt: 'abuse@example.org', want: 'ok' },
    { mode: 'hater', s: listed, rcpt: 'bob@example.org', want: 'ok' },
    { mode: 'hater', s: listed, rcpt: 'grumpy@example.org', want: '550 5.7.1 Rejected: 203.0.113.9 listed at bl.test' },
    { mode: 'on', s: listed, rcpt: 'x@remote.example', want: '550 5.7.1 <x@remote.example>... Relaying denied' },
  ];
  for (const c of cases) {
    it(`${c.mode}: ${c.s.client.address} <${c.s.sender}> → ${c.rcpt}`, async () => {
      const p = policyWith({ ...noAccess, antispam: { delayChecks: c.mode } });
      // Connect and MAIL let everything through: the verdict waits for the recipient.
      expect(show(await p.onConnect(c.s))).toBe('continue');
      expect(show(await p.onMailFrom(c.s, c.s.sender!))).toBe('continue');
      expect(show(await p.onRcptTo(c.s, c.rcpt))).toBe(c.want);
    });
  }
});
