// The smtp-server TLS options for our listeners from checked material and
// `tls.*`: certificate, key, CA bundle, DH parameters (Logjam: our own 2048-bit
// group instead of a shared one), cipher list, protocol floor, and whether to
// ask clients for a certificate. Pure; never reads files.
import type { SecureContextOptions } from 'node:tls';
import type { TlsFiles, TlsSettings } from './material.ts';

export interface ServerTlsOptions extends SecureContextOptions {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/**
 * TLS 1.2 is the floor: TLS 1.0/1.1 are deprecated (RFC 8996), and every mail
 * client still in use speaks 1.2. smtp-server's own default would be TLSv1.
 */
export const MIN_TLS_VERSION = 'TLSv1.2' as const;

export function serverTlsOptions(files: TlsFiles, tls: TlsSettings): ServerTlsOptions {
  return {
    key: files.key,
    cert: files.cert,
    ...(files.ca ? { ca: files.ca } : {}),
    ...(files.dhparam ? { dhparam: files.dhparam } : {}),
    ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
    minVersion: MIN_TLS_VERSION,
    honorCipherOrder: true,
    // Client certificates are asked for and reported (verify=OK|NO|FAIL in the log),
    // never required: Sendmail's behaviour, and a mail server must take mail from
    // clients without one. Policy on the verdict belongs to the access map.
    requestCert: tls.verifyClients,
    rejectUnauthorized: false,
  };
}
