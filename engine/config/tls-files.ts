// Field errors for `tls.*` that need the files themselves (issue 11 §4): each
// configured file exists and parses (certificate, private key matching it, CA,
// DH parameters) and OpenSSL accepts the cipher list. engine/config/load.ts adds
// these to validation whenever it knows the data directory, so the UI,
// `mailstop config set|check` and start-up refuse the same things, and STARTTLS
// never silently disappears because a path was mistyped.
//
// Expiry is not judged here: an expired certificate is a warning on the health
// check, and refusing to start would take the mail down on the day it expires.
// Reads files synchronously (a handful of small PEM files); never writes.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { isAbsolute, join } from 'node:path';
import type { Settings } from './schema.ts';

type TlsSettings = Settings['tls'];
/** Structurally EngineApi's FieldError (declared here so this stage does not import api.ts). */
type FieldError = { path: string; message: string };

/** OpenSSL's words for a failure, minus Node's error-code prefix noise. */
const why = (err: unknown) => (err as Error).message.replace(/^error:[0-9A-F]+:/, '');

/** A cipher list OpenSSL refuses (`NOT-A-CIPHER:BOGUS` → "no cipher match"), or null. */
export function cipherListError(ciphers: string): string | null {
  if (!ciphers) return null;
  try {
    createSecureContext({ ciphers });
    return null;
  } catch (err) {
    return `refused by OpenSSL (${why(err)}); see "openssl ciphers -v" for names`;
  }
}

/** The files named in `tls.*`, read relative to the data directory. The cipher list needs no file: see cipherListError. */
export function validateTlsFiles(tls: TlsSettings, home: string): FieldError[] {
  const errors: FieldError[] = [];
  const read = (field: string, file: string): Buffer | null => {
    const full = resolvePath(file, home);
    try {
      return readFileSync(full);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      const what = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code;
      errors.push({ path: field, message: `cannot read ${full} (${what})` });
      return null;
    }
  };

  if (tls.cert && !tls.key) errors.push({ path: 'tls.key', message: 'tls.cert is set but no key' });
  if (tls.key && !tls.cert) errors.push({ path: 'tls.cert', message: 'tls.key is set but no certificate' });

  let cert: X509Certificate | null = null;
  const certPem = tls.cert ? read('tls.cert', tls.cert) : null;
  if (certPem) {
    try {
      cert = new X509Certificate(certPem);
    } catch (err) {
      errors.push({ path: 'tls.cert', message: `not a PEM certificate (${why(err)})` });
    }
  }
  const keyPem = tls.key ? read('tls.key', tls.key) : null;
  if (keyPem) {
    try {
      const key = createPrivateKey(keyPem);
      if (cert && !cert.checkPrivateKey(key)) errors.push({ path: 'tls.key', message: 'does not match the certificate in tls.cert' });
    } catch (err) {
      errors.push({ path: 'tls.key', message: `not an unencrypted PEM private key (${why(err)})` });
    }
  }
  const caPem = tls.ca ? read('tls.ca', tls.ca) : null;
  if (caPem) {
    try {
      new X509Certificate(caPem);
    } catch (err) {
      errors.push({ path: 'tls.ca', message: `not a PEM certificate (${why(err)})` });
    }
  }
  const dhPem = tls.dhParams ? read('tls.dhParams', tls.dhParams) : null;
  if (dhPem) {
    // Node ignores a dhparam it cannot parse without a word, so parse it ourselves.
    const bits = dhParamBits(dhPem);
    if (bits === null) errors.push({ path: 'tls.dhParams', message: 'not PEM DH parameters (-----BEGIN DH PARAMETERS-----)' });
    else if (bits < 1024) errors.push({ path: 'tls.dhParams', message: `${bits}-bit DH parameters are refused by OpenSSL; generate 2048` });
    else {
      try {
        createSecureContext({ dhparam: dhPem });
      } catch (err) {
        errors.push({ path: 'tls.dhParams', message: `refused by OpenSSL (${why(err)})` });
      }
    }
  }
  return errors;
}

export const resolvePath = (file: string, home: string) => (isAbsolute(file) ? file : join(home, file));

/**
 * Size in bits of the prime of PEM DH parameters (PKCS #3: SEQUENCE { INTEGER p,
 * INTEGER g, ... }), or null when it is not such a thing. Node silently ignores a
 * dhparam it cannot parse, so this is where garbage gets caught.
 */
export function dhParamBits(pem: Buffer | string): number | null {
  const m = /-----BEGIN DH PARAMETERS-----([\s\S]*?)-----END DH PARAMETERS-----/.exec(pem.toString());
  if (!m) return null;
  const der = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  let pos = 0;
  const readLength = (): number | null => {
    if (pos >= der.length) return null;
    const first = der[pos++];
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 3 || pos + n > der.length) return null;
    let len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[pos++];
    return len;
  };
  if (der[pos++] !== 0x30 || readLength() === null) return null; // SEQUENCE
  if (der[pos++] !== 0x02) return null; // INTEGER p
  let len = readLength();
  if (len === null || len === 0 || pos + len > der.length) return null;
  while (len > 0 && der[pos] === 0) { pos++; len--; } // sign padding
  if (len === 0) return null;
  return (len - 1) * 8 + (32 - Math.clz32(der[pos]));
}
