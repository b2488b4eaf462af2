// Finding the running engine for a data directory: connect to its control
// socket, or learn that it is not running. A command that needs the engine
// reports that in one line; `sendmail` and `mailq` fall back to the spool.
import { connectControl, EngineNotRunningError, type ControlClient } from '../host/control-socket.ts';
import { controlSocketPath, pidPath } from './paths.ts';
import { livePid } from '../host/pid-lock.ts';

/** An engine that holds its pid lock opens its socket within moments of starting. */
const STARTING_WAIT_MS = 5000;
const RETRY_MS = 100;

/**
 * The engine's client, or null when no engine runs for `home`. With
 * `waitIfStarting`, a live pid lock without a socket yet (an engine starting up)
 * is waited for briefly rather than raced.
 */
export async function findEngine(home: string, opts: { waitIfStarting?: boolean } = {}): Promise<ControlClient | null> {
  const socket = controlSocketPath(home);
  const deadline = Date.now() + (opts.waitIfStarting ? STARTING_WAIT_MS : 0);
  for (;;) {
    try {
      return await connectControl(socket);
    } catch (e) {
      if (!(e instanceof EngineNotRunningError)) throw e;
    }
    if (Date.now() >= deadline || (await livePid(pidPath(home))) === null) return null;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

export function notRunningMessage(home: string): string {
  return `engine not running for ${home} (start it with: mailstop serve --home ${home})`;
}
