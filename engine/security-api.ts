// The security part of EngineApi (issue 6): relay tester, DNSBL *Test lookup*,
// health check, certificates (generate, import, inspect), DH parameters and
// password hashing for the Users page. The engine spreads this into its API;
// each method delegates to the stage that owns the question (policy, tls).
// Writes only TLS files under <home>/tls/; settings change only through the
// `updateSettings` the engine passes in (validated and saved there).
import { mkdir, rename, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineEvent, FieldError, Listener, SettingsPatch, SettingsUpdate } from './contracts.ts';
import type { Settings } from './config/schema.ts';
import type { Dns } from './dns/resolver.ts';
import { hashPassword as scryptHash } from './policy/auth-users.ts';
import { testDnsbl as lookupAll, lookupDnsbl, type DnsblList, type DnsblResult } from './policy/dnsbl.ts';
import { healthCheck as judge, type HealthFacts, type HealthItem } from './policy/health.ts';
import { testRelay as askPolicy, type RelayTestRequest, type RelayTestResult } from './policy/relay.ts';
import { testSmartHost } from './smarthost-test.ts';
import { DH_BITS, generateDhParams as makeDh, generateSelfSigned as makeSelfSigned } from './tls/generate.ts';
import { checkTlsFiles, checkTlsSettings, type TlsCheck } from './tls/material.ts';
import { SECURITY_API_METHODS, type CertificateImport, type CertificateStatus, type SecurityApi, type TlsChange } from './types/security.ts';

export type { CertificateImport, CertificateStatus, SecurityApi, TlsChange, RelayTestRequest, RelayTestResult, DnsblResult, HealthItem, CertificateInfo, TlsCheck } from './types/security.ts';
export { SECURITY_API_METHODS };

/** Shortest SMTP AUTH password hashPassword accepts (NIST SP 800-63B's minimum for memorised secrets). */
export const MIN_PASSWORD = 8;


export interface SecurityApiDeps {
  settings: () => Settings;
  home: string;
  dns: Dns;
  /** Save a TLS change to settings; without it files are written and the paths returned (applied: false). */
  updateSettings?: (patch: SettingsPatch) => Promise<SettingsUpdate>;
  /** Listeners actually bound (status().listeners); default: derived from settings.listen. */
  listeners?: () => Listener[];
  /** Progress events (tls:dhparams). */
  emit?: (event: EngineEvent) => void;
  now?: () => number;
}

/** File names under <home>/tls: generated material never overwrites an imported certificate. */
const FILES = {
  cert: 'tls/cert.pem', key: 'tls/key.pem', ca: 'tls/ca.pem',
  selfCert: 'tls/selfsigned-cert.pem', selfKey: 'tls/selfsigned-key.pem', dh: 'tls/dh.pem',
} as const;
/** RFC 5782 §5: every DNSBL lists 127.0.0.2, so a zone that does not is not answering. */
const DNSBL_TEST_ADDRESS = '127.0.0.2';
/** TEST-NET-2 (RFC 5737): an address that is nobody's, to play the stranger in the relay probe. */
const STRANGER = '198.51.100.1';

export function createSecurityApi(deps: SecurityApiDeps): SecurityApi {
  const now = deps.now ?? Date.now;
  const abs = (rel: string) => join(deps.home, rel);

  const listeners = (): Listener[] => {
    if (deps.listeners) return deps.listeners();
    const l = deps.settings().listen;
    return (['smtp', 'submission', 'smtps'] as const).flatMap((name) => (l[name] === false ? [] : [{ name, address: l.address, port: l[name] as number }]));
  };

  /** Save tls.* and report; a refused save leaves the files but returns the errors. */
  async function apply(tls: Partial<Settings['tls']>, check: TlsCheck): Promise<TlsChange> {
    if (!deps.updateSettings) return { ok: true, tls, check, applied: false };
    const result = await deps.updateSettings({ tls: { ...deps.settings().tls, ...tls } });
    if (!result.ok) return { ok: false, errors: result.errors };
    return { ok: true, tls, check, applied: true };
  }

  async function atomicWrite(rel: string, data: string, mode: number): Promise<void> {
    const file = abs(rel);
    await mkdir(join(deps.home, 'tls'), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, data, { mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  }

  return {
    async testRelay(request) {
      return askPolicy(deps.settings(), request);
    },

    async testDnsbl(ip, lists) {
      return lookupAll(ip, lists ?? deps.settings().antispam.dnsbl, deps.dns);
    },

    async healthCheck(options = {}) {
      const settings = deps.settings();
      const facts: HealthFacts = {};
      facts.tls = await checkTlsSettings(settings.tls, deps.home, now());
      const probe = await askPolicy(settings, { client: STRANGER, recipient: 'mailstop-relay-probe@example.invalid', localAddress: '192.0.2.1' });
      facts.relayProbe = { relayed: probe.relayed, reply: probe.reply };
      const dead = await Promise.all(settings.antispam.dnsbl.map(async (list, index) => {
        const r = await lookupDnsbl(DNSBL_TEST_ADDRESS, { ...list, match: [] }, deps.dns);
        return r.status === 'listed' ? null : { index, zone: list.zone, detail: r.status === 'error' ? `lookup failed (${r.error})` : 'does not list the test address 127.0.0.2; the zone may be dead or mistyped' };
      }));
      facts.dnsblDead = dead.filter((d): d is NonNullable<typeof d> => d !== null);
      if (options.probeSmartHost && settings.smartHost) {
        const steps = await testSmartHost(settings, settings.smartHost);
        const failed = steps.find((s) => !s.ok);
        facts.smartHost = failed ? { ok: false, detail: `${settings.smartHost.host}: ${failed.step} failed: ${failed.detail}` }
          : { ok: true, detail: `${settings.smartHost.host}: ${steps.map((s) => s.detail).join('; ')}` };
      }
      return judge(settings, { listeners: listeners() }, facts);
    },

    async generateSelfSigned(options = {}) {
      const hostname = options.hostname ?? deps.settings().hostname;
      await makeSelfSigned({ hostname, certFile: abs(FILES.selfCert), keyFile: abs(FILES.selfKey), ...(options.days ? { days: options.days } : {}) });
      const tls = { cert: FILES.selfCert, key: FILES.selfKey, ca: '' };
      const check = await checkTlsSettings({ ...deps.settings().tls, ...tls }, deps.home, now());
      if (check.errors.length > 0) return { ok: false, errors: check.errors };
      return apply(tls, check);
    },

    async generateDhParams(options = {}) {
      const bits = options.bits ?? DH_BITS;
      if (!Number.isInteger(bits) || bits < DH_BITS || bits > 8192) {
        return { ok: false, errors: [{ path: 'tls.dhParams', message: `DH parameters need ${DH_BITS} to 8192 bits (got ${bits})` }] };
      }
      try {
        await makeDh(abs(FILES.dh), { bits, onProgress: (p) => deps.emit?.({ type: 'tls:dhparams', marks: p.marks, done: p.done }) });
      } catch (err) {
        deps.emit?.({ type: 'tls:dhparams', marks: 0, done: true, error: (err as Error).message });
        throw err;
      }
      const tls = { dhParams: FILES.dh };
      const check = await checkTlsSettings({ ...deps.settings().tls, ...tls }, deps.home, now());
      return apply(tls, check);
    },

    async importCertificate(pem) {
      const files = {
        cert: Buffer.from(pem.certPem), key: Buffer.from(pem.keyPem),
        ...(pem.caPem ? { ca: Buffer.from(pem.caPem) } : {}),
      };
      // Checked before anything is written: a bad import never replaces good files.
      const check = checkTlsFiles(files, { ciphers: '' }, now());
      if (check.errors.length > 0) return { ok: false, errors: check.errors };
      await atomicWrite(FILES.key, pem.keyPem, 0o600);
      await atomicWrite(FILES.cert, pem.certPem, 0o644);
      if (pem.caPem) await atomicWrite(FILES.ca, pem.caPem, 0o644);
      return apply({ cert: FILES.cert, key: FILES.key, ca: pem.caPem ? FILES.ca : '' }, check);
    },

    async certificateInfo() {
      return checkTlsSettings(deps.settings().tls, deps.home, now());
    },

    async hashPassword(password) {
      // An SMTP AUTH password guards relaying for the whole internet; one letter is a guess away.
      if (password.length < MIN_PASSWORD) throw new Error(`password: at least ${MIN_PASSWORD} characters (got ${password.length})`);
      return scryptHash(password);
    },
  };
}
