// The command's view of the outside world: streams and environment. main() takes
// one so unit tests can drive a command without a subprocess; the bin script
// passes the real process. Nothing here decides anything.
import type { Readable, Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';

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

/** The data directory: --home, else MAILSTOP_HOME, else ~/.mailstop (DESIGN.md "Defaults"). */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? env.MAILSTOP_HOME ?? path.join(os.homedir(), '.mailstop');
  return path.resolve(raw);
}

/** Reads a whole stream into one buffer (the message on stdin). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
