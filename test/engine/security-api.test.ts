// The security part of EngineApi against real parts: loopback DNS, openssl,
// files in a temporary home, and settings changed through config/load.ts's
// applyPatch (the engine's own validation).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, SettingsPatch } from '../../engine/api.ts';
import { applyPatch } from '../../engine/config/load.ts';
import { SettingsSchema, type Settings } from '../../engine/config/schema.ts';
import { createDns } from '../../engine/dns/resolver.ts';
import { verifyPassword } from '../../engine/policy/auth-users.ts';
import { createSecurityApi, type SecurityApi } from '../../engine/security-api.ts';
import { generateSelfSigned } from '../../engine/tls/generate.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';

let home: string;
let dns: DnsServer;
let settings: Settings;
let api: SecurityApi;
const events: EngineEvent[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-secapi-'));
  dns = await startDnsServer({ '2.0.0.127.bl.test': { a: ['127.0.0.2'] }, '9.113.0.203.bl.test': { a: ['127.0.0.2'] } });
  settings = SettingsSchema.parse({
    hostname: 'mx.example.org', domains: { local: ['example.org'] },
    antispam: { dnsbl: [{ zone: 'bl.test' }, { zone: 'dead.test' }] },
    dns: { servers: [dns.server], timeout: '1s' },
  });
  api = createSecurityApi({
    settings: () => settings, home, dns: createDns(() => settings.dns),
    updateSettings: async (patch: SettingsPatch) => {
      const r = applyPatch(settings, patch);
      if (r.ok) settings = r.settings;
      return r;
    },
    emit: (e) => events.push(e),
  });
});
afterAll(async () => {
  await dns.stop();
  await rm(home, { recursive: true, force: true });
});

describe('security API', () => {
  it('testRelay and testDnsbl answer from the saved settings', async () => {
    expect((await api.testRelay({ client: '203.0.113.9', recipient: 'x@remote.example' })).relayed).toBe(false);
    expect((await api.testDnsbl('203.0.113.9')).map((r) => `${r.zone} ${r.status}`)).toEqual(['bl.test listed', 'dead.test not-listed']);
    expect((await api.testDnsbl('203.0.113.9', [{ zone: 'dead.test', message: '', tempfail: false, match: [], enhanced: false }])).map((r) => r.status)).toEqual(['not-listed']);
  });

  it('hashPassword makes a hash that verifies; an empty password is refused', async () => {
    expect(await verifyPassword('password', await api.hashPassword('password'))).toBe(true);
    await expect(api.hashPassword('')).rejects.toThrow(/password/);
    await expect(api.hashPassword('a')).rejects.toThrow(/at least 8 characters/);
  });

  it('generateSelfSigned writes the pair and saves tls.cert / tls.key', async () => {
    const r = await api.generateSelfSigned();
    expect(r).toMatchObject({ ok: true, applied: true, tls: { cert: 'tls/selfsigned-cert.pem', key: 'tls/selfsigned-key.pem' } });
    expect(settings.tls).toMatchObject({ cert: 'tls/selfsigned-cert.pem', key: 'tls/selfsigned-key.pem' });
    expect((await api.certificateInfo()).info).toMatchObject({ subject: 'CN=mx.example.org', selfSigned: true });
    expect((await stat(join(home, 'tls/selfsigned-key.pem'))).mode & 0o777).toBe(0o600);
  });

  it('importCertificate refuses a key that does not match, and writes nothing', async () => {
    const dir = await mkdtemp(join(home, 'pem-'));
    await generateSelfSigned({ hostname: 'a.example', certFile: join(dir, 'a.crt'), keyFile: join(dir, 'a.key') });
    await generateSelfSigned({ hostname: 'b.example', certFile: join(dir, 'b.crt'), keyFile: join(dir, 'b.key') });
    const before = { ...settings.tls };
    const bad = await api.importCertificate({ certPem: await readFile(join(dir, 'a.crt'), 'utf8'), keyPem: await readFile(join(dir, 'b.key'), 'utf8') });
    expect(bad).toEqual({ ok: false, errors: [{ path: 'tls.key', message: 'does not match the certificate in tls.cert' }] });
    expect(settings.tls).toEqual(before);
    await expect(stat(join(home, 'tls/cert.pem'))).rejects.toThrow();
    const good = await api.importCertificate({ certPem: await readFile(join(dir, 'a.crt'), 'utf8'), keyPem: await readFile(join(dir, 'a.key'), 'utf8') });
    expect(good).toMatchObject({ ok: true, applied: true, tls: { cert: 'tls/cert.pem', key: 'tls/key.pem', ca: '' } });
    expect((await api.certificateInfo()).info?.subject).toBe('CN=a.example');
  });

  it('generateDhParams insists on at least 2048 bits', async () => {
    expect(await api.generateDhParams({ bits: 1024 })).toEqual({ ok: false, errors: [{ path: 'tls.dhParams', message: 'DH parameters need 2048 to 8192 bits (got 1024)' }] });
  });

  it('healthCheck: probes relay, certificate and DNSBL zones', async () => {
    const items = await api.healthCheck();
    expect(items.find((i) => i.item === 'open-relay')?.level).toBe('ok');
    expect(items.find((i) => i.item === 'dnsbl')).toMatchObject({ level: 'warn', field: 'antispam.dnsbl[1].zone' });
    expect(items.find((i) => i.item === 'dh-params')).toMatchObject({ level: 'warn', field: 'tls.dhParams' });
  });
});
