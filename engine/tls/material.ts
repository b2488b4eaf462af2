// Certificate material for the listeners: read the PEM files named in `tls.*`
// (relative paths are under the data directory), check that they belong together
// (the key matches the certificate, the DH parameters and cipher list are
// accepted by OpenSSL) and describe the certificate for the Certificates page and
// the health check (subject, names, validity, self-signed, days left).
// Reads files; never writes or generates any (generate.ts does).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { FieldError } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';
import type { CertificateInfo, TlsCheck } from '../types/security.ts';
import { dhParamBits, resolvePath } from '../config/tls-files.ts';

export { dhParamBits, resolvePath };

export type { CertificateInfo, TlsCheck } from '../types/security.ts';

export type TlsSettings = Settings['tls'];

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  dhparam?: Buffer;
}

/** Warn this many days ahead of expiry (issue 6: "warned about 14 days ahead"). */
export const EXPIRY_WARN_DAYS = 14;
const DAY_MS = 86_400_000;


/** A problem with the TLS settings that names its field (`tls.key: …`). */
export class TlsConfigError extends Error {
  constructor(public readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** Read the configured files; null when no cert/key is configured. Throws TlsConfigError. */
export async function readTlsFiles(tls: TlsSettings, home: string): Promise<TlsFiles | null> {
  if (!tls.cert && !tls.key) return null;
  if (!tls.cert) throw new TlsConfigError('tls.cert', 'a key is set but no certificate');
  if (!tls.key) throw new TlsConfigError('tls.key', 'a certificate is set but no key');
  const read = async (field: string, file: string) => {
    const path = resolvePath(file, home);
    try {
      return await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      throw new TlsConfigError(field, `cannot read ${path} (${code})`);
    }
  };
  return {
    cert: await read('tls.cert', tls.cert),
    key: await read('tls.key', tls.key),
    ...(tls.ca ? { ca: await read('tls.ca', tls.ca) } : {}),
    ...(tls.dhParams ? { dhparam: await read('tls.dhParams', tls.dhParams) } : {}),
  };
}

/** Parse the first certificate of a PEM bundle; throws TlsConfigError naming `field`. */
export function parseCertificate(pem: Buffer | string, field = 'tls.cert'): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new TlsConfigError(field, `not a PEM certificate (${(err as Error).message})`);
  }
}

export function certificateInfo(pem: Buffer | string, now = Date.now()): CertificateInfo {
  const x = parseCertificate(pem);
  const validTo = new Date(x.validTo);
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails;
  const keyDesc = key.asymmetricKeyType === 'rsa' ? `RSA ${details?.modulusLength ?? '?'}`
    : key.asymmetricKeyType === 'ec' ? `EC ${details?.namedCurve ?? '?'}` : String(key.asymmetricKeyType).toUpperCase();
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    altNames: (x.subjectAltName ?? '').split(/,\s*/).filter(Boolean).map((n) => n.replace(/^(DNS|IP Address):/, '')),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now) / DAY_MS),
    // Self-signed: it names itself as issuer and its own key verifies its signature.
    selfSigned: x.checkIssued(x) && x.verify(x.publicKey),
    fingerprint256: x.fingerprint256,
    serialNumber: x.serialNumber,
    publicKey: keyDesc,
  };
}

/** Does the private key belong to the certificate? Throws TlsConfigError for an unreadable key. */
export function keyMatches(certPem: Buffer | string, keyPem: Buffer | string): boolean {
  const cert = parseCertificate(certPem);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new TlsConfigError('tls.key', `not an unencrypted PEM private key (${(err as Error).message})`);
  }
  return cert.checkPrivateKey(key);
}


/**
 * Everything that can be wrong with a set of TLS files and settings, by field:
 * errors stop a listener from using them, warnings (expiring soon) do not.
 */
export function checkTlsFiles(files: TlsFiles, tls: Pick<TlsSettings, 'ciphers'>, now = Date.now()): TlsCheck {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const fail = (e: unknown) => {
    if (!(e instanceof TlsConfigError)) throw e;
    errors.push({ path: e.field, message: e.message.slice(e.field.length + 2) });
  };
  let info: CertificateInfo | null = null;
  try {
    info = certificateInfo(files.cert, now);
  } catch (e) {
    fail(e);
  }
  if (info) {
    try {
      if (!keyMatches(files.cert, files.key)) errors.push({ path: 'tls.key', message: 'does not match the certificate in tls.cert' });
    } catch (e) {
      fail(e);
    }
    if (info.daysLeft < 0) errors.push({ path: 'tls.cert', message: `expired on ${info.validTo.slice(0, 10)}` });
    else if (Date.parse(info.validFrom) > now) errors.push({ path: 'tls.cert', message: `not valid before ${info.validFrom.slice(0, 10)}` });
    else if (info.daysLeft < EXPIRY_WARN_DAYS) warnings.push({ path: 'tls.cert', message: `expires in ${info.daysLeft} day(s), on ${info.validTo.slice(0, 10)}` });
  }
  if (files.ca) {
    try {
      parseCertificate(files.ca, 'tls.ca');
    } catch (e) {
      fail(e);
    }
  }
  if (files.dhparam) {
    const bits = dhParamBits(files.dhparam);
    if (bits === null) errors.push({ path: 'tls.dhParams', message: 'not PEM DH parameters (BEGIN DH PARAMETERS)' });
    else if (bits < 1024) errors.push({ path: 'tls.dhParams', message: `${bits}-bit DH parameters are refused by OpenSSL; generate 2048` });
    else if (bits < 2048) warnings.push({ path: 'tls.dhParams', message: `${bits}-bit DH parameters are weak (Logjam); generate 2048` });
  }
  if (errors.length === 0) {
    // OpenSSL itself is the judge of cipher strings (and of DH sizes, once more).
    for (const [field, opts] of [
      ['tls.dhParams', files.dhparam ? { dhparam: files.dhparam } : null],
      ['tls.ciphers', tls.ciphers ? { ciphers: tls.ciphers } : null],
    ] as const) {
      if (!opts) continue;
      try {
        createSecureContext({ key: files.key, cert: files.cert, ...opts });
      } catch (err) {
        errors.push({ path: field, message: `refused by OpenSSL: ${(err as Error).message}` });
      }
    }
  }
  return { errors, warnings, info };
}

/** Read and check in one go, for the API and the health check. */
export async function checkTlsSettings(tls: TlsSettings, home: string, now = Date.now()): Promise<TlsCheck & { configured: boolean }> {
  let files: TlsFiles | null;
  try {
    files = await readTlsFiles(tls, home);
  } catch (e) {
    if (!(e instanceof TlsConfigError)) throw e;
    return { configured: true, errors: [{ path: e.field, message: e.message.slice(e.field.length + 2) }], warnings: [], info: null };
  }
  if (!files) return { configured: false, errors: [], warnings: [], info: null };
  return { configured: true, ...checkTlsFiles(files, tls, now) };
}
