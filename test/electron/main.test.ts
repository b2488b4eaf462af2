// electron/main.mjs is what Electron runs (package.json "main", bin/start.js).
// Electron loads it with Node's type stripping, so it must be plain JavaScript;
// and it must boot the app without awaiting `ready` at the top level. Both are
// checked here in child processes (the second with `electron` resolved to the
// fake module, since the runtime cannot exist here).
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'electron', 'main.mjs');
const FAKE_URL = pathToFileURL(path.join(ROOT, 'test', 'electron', 'fake-electron.ts')).href;

let tmp: string;
beforeEach(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'mailstop-entry-')); });
afterEach(() => rm(tmp, { recursive: true, force: true }));

describe('electron/main.mjs (the entry)', () => {
  it('is plain JavaScript, so type stripping cannot refuse it', () => {
    const copy = path.join(tmp, 'main.mjs');
    copyFileSync(MAIN, copy);
    const r = spawnSync(process.execPath, ['--check', copy], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('boots the app: engine, window on the built renderer, tray; and quits', async () => {
    await writeFile(path.join(tmp, 'config.json'), JSON.stringify({ listen: { smtp: 0, submission: false }, console: { port: false } }));
    const hook = `export async function resolve(s, c, next) {
      return s === 'electron' ? { url: ${JSON.stringify(FAKE_URL)}, shortCircuit: true } : next(s, c);
    }`;
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const { register: tsx } = await import('tsx/esm/api');
      tsx(); // Node 20 here cannot strip types; Electron can
      await import(${JSON.stringify(pathToFileURL(MAIN).href)});
      const { fake, app } = await import(${JSON.stringify(FAKE_URL)});
      for (let i = 0; i < 200 && !fake.trays[0]?.tooltip.includes('queued'); i++) await new Promise((r) => setTimeout(r, 25));
      const seen = { url: fake.windows[0]?.loadedUrl, tooltip: fake.trays[0]?.tooltip };
      app.quit();
      for (let i = 0; i < 200 && !app.quitted; i++) await new Promise((r) => setTimeout(r, 25));
      console.log(JSON.stringify({ ...seen, quitted: app.quitted }));
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT, encoding: 'utf8', timeout: 20_000,
      env: { ...process.env, MAILSTOP_HOME: tmp, MAILSTOP_DEV_URL: '' },
    });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(got).toEqual({
      url: pathToFileURL(path.join(ROOT, 'dist', 'renderer', 'index.html')).href,
      tooltip: 'Mailstop — online, 0 messages queued; send when online',
      quitted: true,
    });
  });
});
