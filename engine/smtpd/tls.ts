// Certificate material for the listeners: STARTTLS on smtp/submission and
// implicit TLS on smtps exist only when tls.cert and tls.key are configured and
// pass engine/tls's checks (the key matches the certificate, DH parameters and
// cipher list are accepted). An expired certificate is still used — opportunistic
// TLS between MTAs does not verify, and refusing TLS would only send mail in clear
// text — but it is reported. Reads files; never generates or writes any.
import { stat } from 'node:fs/promises';
import type { FieldError } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';
import { checkTlsFiles, readTlsFiles, resolvePath, TlsConfigError } from '../tls/material.ts';
import { serverTlsOptions, type ServerTlsOptions } from '../tls/server-options.ts';

export interface LoadedTls {
  options: ServerTlsOptions;
  /** Problems worth a log line that do not stop TLS (expiring, expired, weak DH). */
  warnings: FieldError[];
  /** What the material was loaded from: settings and file modification times. */
  stamp: string;
}

const isValidityProblem = (e: FieldError) => e.path === 'tls.cert' && /^(expired|not valid before)/.test(e.message);

/** Files that make up the material, for change detection. */
export async function tlsStamp(tls: Settings['tls'], home: string): Promise<string> {
  const files = [tls.cert, tls.key, tls.ca, tls.dhParams].filter(Boolean);
  const times = await Promise.all(files.map(async (f) => {
    try {
      return (await stat(resolvePath(f, home))).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
      return -1;
    }
  }));
  return JSON.stringify([tls, times]);
}

/**
 * null when no certificate is configured; throws TlsConfigError (message
 * "tls.key: does not match the certificate in tls.cert") when the material is unusable.
 */
export async function loadTls(tls: Settings['tls'], home: string, now = Date.now()): Promise<LoadedTls | null> {
  const stamp = await tlsStamp(tls, home);
  const files = await readTlsFiles(tls, home);
  if (!files) return null;
  const check = checkTlsFiles(files, tls, now);
  const fatal = check.errors.filter((e) => !isValidityProblem(e));
  if (fatal.length > 0) throw new TlsConfigError(fatal[0].path, fatal[0].message);
  return { options: serverTlsOptions(files, tls), warnings: [...check.errors, ...check.warnings], stamp };
}
