// Who a local submitter is, from a uid the kernel vouches for (a drop file's
// owner): the login name in the passwd file, and Sendmail's authwarnings text
// when that user set someone else's envelope sender. Answers questions; never
// writes anything.
import fs from 'node:fs/promises';

/** Sendmail's default trusted users (class t): they may set any sender without a warning. */
const TRUSTED_USERS = new Set(['root', 'daemon', 'uucp']);

let cache: { mtimeMs: number; names: Map<number, string> } | null = null;

/** The login name for `uid` ("uid1234" when the passwd file has none, as in a container). */
export async function loginName(uid: number, passwdFile = '/etc/passwd'): Promise<string> {
  try {
    const st = await fs.stat(passwdFile);
    if (!cache || cache.mtimeMs !== st.mtimeMs) {
      const names = new Map<number, string>();
      for (const line of (await fs.readFile(passwdFile, 'utf8')).split('\n')) {
        const [name, , id] = line.split(':');
        const n = Number(id);
        // The first entry wins, as getpwuid(3) returns it.
        if (name && Number.isInteger(n) && !names.has(n)) names.set(n, name);
      }
      cache = { mtimeMs: st.mtimeMs, names };
    }
  } catch {
    return `uid${uid}`;
  }
  return cache.names.get(uid) ?? `uid${uid}`;
}

/** Sendmail's "alice set sender to x@y using -f" when an untrusted user named another sender. */
export function senderWarnings(user: string, sender: string, hostname: string): string[] {
  if (TRUSTED_USERS.has(user)) return [];
  const own = [user, `${user}@${hostname}`].map((a) => a.toLowerCase());
  if (own.includes(sender.toLowerCase())) return [];
  return [`${user} set sender to ${sender || '<>'} using -f`];
}
