// Finding the running engine for a data directory: connect to its control
// socket, or learn that it is not running. A command that needs the engine
// reports that in one line; `sendmail` and `mailq` fall back to the spool.
// A user who is not the engine's owner cannot open the private socket; in an
// installed instance they reach the public one instead, which answers only
// status, mailq and flush (engine/host/public-guard.ts).
import fs from 'node:fs/promises';
import { connectControl, EngineNotRunningError, NotOwnerError, type ControlClient } from '../host/control-socket.ts';
import { controlSocketPath, pidPath, publicDir, publicSocketPath } from '../host/paths.ts';
import { livePid } from '../host/pid-lock.ts';

export { NotOwnerError } from '../host/control-socket.ts';
export { NEEDS_OWNER } from '../host/public-guard.ts';

/** An engine that holds its pid lock opens its socket within moments of starting. */
const STARTING_WAIT_MS = 5000;
const RETRY_MS = 100;

/** A connection to the engine; `publicOnly` when it is the public socket (status, mailq, flush only). */
export type EngineLink = ControlClient & { publicOnly: boolean };

/** The engine's refusals over the public socket all start so (public-guard.ts). */
export const isPermissionDenied = (e: unknown) => e instanceof Error && e.message.startsWith('permission denied');

/**
 * A non-owner's way in: the public socket of an installed instance. Throws the
 * NotOwnerError when the home has none (someone's personal home: private), and
 * returns null when it has one but nobody listens (the engine is not running).
 */
async function publicLink(home: string, denied: NotOwnerError): Promise<EngineLink | null> {
  const socket = publicSocketPath(home);
  const installed = await fs.lstat(publicDir(home)).then((s) => s.isDirectory(), () => false);
  if (!socket || !installed) throw denied;
  try {
    return Object.assign(await connectControl(socket), { publicOnly: true });
  } catch (e) {
    if (e instanceof EngineNotRunningError) return null;
    throw e;
  }
}

/** The pid holding the lock, or null; a lock we may not read (another user's run/) counts as unknown. */
async function lockHolder(home: string): Promise<number | null> {
  try {
    return await livePid(pidPath(home));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES') return null;
    throw e;
  }
}

/**
 * The engine's client, or null when no engine runs for `home`. With
 * `waitIfStarting`, a live pid lock without a socket yet (an engine starting up)
 * is waited for briefly rather than raced. Throws NotOwnerError when the home is
 * another user's private one.
 */
export async function findEngine(home: string, opts: { waitIfStarting?: boolean } = {}): Promise<EngineLink | null> {
  const socket = controlSocketPath(home);
  const deadline = Date.now() + (opts.waitIfStarting ? STARTING_WAIT_MS : 0);
  for (;;) {
    try {
      return Object.assign(await connectControl(socket), { publicOnly: false });
    } catch (e) {
      if (e instanceof NotOwnerError) return publicLink(home, e);
      if (!(e instanceof EngineNotRunningError)) throw e;
    }
    if (Date.now() >= deadline || (await lockHolder(home)) === null) return null;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

export function notRunningMessage(home: string): string {
  return `engine not running for ${home} (start it with: mailstop serve --home ${home})`;
}
