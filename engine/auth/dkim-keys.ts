// DKIM keys of our sending domains (issue 15): generating them (RSA 2048 or
// Ed25519, RFC 8463), storing them under <home>/dkim/ (directory 0700, files
// 0600, written to a temporary name, fsynced, renamed), reading them back with a
// clear reason when a file is missing or is not a key, and the TXT record to
// publish, in zone-file form with strings of at most 255 characters (RFC 1035
// §3.3: a <character-string> holds at most 255 octets).
// Owns: files under <home>/dkim/. Never: settings (callers save the keys list).
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { DKIM_SELECTOR_RE, type DkimKey, type Settings } from '../config/schema.ts';

export type DkimKeyType = DkimKey['type'];

/** RSA size: 2048 is what the large mailbox providers ask for; 1024 is refused by some verifiers. */
export const RSA_BITS = 2048;
/** RFC 1035 §3.3: one <character-string> of a TXT record is at most 255 octets. */
const TXT_STRING_MAX = 255;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** A DKIM problem with words a person can act on (CLI prints it, UI shows it). */
export class DkimError extends Error {}

export function checkSelector(selector: string): void {
  if (!DKIM_SELECTOR_RE.test(selector) || selector.length > 253) {
    throw new DkimError(`selector "${selector}" is not valid: use letters, digits and hyphens (labels separated by dots), e.g. s2026`);
  }
}

const DOMAIN_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(d)) throw new DkimError(`"${domain}" is not a domain name (e.g. shop.example)`);
  return d;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * The domains our mail is sent as: the host name, local domains, the masquerade
 * domain and the domains of genericstable addresses. A key for anything else would
 * sign nothing (or, worse, be a sign of a typo), so keygen asks for --force.
 */
export function sendingDomains(settings: Settings): string[] {
  const out = new Set<string>();
  const add = (d: string) => { if (d) out.add(d.toLowerCase().replace(/\.$/, '')); };
  add(settings.hostname);
  for (const d of settings.domains.local) add(d);
  add(settings.rewrite.masqueradeAs);
  for (const a of Object.values(settings.rewrite.generics)) if (a.includes('@')) add(domainOf(a));
  out.delete('localhost');
  return [...out].sort();
}

/** The file of a new key, relative to home: dkim/<domain>.<selector>.key. */
export function keyFileName(domain: string, selector: string): string {
  return `dkim/${domain}.${selector}.key`;
}

export const keyPath = (home: string, file: string): string => (isAbsolute(file) ? file : join(home, file));

export interface NewKey { key: DkimKey; publicKey: string }

/** Generate a key pair, write the private key (0600) and return its settings entry and p= value. */
export async function generateKey(home: string, domain: string, selector: string, type: DkimKeyType): Promise<NewKey> {
  checkSelector(selector);
  const pair = type === 'rsa'
    ? await promisify(generateKeyPair)('rsa', { modulusLength: RSA_BITS })
    : await promisify(generateKeyPair)('ed25519');
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const file = keyFileName(domain, selector);
  await writePrivate(keyPath(home, file), pem);
  return { key: { selector, type, file, signing: true }, publicKey: publicValue(pair.publicKey) };
}

async function writePrivate(path: string, pem: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  await chmod(dir, DIR_MODE).catch(() => undefined); // an existing dir made by hand: best effort
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'wx', FILE_MODE);
  try {
    await fh.writeFile(pem);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try { await d.sync(); } finally { await d.close(); }
}

export async function removeKeyFile(home: string, file: string): Promise<void> {
  await unlink(keyPath(home, file)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
}

/** The private key of `key`, or a DkimError naming the file and what is wrong with it. */
export async function readPrivateKey(home: string, key: DkimKey): Promise<KeyObject> {
  const path = keyPath(home, key.file);
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DkimError(code === 'ENOENT' ? `key file ${path} is missing` : `key file ${path} cannot be read (${code ?? String(err)})`);
  }
  let k: KeyObject;
  try {
    k = createPrivateKey(pem);
  } catch {
    throw new DkimError(`key file ${path} is not a private key (expected PEM, e.g. "-----BEGIN PRIVATE KEY-----")`);
  }
  if (k.asymmetricKeyType !== key.type) {
    throw new DkimError(`key file ${path} holds a ${k.asymmetricKeyType ?? 'unknown'} key, but the settings say ${key.type}`);
  }
  return k;
}

/** The p= value: base64 SubjectPublicKeyInfo for RSA (RFC 6376 §3.6.1), the raw 32 octets for Ed25519 (RFC 8463 §4.2). */
export function publicValue(pub: KeyObject): string {
  const der = pub.export({ type: 'spki', format: 'der' });
  return (pub.asymmetricKeyType === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
}

export async function publicValueOf(home: string, key: DkimKey): Promise<string> {
  return publicValue(createPublicKey(await readPrivateKey(home, key)));
}

/** The record's strings: "v=DKIM1; k=rsa; " then p=… cut into pieces of at most 255 characters. */
export function recordStrings(type: DkimKeyType, p: string): string[] {
  const strings = [`v=DKIM1; k=${type}; `];
  const value = `p=${p}`;
  for (let i = 0; i < value.length; i += TXT_STRING_MAX) strings.push(value.slice(i, i + TXT_STRING_MAX));
  return strings;
}

/** `s2026._domainkey.shop.test. IN TXT "v=DKIM1; k=rsa; " "p=…"`, ready to paste into a zone file. */
export function zoneLine(domain: string, selector: string, type: DkimKeyType, p: string): string {
  return `${selector}._domainkey.${domain}. IN TXT ${recordStrings(type, p).map((s) => `"${s}"`).join(' ')}`;
}

/** A selector not used yet by this domain: s<yyyymm> (RSA) or e<yyyymm> (Ed25519), then -2, -3, ... */
export function freshSelector(type: DkimKeyType, now: Date, taken: readonly string[]): string {
  const base = `${type === 'rsa' ? 's' : 'e'}${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const used = new Set(taken.map((t) => t.toLowerCase()));
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}
