// Making TLS material with the openssl command: a self-signed certificate for a
// host name (good enough for opportunistic STARTTLS between MTAs, which do not
// verify; the health check warns about it on a public port) and DH parameters
// (the seeds' Logjam fix: our own 2048-bit group). Files are written to a
// temporary name and renamed into place, keys with mode 0600, so a listener never
// reads half a file. Never touches settings; the caller saves the paths.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** 825 days: the longest validity browsers and Apple accept for a server certificate. */
export const SELF_SIGNED_DAYS = 825;
/** RFC 7919 / Logjam guidance: at least 2048 bits. */
export const DH_BITS = 2048;

export interface RunResult { code: number; stderr: string }

/** Run openssl; `onStderr` sees its progress output as it comes. Rejects only if openssl cannot start. */
function openssl(args: string[], onStderr?: (chunk: string) => void, signal?: AbortSignal): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], ...(signal ? { signal } : {}) });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      onStderr?.(chunk);
    });
    child.once('error', (err) => reject(new Error(`cannot run openssl: ${err.message}`)));
    child.once('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

async function tempDirBeside(file: string): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  return mkdtemp(join(dirname(file), '.tmp-'));
}

export interface SelfSignedOptions {
  hostname: string;
  certFile: string;
  keyFile: string;
  days?: number;
}

/** RSA 2048 + SHA-256, CN and subjectAltName = the host name. */
export async function generateSelfSigned(opts: SelfSignedOptions): Promise<void> {
  if (!/^[A-Za-z0-9.-]+$/.test(opts.hostname)) throw new Error(`hostname: "${opts.hostname}" is not a host name`);
  const tmp = await tempDirBeside(opts.certFile);
  try {
    const cert = join(tmp, 'cert.pem');
    const key = join(tmp, 'key.pem');
    const r = await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes',
      '-keyout', key, '-out', cert, '-days', String(opts.days ?? SELF_SIGNED_DAYS),
      '-subj', `/CN=${opts.hostname}`, '-addext', `subjectAltName=DNS:${opts.hostname}`]);
    if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr.trim().split('\n').pop()}`);
    await chmod(key, 0o600);
    await mkdir(dirname(opts.keyFile), { recursive: true });
    await rename(key, opts.keyFile);
    await rename(cert, opts.certFile);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface DhProgress {
  /** Candidate primes tried so far (openssl's '.' and '+' marks). */
  marks: number;
  done: boolean;
}

/**
 * `openssl dhparam -out FILE 2048`. Takes from seconds to a few minutes; openssl
 * prints a mark per candidate prime, passed on as progress (there is no percentage
 * to be had: the search ends when a safe prime turns up).
 */
export async function generateDhParams(file: string, opts: { bits?: number; onProgress?: (p: DhProgress) => void; signal?: AbortSignal } = {}): Promise<void> {
  const tmp = await tempDirBeside(file);
  try {
    const out = join(tmp, 'dh.pem');
    let marks = 0;
    const r = await openssl(['dhparam', '-out', out, String(opts.bits ?? DH_BITS)], (chunk) => {
      const n = (chunk.match(/[.+*]/g) ?? []).length;
      if (n > 0) {
        marks += n;
        opts.onProgress?.({ marks, done: false });
      }
    }, opts.signal);
    if (r.code !== 0) throw new Error(`openssl dhparam failed: ${r.stderr.trim().split('\n').pop()}`);
    await rename(out, file);
    opts.onProgress?.({ marks, done: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
