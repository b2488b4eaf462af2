// Certificate material: a generated self-signed certificate is described and
// accepted; a key of another certificate, an expired or garbage certificate, bad
// DH parameters or cipher list are refused with the field named.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDhParams, generateSelfSigned } from '../../../engine/tls/generate.ts';
import { certificateInfo, checkTlsFiles, dhParamBits, checkTlsSettings, keyMatches } from '../../../engine/tls/material.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';

let dir: string;
let a: { cert: Buffer; key: Buffer };
let b: { cert: Buffer; key: Buffer };
const DAY = 86_400_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailstop-tls-'));
  await generateSelfSigned({ hostname: 'mx.example.org', certFile: join(dir, 'a.crt'), keyFile: join(dir, 'a.key'), days: 30 });
  await generateSelfSigned({ hostname: 'other.example', certFile: join(dir, 'b.crt'), keyFile: join(dir, 'b.key') });
  a = { cert: await readFile(join(dir, 'a.crt')), key: await readFile(join(dir, 'a.key')) };
  b = { cert: await readFile(join(dir, 'b.crt')), key: await readFile(join(dir, 'b.key')) };
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('generateSelfSigned', () => {
  it('names the host, is self-signed, key readable by the owner only', async () => {
    const info = certificateInfo(a.cert);
    expect(info).toMatchObject({ subject: 'CN=mx.example.org', altNames: ['mx.example.org'], selfSigned: true, publicKey: 'RSA 2048' });
    expect(info.daysLeft).toBeGreaterThanOrEqual(29);
    expect((await stat(join(dir, 'a.key'))).mode & 0o777).toBe(0o600);
  });
  it('refuses a host name that is not one', async () => {
    await expect(generateSelfSigned({ hostname: 'x/CN=evil', certFile: join(dir, 'x.crt'), keyFile: join(dir, 'x.key') })).rejects.toThrow(/hostname/);
  });
});

describe('checkTlsFiles', () => {
  // Certificates are made in beforeAll; measure from then on.
  const later = (ms: number) => Date.now() + ms;
  const cases: { name: string; files: () => { cert: Buffer; key: Buffer; dhparam?: Buffer }; ciphers?: string; at?: number; errors: string[]; warnings?: string[] }[] = [
    { name: 'matching pair', files: () => a, errors: [], warnings: [] },
    { name: 'key of another certificate', files: () => ({ cert: a.cert, key: b.key }), errors: ['tls.key: does not match the certificate in tls.cert'] },
    { name: 'not a certificate', files: () => ({ cert: Buffer.from('hello'), key: a.key }), errors: ['tls.cert: not a PEM certificate'] },
    { name: 'not a key', files: () => ({ cert: a.cert, key: Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') }), errors: ['tls.key: not an unencrypted PEM private key'] },
    { name: 'expired', files: () => a, at: 40 * DAY, errors: ['tls.cert: expired on'] },
    { name: 'expires within 14 days: warning only', files: () => a, at: 20 * DAY, errors: [], warnings: ['tls.cert: expires in'] },
    { name: 'bad cipher list', files: () => a, ciphers: 'NOT-A-CIPHER', errors: ['tls.ciphers: refused by OpenSSL'] },
    { name: 'bad DH parameters', files: () => ({ ...a, dhparam: Buffer.from('-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n') }), errors: ['tls.dhParams: not PEM DH parameters'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = checkTlsFiles(c.files(), { ciphers: c.ciphers ?? '' }, later(c.at ?? 0));
      const errs = got.errors.map((e) => `${e.path}: ${e.message}`);
      expect(errs.length).toBe(c.errors.length);
      c.errors.forEach((want, i) => expect(errs[i].startsWith(want), errs[i]).toBe(true));
      if (c.warnings) {
        const warns = got.warnings.map((e) => `${e.path}: ${e.message}`);
        expect(warns.length).toBe(c.warnings.length);
        c.warnings.forEach((want, i) => expect(warns[i].startsWith(want), warns[i]).toBe(true));
      }
    });
  }
  it('keyMatches agrees', () => {
    expect(keyMatches(a.cert, a.key)).toBe(true);
    expect(keyMatches(a.cert, b.key)).toBe(false);
  });
});

describe('checkTlsSettings', () => {
  it('relative paths are under home; a missing file names its field', async () => {
    await writeFile(join(dir, 'pair.crt'), a.cert);
    await writeFile(join(dir, 'pair.key'), a.key);
    const tls = SettingsSchema.parse({ tls: { cert: 'pair.crt', key: 'pair.key' } }).tls;
    expect((await checkTlsSettings(tls, dir)).errors).toEqual([]);
    const missing = await checkTlsSettings({ ...tls, key: 'nope.key' }, dir);
    expect(missing.errors).toEqual([{ path: 'tls.key', message: `cannot read ${join(dir, 'nope.key')} (ENOENT)` }]);
    expect(await checkTlsSettings({ ...tls, cert: '', key: '' }, dir)).toMatchObject({ configured: false, errors: [] });
  });
});

describe('generateDhParams', () => {
  it('writes parameters OpenSSL accepts and reports progress from openssl\'s marks', async () => {
    const file = join(dir, 'dh.pem');
    const progress: { marks: number; done: boolean }[] = [];
    // 1024 bits keeps the test fast; the API insists on 2048.
    await generateDhParams(file, { bits: 1024, onProgress: (p) => progress.push(p) });
    const dh = await readFile(file);
    expect(dh.toString()).toContain('BEGIN DH PARAMETERS');
    const check = checkTlsFiles({ ...a, dhparam: dh }, { ciphers: '' });
    expect(check.errors).toEqual([]);
    expect(dhParamBits(dh)).toBe(1024);
    expect(check.warnings).toEqual([{ path: 'tls.dhParams', message: '1024-bit DH parameters are weak (Logjam); generate 2048' }]);
    expect(progress.at(-1)?.done).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
  });
});
