#!/usr/bin/env node
// The `mailstop` command. Registers tsx so the TypeScript sources run as they are
// (no build step between a clean clone and a working CLI), then hands over.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../engine/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
