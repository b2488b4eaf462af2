#!/usr/bin/env node
// `npm run build`: the engine, the CLI and the Electron main process compiled to
// dist/ (tsc -p tsconfig.build.json, .ts imports rewritten to .js), the UI bundled
// to dist/renderer (vite), then dist/.build-stamp. `bin/start.js` and the bench
// call isBuildCurrent() and rebuild when a source is newer than the stamp, so a
// fresh clone and an edited checkout both start what their sources say.
// `node bin/build.js --if-stale` builds only when needed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
/** What the build reads: a change to any of these makes dist/ stale. */
const SOURCES = ['engine', 'electron', 'renderer', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'vite.config.ts'];

function newestMtime(p) {
  let st;
  try { st = fs.statSync(p); } catch { return 0; }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file changes its directory's mtime
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

/** True when dist/ was built after the last change to any source. */
export function isBuildCurrent(root = ROOT) {
  let built;
  try { built = fs.statSync(path.join(root, 'dist', '.build-stamp')).mtimeMs; } catch { return false; }
  return SOURCES.every((s) => newestMtime(path.join(root, s)) <= built);
}

function run(label, args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status ?? r.signal})`);
}

/** The whole build; throws with one line when a step fails. */
export function build() {
  run('tsc', [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  run('vite build', [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn']);
  fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--if-stale') && isBuildCurrent()) process.exit(0);
  try {
    build();
  } catch (err) {
    console.error(`mailstop build: ${err.message}`);
    process.exit(1);
  }
}
