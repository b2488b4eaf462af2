#!/usr/bin/env node
// `npm start`: the desktop app when Electron can run here, otherwise the same
// engine and console headless (DESIGN.md "Installing where Electron's binary
// can't be downloaded"). `npm ci` may have skipped Electron's runtime download
// (allowScripts / ELECTRON_SKIP_BINARY_DOWNLOAD), so it is fetched here, once per
// start; if that fails, one line says why and `mailstop serve` runs instead on
// the default data directory (MAILSTOP_HOME or ~/.mailstop) with its defaults.
// Force headless with MAILSTOP_HEADLESS=1 or `npm start -- --headless`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, isBuildCurrent } from './build.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** Electron's runtime is ~100 MB; a minute is plenty on a working network and bounded on a dead one. */
const INSTALL_TIMEOUT_MS = 60_000;

/** The Electron binary's path, or null while its runtime is not downloaded. */
function electronBinary() {
  try {
    delete require.cache[require.resolve('electron')];
    const p = require('electron');
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null; // package missing, or "Electron failed to install correctly"
  }
}

/** Runs the package's own installer once; returns null on success, else a one-line reason. */
function installElectron() {
  const installer = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!fs.existsSync(installer)) return 'the electron package is not installed';
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD; // set for `npm ci`; here we do want the download
  const r = spawnSync(process.execPath, [installer], { cwd: root, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.error) return r.error.code === 'ETIMEDOUT' ? `download timed out after ${INSTALL_TIMEOUT_MS / 1000}s` : r.error.message;
  if (r.status !== 0) {
    const first = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0);
    return `download failed: ${first ?? `exit status ${r.status}`}`;
  }
  return null;
}

/** Why the desktop app cannot run here, or null if it can (after fetching the runtime if needed). */
function headlessReason() {
  if (process.env.MAILSTOP_HEADLESS === '1' || process.argv.includes('--headless')) return 'headless requested';
  if (!fs.existsSync(path.join(root, 'electron', 'main.mjs'))) return 'desktop app not present (electron/main.mjs)';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (DISPLAY is not set)';
  if (electronBinary()) return null;
  const why = installElectron();
  if (why) return `Electron runtime unavailable (${why})`;
  return electronBinary() ? null : 'Electron runtime unavailable (installed, but no binary found)';
}

/**
 * A fresh clone has no dist/ (it is not committed), and an edited checkout may have
 * an older one: build when any source is newer than the last build (bin/build.js),
 * so what starts is what the sources say.
 */
function ensureBuilt() {
  if (isBuildCurrent(root)) return;
  console.log('mailstop: building (npm run build)…');
  try {
    build();
  } catch (err) {
    console.error(`mailstop: the build failed: ${err.message}`);
    process.exit(1);
  }
}

const reason = headlessReason();
if (reason !== null) console.log(`mailstop: ${reason}; running headless`);
// MAILSTOP_FROM_SOURCE=1 (tests, development): the sources run through tsx, nothing is built.
const fromSource = process.env.MAILSTOP_FROM_SOURCE === '1';
if (!fromSource) ensureBuilt();
if (reason === null) {
  const child = spawn(electronBinary(), [root, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => { process.exitCode = code ?? (signal ? 1 : 0); });
} else {
  if (fromSource) (await import('tsx/esm/api')).register();
  const { main } = await import(fromSource ? '../engine/cli/main.ts' : '../dist/engine/cli/main.js');
  process.exitCode = await main(['serve']);
}
