// The health check judges settings, listeners and gathered facts.
import { describe, expect, it } from 'vitest';
import type { Listener } from '../../../engine/api.ts';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import { healthCheck, type HealthFacts } from '../../../engine/policy/health.ts';

const PUBLIC: Listener[] = [{ name: 'smtp', address: '0.0.0.0', port: 25 }];
const LOCAL: Listener[] = [{ name: 'smtp', address: '127.0.0.1', port: 2525 }];
const info = { subject: 'CN=mx.example.org', issuer: 'CN=mx.example.org', altNames: [], validFrom: '', validTo: '', daysLeft: 300, selfSigned: false, fingerprint256: '', serialNumber: '', publicKey: 'RSA 2048' };
const goodTls = { configured: true, errors: [], warnings: [], info };

function run(input: SettingsInput, listeners: Listener[], facts: HealthFacts = {}) {
  return healthCheck(SettingsSchema.parse(input), { listeners }, facts).map((i) => `${i.level} ${i.item}${i.field ? ` [${i.field}]` : ''}`);
}

describe('healthCheck', () => {
  it('a tidy local setup is all ok', () => {
    expect(run({}, LOCAL, { tls: { configured: false, errors: [], warnings: [], info: null } })).toEqual(['ok open-relay']);
  });
  it('says that relay-domains entries relay mail *to* those domains, and networks are client networks', () => {
    const got = healthCheck(SettingsSchema.parse({ domains: { relay: ['192.168.0.0/24', '10.0.0.5', 'partner.example'] } }), { listeners: LOCAL })
      .find((i) => i.item === 'open-relay')?.detail;
    expect(got).toBe('relaying only for the local machine, authenticated users and 2 client network(s), and for anyone to the relay domain(s) partner.example and their subdomains');
  });
  it('a stranger relaying is an error', () => {
    expect(run({}, PUBLIC, { relayProbe: { relayed: true, reply: '250 2.1.5 Ok' } })).toContain('error open-relay [domains.relay]');
  });
  it('Connect: RELAY for everybody is an error', () => {
    expect(run({ access: [{ key: 'Connect:0.0.0.0/0', action: 'RELAY' }] }, LOCAL)).toContain('error open-relay [access]');
  });
  it('very wide relay networks on a public port are an error', () => {
    expect(run({ domains: { relay: ['0.0.0.0/1'] } }, PUBLIC)).toContain('error open-relay [domains.relay]');
  });
  it('public port: no certificate, self-signed, no DH parameters, VRFY open', () => {
    expect(run({ smtp: { privacy: [] } }, PUBLIC)).toEqual(['ok open-relay', 'warn certificate [tls.cert]', 'warn privacy [smtp.privacy]']);
    expect(run({ tls: { cert: 'c', key: 'k' } }, PUBLIC, { tls: { ...goodTls, info: { ...info, selfSigned: true } } }))
      .toEqual(['ok open-relay', 'warn certificate [tls.cert]', 'warn dh-params [tls.dhParams]']);
  });
  it('certificate errors and expiry warnings name their field', () => {
    const tls = { configured: true, errors: [{ path: 'tls.key', message: 'does not match the certificate in tls.cert' }], warnings: [], info };
    expect(run({ tls: { cert: 'c', key: 'k', dhParams: 'd' } }, LOCAL, { tls })).toContain('error certificate [tls.key]');
    const soon = { configured: true, errors: [], warnings: [{ path: 'tls.cert', message: 'expires in 3 day(s)' }], info };
    expect(run({ tls: { cert: 'c', key: 'k', dhParams: 'd' } }, LOCAL, { tls: soon })).toContain('warn certificate [tls.cert]');
  });
  it('users without TLS cannot log in', () => {
    expect(run({ users: [{ name: 'alice', passwordHash: 'x' }] }, LOCAL)).toContain('warn auth [tls.cert]');
    expect(run({ users: [{ name: 'alice', passwordHash: 'x' }], tls: { cert: 'c', key: 'k', dhParams: 'd' } }, LOCAL, { tls: goodTls })).toContain('ok auth');
  });
  it('smtps without a usable certificate is an error', () => {
    expect(run({ listen: { smtps: 2465 } }, LOCAL)).toContain('error certificate [listen.smtps]');
  });
  it('smart host and DNSBL probes', () => {
    const got = run({ smartHost: { host: 'smtp.example' }, antispam: { dnsbl: [{ zone: 'dead.example' }] } }, LOCAL,
      { smartHost: { ok: false, detail: 'connect failed' }, dnsblDead: [{ index: 0, zone: 'dead.example', detail: 'lookup failed' }] });
    expect(got).toContain('warn smart-host [smartHost.host]');
    expect(got).toContain('warn dnsbl [antispam.dnsbl[0].zone]');
  });
});
