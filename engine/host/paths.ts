// Where the host keeps its files under the data directory, and where every
// client finds them: the pid lock, the private control socket (run/, 0700), the
// public socket (public/, only for an installed system instance) and the
// maildrop (submission by users who are not the engine's owner).
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export const runDir = (home: string) => path.join(home, 'run');
export const pidPath = (home: string) => path.join(home, 'run', 'engine.pid');
/** Postfix's maildrop: any local user may drop a file here; its owner is the submitter. */
export const maildropDir = (home: string) => path.join(home, 'maildrop');
/** Drop files that were refused (symlink, hard link, garbage): kept for a person to look at, never deleted. */
export const maildropRefusedDir = (home: string) => path.join(home, 'maildrop-refused');
/** Like Postfix's public/: sockets any local user may connect to. Present only in an installed instance. */
export const publicDir = (home: string) => path.join(home, 'public');

/**
 * A unix socket path is limited to 108 bytes on Linux (104 on macOS, sun_path).
 * For a deep data directory the socket moves to a directory in the temp dir
 * named from the home, so server and client still agree on it; like `run/` it
 * is made private (0700) before the socket is bound (control-socket.ts).
 */
const SUN_PATH_MAX = 100; // leaves room below the 104-byte macOS limit
export function controlSocketPath(home: string): string {
  const wanted = path.join(home, 'run', 'control.sock');
  if (Buffer.byteLength(wanted) <= SUN_PATH_MAX) return wanted;
  const tag = crypto.createHash('sha256').update(home).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `mailstop-${tag}`, 'control.sock');
}

/** The public socket, or null when the home is too deep for one (then only the owner can query). */
export function publicSocketPath(home: string): string | null {
  const p = path.join(publicDir(home), 'mailstop.sock');
  return Buffer.byteLength(p) <= SUN_PATH_MAX ? p : null;
}
