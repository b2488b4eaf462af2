// The console's access token: one random secret per data directory, kept in
// `<home>/console-token` (mode 0600) so the URL a person bookmarked keeps working
// across restarts. This module only reads/creates the file; it never decides
// whether a request may pass (that is guard.ts).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** 32 random bytes = 256 bits, far beyond guessing over HTTP. */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes is 43 characters; anything shorter in the file is damage, so we replace it. */
const MIN_TOKEN_LENGTH = 32;

export async function loadOrCreateToken(home: string): Promise<string> {
  const file = path.join(home, 'console-token');
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing.length >= MIN_TOKEN_LENGTH && /^[A-Za-z0-9_-]+$/.test(existing)) {
      // Tighten permissions if someone loosened them; the token is a password.
      await fs.chmod(file, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  await fs.mkdir(home, { recursive: true });
  // Write to a temporary name then rename, so a crash never leaves half a token (STYLE.md §5).
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, token + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
  return token;
}

/** Constant-time comparison so the token cannot be learned byte by byte from response timing. */
export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
