// Where the CLI finds things under the data directory (DESIGN.md layout). The
// engine owns these files; the CLI only needs to find them. The host's own
// paths (pid lock, sockets, maildrop) live in engine/host/paths.ts.
import path from 'node:path';

export { controlSocketPath, maildropDir, pidPath, publicSocketPath, runDir } from '../host/paths.ts';
export const configPath = (home: string) => path.join(home, 'config.json');
export const spoolDir = (home: string) => path.join(home, 'spool');
export const maillogPath = (home: string) => path.join(home, 'log', 'maillog');
