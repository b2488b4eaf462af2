// `npm run build` and what it produces. The engine and CLI are compiled into a
// scratch package (bin/mailstop.js, package.json, dist/, and a node_modules
// without tsx), so what runs is the compiled JavaScript alone — no TypeScript
// loader to fall back on, and the checkout's own dist/ is never touched. Then the
// built CLI answers --help and queues and lists a real message in a real spool.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { isBuildCurrent } from '../bin/build.js';
import { spawnCaptured, type CliResult } from './engine/cli/subprocess.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let pkg: string;
let home: string;

function run(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const e: NodeJS.ProcessEnv = { ...process.env, MAILSTOP_HOME: home, ...env };
  delete e.MAILSTOP_FROM_SOURCE; // what a user runs: the build, not the sources
  return spawnCaptured(process.execPath, args, { cwd: pkg, env: e }, stdin);
}

beforeAll(async () => {
  pkg = await mkdtemp(path.join(os.tmpdir(), 'mailstop-build-'));
  home = path.join(pkg, 'home');
  await mkdir(path.join(pkg, 'bin'), { recursive: true });
  await mkdir(path.join(pkg, 'node_modules'));
  await mkdir(home);
  await copyFile(path.join(ROOT, 'bin', 'mailstop.js'), path.join(pkg, 'bin', 'mailstop.js'));
  await copyFile(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  // Every installed package but tsx: the built CLI must not need a TypeScript loader.
  for (const name of await readdir(path.join(ROOT, 'node_modules'))) {
    if (name === 'tsx' || name === '.bin' || name.startsWith('.')) continue;
    await symlink(path.join(ROOT, 'node_modules', name), path.join(pkg, 'node_modules', name));
  }
  const tsc = spawnSync(process.execPath, [
    path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json',
    '--outDir', path.join(pkg, 'dist'), '--tsBuildInfoFile', path.join(pkg, 'tsbuildinfo'),
  ], { cwd: ROOT, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
  await writeFile(path.join(home, 'config.json'), JSON.stringify({ hostname: 'build.test' }));
}, 300_000);
afterAll(async () => { if (pkg) await rm(pkg, { recursive: true, force: true }); });

describe('the build', () => {
  it('emits JavaScript for the CLI, the engine and the Electron main process, imports rewritten to .js', async () => {
    for (const f of ['dist/engine/cli/main.js', 'dist/engine/index.js', 'dist/engine/console/index.js', 'dist/electron/desktop.js', 'dist/electron/ipc-contract.js']) {
      expect(existsSync(path.join(pkg, f)), f).toBe(true);
    }
    const r = await run(['-e', `
      const fs = require('node:fs');
      const src = fs.readFileSync('dist/engine/cli/main.js', 'utf8') + fs.readFileSync('dist/electron/desktop.js', 'utf8');
      console.log(JSON.stringify(src.match(/from\\s+["'][^"']+\\.ts["']|import\\(["'][^"']+\\.ts["']\\)/g) ?? []));
    `]);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('the built `mailstop --help` runs without tsx', async () => {
    const r = await run(['bin/mailstop.js', '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}mailq\s+list the queue/m);
  });

  it('the built `sendmail -t` queues into a real spool and the built `mailq` (by that name) lists it', async () => {
    const msg = 'From: root\nTo: someone@remote.example\nSubject: built\n\nhello from the build\n';
    const sent = await run(['bin/mailstop.js', 'sendmail', '-t', '-i'], msg);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    await symlink(path.join(pkg, 'bin', 'mailstop.js'), path.join(pkg, 'bin', 'mailq'));
    const q = await run(['bin/mailq']);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/^[0-9A-Za-z]{14}\s+\d+ .+<root@build\.test>\n.*\n\s+<someone@remote\.example>$/m);
    expect(q.stdout).toMatch(/Total requests: 1/);
  });

  it('says how to build, in one line, when there is no build', async () => {
    await rm(path.join(pkg, 'dist', 'engine', 'cli', 'main.js'));
    const r = await run(['bin/mailstop.js', 'mailq']);
    expect(r.code).toBe(70);
    expect(r.stderr).toBe('mailstop: not built: run `npm run build` (or `npm start`, which builds when needed)\n');
  });
});

describe('isBuildCurrent (npm start and the bench rebuild when it says no)', () => {
  it('is false without a build, true after one, false again once a source is newer', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'mailstop-stamp-'));
    try {
      await mkdir(path.join(root, 'engine', 'queue'), { recursive: true });
      await writeFile(path.join(root, 'engine', 'queue', 'spool.ts'), 'export {};\n');
      const old = new Date(Date.now() - 60_000);
      await utimes(path.join(root, 'engine', 'queue', 'spool.ts'), old, old);
      await utimes(path.join(root, 'engine', 'queue'), old, old);
      await utimes(path.join(root, 'engine'), old, old);
      expect(isBuildCurrent(root)).toBe(false);
      await mkdir(path.join(root, 'dist'));
      await writeFile(path.join(root, 'dist', '.build-stamp'), 'x\n');
      expect(isBuildCurrent(root)).toBe(true);
      const later = new Date(Date.now() + 60_000);
      await utimes(path.join(root, 'engine', 'queue', 'spool.ts'), later, later);
      expect(isBuildCurrent(root)).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
