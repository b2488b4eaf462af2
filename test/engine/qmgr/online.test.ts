// The online gate's probe against a real loopback DNS server and SMTP sink:
// every outcome is a state with a reason a person can read, never a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import { createDns } from '../../../engine/dns/resolver.ts';
import { OnlineGate, probe } from '../../../engine/qmgr/online.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';

let dns: DnsServer;
let sink: Sink;
let closedPort: number;
beforeAll(async () => {
  dns = await startDnsServer({
    'smart.test': { a: ['127.0.0.1'] },
    'mail.test': { mx: [{ priority: 10, exchange: 'mx.mail.test' }] },
    'mx.mail.test': { a: ['127.0.0.1'] },
  });
  sink = await startSink();
  const gone = await startSink();
  closedPort = gone.port;
  await gone.close();
});
afterAll(async () => { await sink.close(); await dns.stop(); });

const settingsOf = (input: SettingsInput) => SettingsSchema.parse({
  ...input, dns: { servers: [dns.server], timeout: '1s' },
  delivery: { connectTimeout: '3s', ...(input.delivery ?? {}) },
});

describe('probe', () => {
  const cases: { name: string; input: () => SettingsInput; online: boolean; reason: RegExp }[] = [
    { name: 'no probe', input: () => ({}), online: true, reason: /no probe configured/ },
    { name: 'smart host answering', input: () => ({ smartHost: { host: 'smart.test', port: sink.port, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } }), online: true, reason: /^smart host smart\.test:\d+ answered EHLO$/ },
    { name: 'smart host literal', input: () => ({ smartHost: { host: '[127.0.0.1]', port: sink.port, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } }), online: true, reason: /answered EHLO/ },
    { name: 'smart host that does not resolve', input: () => ({ smartHost: { host: 'smtp.provider.example', port: 587 }, delivery: { online: { probe: 'smarthost' } } }), online: false, reason: /^cannot resolve smtp\.provider\.example$/ },
    { name: 'smart host refusing', input: () => ({ smartHost: { host: 'smart.test', port: closedPort, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } }), online: false, reason: /^smart host smart\.test:\d+: connection refused$/ },
    { name: 'direct MX reachable', input: () => ({ delivery: { remotePort: sink.port, online: { probe: 'dns', probeHost: 'mail.test' } } }), online: true, reason: /^mx\.mail\.test \[127\.0\.0\.1\]:\d+ accepted a connection$/ },
    { name: 'direct MX refusing', input: () => ({ delivery: { remotePort: closedPort, online: { probe: 'dns', probeHost: 'mail.test' } } }), online: false, reason: /connection refused/ },
    { name: 'direct MX unknown domain', input: () => ({ delivery: { online: { probe: 'dns', probeHost: 'nowhere.test' } } }), online: false, reason: /^cannot resolve nowhere\.test$/ },
    { name: 'dns probe without a host', input: () => ({ delivery: { online: { probe: 'dns' } } }), online: true, reason: /no probe host set/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const s = settingsOf(c.input());
      const got = await probe(s, createDns(() => s.dns));
      expect(got.online).toBe(c.online);
      expect(got.reason).toMatch(c.reason);
    });
  }
});

describe('OnlineGate', () => {
  it('tracks since/why, reports the offline spell when coming back, and shares one probe', async () => {
    let now = 1_000;
    let s = settingsOf({ smartHost: { host: 'smart.test', port: closedPort, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } });
    const changes: [boolean, number | null][] = [];
    const gate = new OnlineGate({
      settings: () => s, clock: { now: () => now }, dns: createDns(() => s.dns), hostname: () => 'mta.test',
      onChange: (st, from) => changes.push([st.online, from]), log: () => undefined,
    });
    expect(gate.state()).toMatchObject({ online: false, reason: 'checking the next hop' });
    await gate.start({ timers: false });
    const [a, b] = await Promise.all([gate.check('one'), gate.check('two')]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ online: false, since: 1_000 });
    expect(gate.offlineSince()).toBe(1_000);

    now = 5_000;
    s = settingsOf({ smartHost: { host: 'smart.test', port: sink.port, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } });
    const back = await gate.check('network changed');
    expect(back).toMatchObject({ online: true, since: 5_000 });
    expect(gate.offlineSince()).toBeNull();
    expect(changes).toEqual([[false, null], [true, 1_000]]);
    gate.stop();
  });
});
