// The stored form of an SMTP AUTH password, `scrypt$N$r$p$salt$hash`, read and
// checked here so settings validation (config) and login (policy/auth-users.ts)
// agree on it without config reaching into the policy stage. Pure.
import type { Settings } from './schema.ts';

/** Largest cost we accept from a stored hash, so a hand-edited config cannot stall the server. */
const MAX_N = 1 << 20;

export interface Parsed { N: number; r: number; p: number; salt: Buffer; hash: Buffer }

export function parseHash(encoded: string): Parsed | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return null;
  if (N > MAX_N || (N & (N - 1)) !== 0 || r > 32 || p > 16) return null;
  const salt = Buffer.from(parts[4], 'base64');
  const hash = Buffer.from(parts[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/** Field errors for `users` (for the Users page and updateSettings). */
export function validateUsers(users: Settings['users']): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  users.forEach((u, i) => {
    if (!/^[^\s:@]+(@[A-Za-z0-9.-]+)?$/.test(u.name)) errors.push({ path: `users[${i}].name`, message: 'a user name without spaces or colons' });
    if (seen.has(u.name.toLowerCase())) errors.push({ path: `users[${i}].name`, message: `"${u.name}" is listed twice` });
    seen.add(u.name.toLowerCase());
    if (!parseHash(u.passwordHash)) errors.push({ path: `users[${i}].passwordHash`, message: 'not a scrypt$N$r$p$salt$hash value; set the password again' });
  });
  return errors;
}
