// mbox append (mboxrd, the format mutt and Dovecot read): a "From sender date"
// separator line, ">From " escaping of body lines, a blank line after each
// message; serialised by a dot-lock "<mbox>.lock" created with O_EXCL (the lock
// procmail, mutt and mail.local agree on). A failed write is cut back off the
// file so the mailbox never holds half a message. Throws; callers map errors.
import { open, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Lock files older than this are left by a crashed writer (mail.local's 5 minutes). */
const STALE_LOCK_MS = 5 * 60_000;
/** How often a waiting writer retries the lock: short next to any real append. */
const LOCK_RETRY_MS = 100;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "From alice@example.com Thu Nov  9 12:00:00 2023\n" — ctime(3) layout, local time. */
export function mboxFromLine(sender: string, when: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = String(when.getDate()).padStart(2, ' ');
  const time = `${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
  // A null sender <> (bounces) is written as MAILER-DAEMON, as Sendmail does.
  const who = sender === '' ? 'MAILER-DAEMON' : sender.replace(/\s/g, '_');
  return `From ${who} ${DAYS[when.getDay()]} ${MONTHS[when.getMonth()]} ${day} ${time} ${when.getFullYear()}\n`;
}

/** mboxrd: any line matching /^>*From / gets one more ">", so readers can undo it exactly. */
export function escapeFromLines(content: Buffer): Buffer {
  // latin1 maps bytes 1:1 to code units, so 8-bit bodies pass through untouched.
  return Buffer.from(content.toString('latin1').replace(/^(>*From )/gm, '>$1'), 'latin1');
}

/** The bytes appended for one message: From line, escaped message (LF lines), blank line. */
export function mboxEntry(content: Buffer, sender: string, when: Date): Buffer {
  let body = escapeFromLines(content);
  if (body.length > 0 && body[body.length - 1] !== 0x0a) body = Buffer.concat([body, Buffer.from('\n')]);
  return Buffer.concat([Buffer.from(mboxFromLine(sender, when), 'latin1'), body, Buffer.from('\n')]);
}

export class LockTimeoutError extends Error {
  readonly code = 'ELOCKED';
  constructor(path: string) { super(`mailbox ${path} is locked by another writer`); }
}

/** Takes `<path>.lock`; returns the release function. */
export async function dotLock(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => unlink(lock).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - (await stat(lock)).mtimeMs > STALE_LOCK_MS) {
        await unlink(lock);
        continue;
      }
    } catch (err) {
      // The holder released it between our open and stat: try again at once.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (Date.now() >= deadline) throw new LockTimeoutError(path);
    await sleep(LOCK_RETRY_MS);
  }
}

/** Appends one message to the mbox at `path` (created 0600 if missing), fsynced. */
export async function appendMbox(path: string, content: Buffer, opts: { sender: string; now?: Date; lockTimeoutMs: number }): Promise<void> {
  const entry = mboxEntry(content, opts.sender, opts.now ?? new Date());
  const release = await dotLock(path, opts.lockTimeoutMs);
  try {
    const fh = await open(path, 'a', 0o600);
    const before = (await fh.stat()).size;
    try {
      await fh.writeFile(entry);
      await fh.sync();
    } catch (err) {
      // Cut the partial message off so the next reader does not see a torn mailbox
      // (Postfix mbox delivery does the same). A device may refuse truncate; the
      // write error is what matters.
      await fh.truncate(before).catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  } finally {
    await release();
  }
}
