// SMTP AUTH users (`settings.users`): password hashing and checking. Hashes are
// scrypt (RFC 7914) stored as `scrypt$N$r$p$salt$hash` (salt and hash base64), so
// the parameters travel with each hash and can be raised later without breaking
// old ones. A check for an unknown user runs scrypt against a dummy hash: a bad
// user and a bad password cost the same time and get the same answer.
// Never logs or stores a password; never writes settings.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../config/schema.ts';
import { parseHash } from '../config/password-hash.ts';

export { parseHash, validateUsers } from '../config/password-hash.ts';

/** OWASP's scrypt minimum (N=2^17 is their first choice, but 16 MiB per check at N=2^14 keeps a burst of logins cheap). */
export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1 } as const;
/** 32 bytes of output and 16 of salt: the usual sizes (RFC 7914 examples use 64; 32 is plenty for a check). */
const KEY_LEN = 32;
const SALT_LEN = 16;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128·N·r bytes; allow twice that.
    scrypt(password.normalize('NFC'), salt, len, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hash a password for `users[].passwordHash`. */
export async function hashPassword(password: string, params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const hash = await derive(password, salt, params.N, params.r, params.p, KEY_LEN);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

let dummy: Promise<string> | undefined;
/** A hash nobody's password matches, made with the default cost (same time as a real check). */
const dummyHash = () => (dummy ??= hashPassword(randomBytes(24).toString('base64')));

/** Does `password` match `encoded`? A malformed hash never matches (and still costs a check). */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  const target = parsed ?? parseHash(await dummyHash())!;
  const got = await derive(password, target.salt, target.N, target.r, target.p, target.hash.length);
  return parsed !== null && timingSafeEqual(got, target.hash);
}

/**
 * Check a user name and password against `users`. Names compare case-insensitively
 * (as Sendmail's sasldb does for the realm-less form). Always runs scrypt once.
 */
export async function authenticate(users: Settings['users'], username: string, password: string): Promise<boolean> {
  const user = users.find((u) => u.name.toLowerCase() === username.toLowerCase());
  const ok = await verifyPassword(password, user ? user.passwordHash : await dummyHash());
  return ok && user !== undefined;
}
