#!/usr/bin/env node
// The `mailstop` command. Registers tsx so the TypeScript sources run as they are
// (no build step between a clean clone and a working CLI), then hands over.
// Installed (or symlinked) as `sendmail`, `mailq` or `newaliases`, it behaves as
// that command, the way Sendmail's and Postfix's binaries do.
import path from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../engine/cli/main.ts');
const AS = { sendmail: 'sendmail', mailq: 'mailq', newaliases: 'newaliases' };
const invokedAs = AS[path.basename(process.argv[1] ?? '')];
const args = process.argv.slice(2);
process.exitCode = await main(invokedAs ? [invokedAs, ...args] : args);
