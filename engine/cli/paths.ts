// Where the CLI finds things under the data directory (DESIGN.md layout). The
// engine owns these files; the CLI only needs to find them.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export const configPath = (home: string) => path.join(home, 'config.json');
export const spoolDir = (home: string) => path.join(home, 'spool');
export const runDir = (home: string) => path.join(home, 'run');
export const pidPath = (home: string) => path.join(home, 'run', 'engine.pid');
export const maillogPath = (home: string) => path.join(home, 'log', 'maillog');

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
