// The command's view of the outside world: streams and environment. main() takes
// one so unit tests can drive a command without a subprocess; the bin script
// passes the real process. Nothing here decides anything.
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';

export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

export function out(io: CliIo, line: string): void {
  io.stdout.write(line.endsWith('\n') ? line : line + '\n');
}

/** One line on stderr, prefixed like every Unix mail tool ("mailstop: ..."). */
export function err(io: CliIo, line: string): void {
  io.stderr.write(`mailstop: ${line}\n`);
}

/** Where `mailstop install` puts the system instance (engine/cli/install.ts). */
export const SYSTEM_HOME = '/var/lib/mailstop';

/**
 * The data directory: --home, else MAILSTOP_HOME, else ~/.mailstop (DESIGN.md
 * "Defaults") — the desktop app uses the same rule. For the command line only
 * (`systemFallback`): a user who has no ~/.mailstop on a machine where Mailstop
 * is installed means the system instance; a `sendmail` would otherwise create a
 * spool under ~/.mailstop that no engine ever reads (stranded mail).
 */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv,
  opts: { systemFallback?: boolean; exists?: (p: string) => boolean } = {}): string {
  const raw = flag ?? env.MAILSTOP_HOME;
  if (raw !== undefined) return path.resolve(raw);
  const personal = path.join(os.homedir(), '.mailstop');
  const exists = opts.exists ?? existsSync;
  if (opts.systemFallback !== false && !exists(personal) && exists(path.join(SYSTEM_HOME, 'install.json'))) return SYSTEM_HOME;
  return path.resolve(personal);
}

/** Reads a whole stream into one buffer (the message on stdin). */
export const readAll = (stream: Readable): Promise<Buffer> => buffer(stream);
