// Certificate material for the listeners: STARTTLS on smtp/submission and
// implicit TLS on smtps exist only when tls.cert and tls.key are configured
// (issue 6 does the rest: CA, DH parameters, client verification, ciphers).
// Reads files; never generates or writes any.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Settings } from '../config/schema.ts';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
}

/** null when no certificate is configured; throws naming the setting when a file cannot be read. */
export async function loadTls(tls: Settings['tls'], home: string): Promise<TlsMaterial | null> {
  if (!tls.cert || !tls.key) return null;
  const read = async (field: 'cert' | 'key' | 'ca', file: string) => {
    const path = isAbsolute(file) ? file : join(home, file);
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`tls.${field}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return {
    cert: await read('cert', tls.cert),
    key: await read('key', tls.key),
    ca: tls.ca ? await read('ca', tls.ca) : undefined,
  };
}
