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

describe('OnlineGate.recheckAfter (a delivery could not reach its next hop)', () => {
  it('probes for a failure newer than the last probe, lets one probe answer the failures before it, and logs why', async () => {
    let now = 1_000;
    let s = settingsOf({ smartHost: { host: 'smart.test', port: sink.port, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } });
    const lines: string[] = [];
    const gate = new OnlineGate({
      settings: () => s, clock: { now: () => now }, dns: createDns(() => s.dns), hostname: () => 'mta.test',
      onChange: () => undefined, log: (t) => lines.push(t),
    });
    await gate.start({ timers: false });
    await gate.check('start');
    expect(gate.isOnline()).toBe(true);
    const connectionsAfterStart = sink.connections.length;

    // A failure that began before the last probe started: that probe is the answer, no new one.
    expect(await gate.recheckAfter('delivery failed: old news', 500)).toBe(true);
    expect(sink.connections.length).toBe(connectionsAfterStart);

    // The hop dies; failures newer than the last probe: one probe, shared, says offline.
    now = 2_000;
    s = settingsOf({ smartHost: { host: 'smart.test', port: closedPort, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } });
    const got = await Promise.all([1_500, 1_600, 1_700].map((t) => gate.recheckAfter('delivery to smart host smart.test failed: Connection refused', t)));
    expect(got).toEqual([false, false, false]);
    expect(gate.state()).toMatchObject({ online: false, since: 2_000 });
    expect(lines.at(-1)).toMatch(/^offline: smart host smart\.test:\d+: connection refused \(delivery to smart host smart\.test failed: Connection refused\); online for only 1 s, so the network looks unsteady/);
    // Once offline, a further failure needs no probe at all.
    expect(await gate.recheckAfter('another', 2_500)).toBe(false);
    gate.stop();
  });
});
