#!/usr/bin/env node
// Runs one TypeScript file (bench, scripts) under tsx: node bin/run-ts.js file.ts [args]
// Same libuv pool size as bin/mailstop.js (see there), set before the pool exists.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
import { pathToFileURL } from 'node:url';
import path from 'node:path';

register();
const [file, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], file, ...rest];
await import(pathToFileURL(path.resolve(file)).href);
