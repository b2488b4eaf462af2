#!/usr/bin/env node
// The `mailstop` command. Registers tsx so the TypeScript sources run as they are
// (no build step between a clean clone and a working CLI), then hands over.
// Installed (or symlinked) as `sendmail`, `mailq` or `newaliases`, it behaves as
// that command, the way Sendmail's and Postfix's binaries do.
import path from 'node:path';

// Every fsync behind a `250` holds one of libuv's pool threads (4 by default), so
// with 20 sessions the pool, not the disk, becomes the limit. The pool is created
// on first use, so this must be set before any asynchronous file operation —
// hence tsx is imported dynamically below.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../engine/cli/main.ts');
const AS = { sendmail: 'sendmail', mailq: 'mailq', newaliases: 'newaliases' };
const invokedAs = AS[path.basename(process.argv[1] ?? '')];
const args = process.argv.slice(2);
process.exitCode = await main(invokedAs ? [invokedAs, ...args] : args);
