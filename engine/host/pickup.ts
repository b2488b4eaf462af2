// The pickup: takes what local users dropped into the maildrop (maildrop.ts)
// and hands it to the engine, at once (fs.watch) and on a slow timer as the
// fallback for file systems where watching misses events. The submitter is the
// file's owner (fstat after an O_NOFOLLOW open), never anything in the file.
// Anything that is not a single-link regular file in the drop format — a
// symlink, a hard link, a FIFO, garbage — is moved to maildrop-refused/ with
// one maillog line and never read as mail. Never crashes the host.
import { constants, watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SmtpError } from '../contracts.ts';
import type { Engine } from '../engine.ts';
import { loginName, senderWarnings } from './identity.ts';
import { DropFormatError, decodeDrop, isCommittedDropName } from './maildrop.ts';
import { maildropDir, maildropRefusedDir } from './paths.ts';

/** The fallback scan, for when a watch event is missed (network file systems, overflow). */
const RESCAN_MS = 10_000;
/** A writer's temporary file this old was abandoned (its sendmail was killed): removed. */
const ABANDONED_MS = 24 * 3600_000;

export interface Pickup { drain(): Promise<void>; close(): Promise<void> }

type PickupEngine = Pick<Engine, 'submit' | 'getSettings' | 'note'>;

export async function startPickup(engine: PickupEngine, home: string): Promise<Pickup> {
  const dir = maildropDir(home);
  // A personal home stays private (0700); `mailstop install` makes it 1733 for everyone.
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  async function refuse(name: string, why: string): Promise<void> {
    const aside = maildropRefusedDir(home);
    await fs.mkdir(aside, { recursive: true, mode: 0o700 });
    try {
      await fs.rename(path.join(dir, name), path.join(aside, name));
      engine.note(null, `maildrop: refused ${name}: ${why}; moved to ${aside}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      engine.note(null, `maildrop: refused ${name}: ${why}; cannot move it aside: ${(e as Error).message}`);
    }
  }

  async function takeOne(name: string): Promise<void> {
    const file = path.join(dir, name);
    if (name.startsWith('.')) {
      const st = await fs.lstat(file).catch(() => null);
      if (st && Date.now() - st.mtimeMs > ABANDONED_MS) await fs.rm(file, { force: true });
      return; // still being written
    }
    if (!isCommittedDropName(name)) return refuse(name, 'not a name the sendmail command writes');
    let fh: fs.FileHandle;
    try {
      // NOFOLLOW: a symlink is never followed (to /etc/shadow, or to another user's file);
      // NONBLOCK: a FIFO cannot hang the pickup.
      fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'ELOOP') return refuse(name, 'a symbolic link');
      return refuse(name, `cannot open: ${(e as Error).message}`);
    }
    let data: Buffer;
    let uid: number;
    try {
      const st = await fh.stat();
      if (!st.isFile()) return refuse(name, 'not a regular file');
      // A second link would let one user hand in a file another user wrote.
      if (st.nlink !== 1) return refuse(name, `${st.nlink} hard links`);
      const limit = (await engine.getSettings()).smtp.maxMessageSize;
      if (limit > 0 && st.size > limit + 1024 * 1024) return refuse(name, `${st.size} bytes, over smtp.maxMessageSize`);
      uid = st.uid;
      data = await fh.readFile();
    } finally {
      await fh.close();
    }
    let dropped: ReturnType<typeof decodeDrop>;
    try {
      dropped = decodeDrop(data);
    } catch (e) {
      if (e instanceof DropFormatError) return refuse(name, e.message);
      throw e;
    }
    const user = await loginName(uid);
    const hostname = (await engine.getSettings()).hostname;
    // A user who may not read config.json qualifies their own name with "localhost";
    // qualify it with ours, as Postfix's cleanup appends $myorigin (their own address only).
    if (dropped.envelope.sender.toLowerCase() === `${user}@localhost`.toLowerCase()) dropped.envelope.sender = `${user}@${hostname}`;
    const authWarnings = senderWarnings(user, dropped.envelope.sender, hostname);
    try {
      const { id } = await engine.submit({
        envelope: dropped.envelope, messageBase64: dropped.message.toString('base64'), user,
        ...(authWarnings.length ? { authWarnings } : {}),
      });
      engine.note(id, `picked up from the maildrop (uid ${uid}, ${user})`);
    } catch (e) {
      // Refused for good (bad address, too big): kept aside, as nothing can make it acceptable.
      if (e instanceof SmtpError && e.responseCode >= 500) return refuse(name, `${e.responseCode} ${e.message} (from uid ${uid}, ${user})`);
      throw e; // temporary: left in place for the next scan
    }
    await fs.rm(file, { force: true });
  }

  async function drainOnce(): Promise<void> {
    let names: string[];
    try {
      names = (await fs.readdir(dir)).sort();
    } catch (e) {
      engine.note(null, `maildrop: cannot read ${dir}: ${(e as Error).message}`);
      return;
    }
    for (const name of names) {
      if (closed) return;
      try {
        await takeOne(name);
      } catch (e) {
        engine.note(null, `maildrop: ${name} left for a later scan: ${(e as Error).message}`);
      }
    }
  }

  /** One drain at a time; a request during a drain runs one more, so nothing dropped meanwhile waits for the timer. */
  function drain(): Promise<void> {
    if (running) { again = true; return running; }
    running = (async () => {
      do {
        again = false;
        await drainOnce();
      } while (again && !closed);
    })().finally(() => { running = null; });
    return running;
  }

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, () => { void drain(); });
    watcher.on('error', () => { watcher?.close(); watcher = null; }); // the timer still scans
  } catch {
    watcher = null;
  }
  const timer = setInterval(() => { void drain(); }, RESCAN_MS);
  timer.unref();
  await drain();
  return {
    drain,
    async close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      await running;
    },
  };
}
