// The maillog line for a TLS handshake, in Sendmail's format (seed 004):
//   STARTTLS=server, relay=[10.0.0.2], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256
// verify=OK (a client certificate that chains to tls.ca), NO (none presented),
// FAIL (presented, did not verify). Pure; never writes the log itself.
import type { TLSSocket } from 'node:tls';

export type VerifyVerdict = 'OK' | 'NO' | 'FAIL';

export function verifyVerdict(socket: Pick<TLSSocket, 'authorized' | 'getPeerCertificate'>): VerifyVerdict {
  if (socket.authorized) return 'OK';
  const peer = socket.getPeerCertificate();
  return peer && Object.keys(peer).length > 0 ? 'FAIL' : 'NO';
}

/** Symmetric key bits of a cipher suite, from its name (OpenSSL's "bits=alg/strength"). */
export function cipherBits(cipher: string): number {
  if (/CHACHA20|AES_?256|AES256/i.test(cipher)) return 256;
  if (/AES_?128|AES128/i.test(cipher)) return 128;
  if (/3DES|DES-CBC3/i.test(cipher)) return 112;
  return 0;
}

export function tlsLogLine(side: 'server' | 'client', relay: string, socket: TLSSocket): string {
  const cipher = socket.getCipher();
  const bits = cipherBits(cipher?.name ?? '');
  return `STARTTLS=${side}, relay=${relay}, version=${socket.getProtocol() ?? 'unknown'}, verify=${verifyVerdict(socket)}, ` +
    `cipher=${cipher?.name ?? 'unknown'}, bits=${bits}/${bits}`;
}
