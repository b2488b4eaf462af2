// The CLI's main() run in the test's own process, its output captured: what
// `mailstop ARGV` would print, without a process per call (subprocess.ts spawns one).
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../../engine/cli/main.ts';
import type { CliIo } from '../../../engine/cli/io.ts';

export interface InProcessResult { code: number; stdout: string; stderr: string }

/** `mailstop ARGV` with `env` as its environment (MAILSTOP_HOME in it) and `stdin` as its input. */
export async function runMain(argv: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<InProcessResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => { o += d; });
  stderr.on('data', (d) => { e += d; });
  const io: CliIo = { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env };
  const code = await main(argv, io);
  return { code, stdout: o, stderr: e };
}
