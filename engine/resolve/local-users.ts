// Who is a local user. Mailstop knows a user (in this order) if:
//   1. a mailbox exists for it under localDelivery.mailboxDir (Maildir dir or mbox file),
//   2. it is an SMTP AUTH user in `settings.users`,
//   3. it is a system account in /etc/passwd (so cron mail to "root" or "joe" works).
// Aliases and forwards also make a name known; the resolver checks those first.
// A mailbox the administrator names as a destination (the catch-all, a `local:`
// route) is accepted before it exists: the first delivery creates it (expand.ts).
// Reads only; never creates a mailbox (that is the local transport's job).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Settings } from '../config/schema.ts';
import { mailboxRoot } from '../config/mailbox-root.ts';

export type KnownBy = 'mailbox' | 'smtp user' | 'system user';

export interface PasswdEntry { name: string; uid: number; home: string }

/** A user name safe to use as a mailbox path component. */
export function isSafeUserName(name: string): boolean {
  return /^[a-z0-9_][a-z0-9._+-]*$/i.test(name) && name.length <= 64;
}

export async function readPasswd(file: string): Promise<Map<string, PasswdEntry>> {
  const out = new Map<string, PasswdEntry>();
  if (file === '') return out;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    // name:passwd:uid:gid:gecos:home:shell — seven fields (passwd(5)).
    if (f.length < 7 || f[0] === '' || line.startsWith('#')) continue;
    out.set(f[0].toLowerCase(), { name: f[0], uid: Number(f[2]), home: f[5] });
  }
  return out;
}

export interface UserDirectory {
  /** How `user` (lower-case) is known, or null for an unknown user. */
  known(user: string): Promise<KnownBy | null>;
  /** The text of ~user/.forward for a system user; null when there is none. */
  homeForward(user: string): Promise<{ path: string; text: string; uid: number } | { path: string; error: string } | null>;
}

export function createUserDirectory(p: { settings: Settings; home: string; passwdFile: string }): UserDirectory {
  let passwd: Promise<Map<string, PasswdEntry>> | undefined;
  // Read once per resolution: one question, one consistent view of the accounts.
  const accounts = (): Promise<Map<string, PasswdEntry>> => (passwd ??= readPasswd(p.passwdFile));
  return {
    async known(user) {
      if (!isSafeUserName(user)) return null;
      if (await exists(join(mailboxRoot(p.settings, p.home), user))) return 'mailbox';
      if (p.settings.users.some((u) => u.name.toLowerCase() === user)) return 'smtp user';
      if ((await accounts()).has(user)) return 'system user';
      return null;
    },
    async homeForward(user) {
      const entry = (await accounts()).get(user);
      if (!entry || entry.home === '' || entry.home === '/') return null;
      const path = join(entry.home, '.forward');
      try {
        return { path, text: await readFile(path, 'utf8'), uid: entry.uid };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        return { path, error: code ?? String(err) };
      }
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}
