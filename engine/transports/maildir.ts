// Maildir delivery (https://cr.yp.to/proto/maildir.html): write the message under
// tmp/ with a unique name, fsync it, rename it into new/, fsync new/. A reader
// (mutt, Dovecot) never sees a partial message. Throws fs errors; the caller
// (local.ts) turns them into deferrals — this file never decides a delivery outcome.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

let seq = 0;

/**
 * Unique file name "time.MusecPpidQseq.host" — the Dovecot/Courier form of the
 * spec's "time.pid_seq.host": unique within this process (seq) and across
 * processes (pid) and restarts (time).
 */
export function maildirName(hostname: string, now: number = Date.now()): string {
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000 + (seq % 1000);
  // The spec asks for "/" and ":" in the host part to be encoded as \057 and \072.
  const host = hostname.replace(/\//g, '\\057').replace(/:/g, '\\072');
  return `${sec}.M${usec}P${process.pid}Q${++seq}.${host}`;
}

/** Delivers one message into the Maildir at `dir`; returns the path in new/. */
export async function writeMaildir(dir: string, content: Buffer, hostname: string): Promise<string> {
  // 0700: mailboxes are private to their owner, as Dovecot and mutt create them.
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  const name = maildirName(hostname);
  const tmp = join(dir, 'tmp', name);
  const dest = join(dir, 'new', name);
  // 'wx' = O_EXCL: never overwrite a file another delivery is writing.
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, dest);
  await syncDir(join(dir, 'new'));
  return dest;
}

/** fsync a directory so the rename survives a crash (STYLE.md §5). */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
