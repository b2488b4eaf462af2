// smtp.privacy restrictmailq / restrictqrun for the command line (Sendmail's
// PrivacyOptions of the same names): who may list the queue and who may start a
// queue run. The engine's owner is the owner of the data directory; root is always
// allowed. Answers the question and prints the refusal; never changes anything.
import fs from 'node:fs/promises';
import { EX_NOPERM } from './exit-codes.ts';
import { err, type CliIo } from './io.ts';

export type QueueRestriction = 'restrictmailq' | 'restrictqrun';

/** The invoking user's ids (injectable so the decision can be tested for another user). */
export interface Who { uid: number; gids: number[] }

function currentUser(): Who | null {
  // No uids on Windows: nothing to compare, nothing restricted.
  if (typeof process.getuid !== 'function') return null;
  return { uid: process.getuid(), gids: [process.getgid?.() ?? -1, ...(process.getgroups?.() ?? [])] };
}

/**
 * null when allowed, else the one-line reason. restrictqrun: root and the owner only.
 * restrictmailq: also members of the data directory's group (Sendmail lets the queue
 * directory's group read the queue). A data directory that does not exist yet holds
 * no queue to protect.
 */
export async function queueRefusal(home: string, flag: QueueRestriction, who: Who | null = currentUser()): Promise<string | null> {
  if (!who || who.uid === 0) return null;
  // Ownership first: the owner (and for mailq the group) may whatever the flags say,
  // and that is everyone who runs `mailq` on a personal home. Only the rest pay for
  // reading and validating config.json.
  let owner: { uid: number; gid: number };
  try {
    owner = await fs.stat(home);
  } catch {
    return null;
  }
  if (who.uid === owner.uid) return null;
  if (flag === 'restrictmailq' && who.gids.includes(owner.gid)) return null;
  const { ConfigError, loadSettings } = await import('../config/load.ts');
  let privacy: readonly string[];
  try {
    privacy = (await loadSettings(home)).smtp.privacy;
  } catch (e) {
    // A broken config.json is reported by the commands that need it; defaults restrict
    // nothing. One this user cannot even read guards the spool by itself.
    if (!(e instanceof ConfigError) && (e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    return null;
  }
  if (!privacy.includes(flag)) return null;
  return flag === 'restrictmailq'
    ? `permission denied: the queue may only be listed by its owner (uid ${owner.uid}) or group (smtp.privacy restrictmailq)`
    : `permission denied: only the queue's owner (uid ${owner.uid}) or root may run the queue (smtp.privacy restrictqrun)`;
}

/** Prints the refusal and returns EX_NOPERM, or returns null when the command may go on. */
export async function refuseQueueCommand(home: string, flag: QueueRestriction, io: CliIo, who?: Who | null): Promise<number | null> {
  const reason = await queueRefusal(home, flag, who === undefined ? currentUser() : who);
  if (reason === null) return null;
  err(io, reason);
  return EX_NOPERM;
}
