#!/usr/bin/env node
// The `mailstop` command: runs the compiled CLI (dist/engine/cli/main.js, made by
// `npm run build`). Installed (or symlinked) as `sendmail`, `mailq` or
// `newaliases`, it behaves as that command, the way Sendmail's and Postfix's
// binaries do. Nothing heavy is imported here: cron and PHP call `sendmail` once
// per message, so each command loads only its own modules (engine/cli/main.ts).
// MAILSTOP_FROM_SOURCE=1 runs the TypeScript sources through tsx instead (a
// development checkout; the test suite sets it so it never runs a stale build).
import fs from 'node:fs';
import path from 'node:path';

// Every fsync behind a `250` holds one of libuv's pool threads (4 by default), so
// with 20 sessions the pool, not the disk, becomes the limit. The pool is created
// on first use, so this must be set before any asynchronous file operation —
// hence the CLI is imported dynamically below.
process.env.UV_THREADPOOL_SIZE ??= '16';

async function loadMain() {
  if (process.env.MAILSTOP_FROM_SOURCE === '1') {
    const { register } = await import('tsx/esm/api');
    register();
    return (await import('../engine/cli/main.ts')).main;
  }
  const built = new URL('../dist/engine/cli/main.js', import.meta.url);
  if (!fs.existsSync(built)) return null;
  return (await import(built.href)).main;
}

const main = await loadMain();
if (main === null) {
  process.stderr.write('mailstop: not built: run `npm run build` (or `npm start`, which builds when needed)\n');
  process.exitCode = 70; // EX_SOFTWARE
} else {
  const AS = { sendmail: 'sendmail', mailq: 'mailq', newaliases: 'newaliases' };
  const invokedAs = AS[path.basename(process.argv[1] ?? '')];
  const args = process.argv.slice(2);
  process.exitCode = await main(invokedAs ? [invokedAs, ...args] : args);
}
