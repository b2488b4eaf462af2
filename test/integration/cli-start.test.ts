// `npm start` (bin/start.js) where the desktop app cannot run: one line says why,
// then the same engine runs headless on the data directory, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../engine/cli/subprocess.ts';

let home: string;
beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-start-'));
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ listen: { smtp: 0, submission: 0 }, console: { port: false } }));
});
afterAll(async () => { await fs.rm(home, { recursive: true, force: true }); });

describe.runIf(process.platform === 'linux')('npm start without a display', () => {
  it('says why in one line, runs headless, stops cleanly', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, MAILSTOP_HOME: home };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'start.js')], { cwd: REPO, env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    // Generous: the sources load through tsx on a loaded machine.
    for (let i = 0; i < 1200 && !out.includes('mailstop: ready') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe('mailstop: no display (DISPLAY is not set); running headless');
    expect(out).toMatch(/mailstop: smtp listening on 127\.0\.0\.1:\d+\n/);
    expect(out).toContain(`mailstop: ready (pid ${child.pid}, home ${home})`);
  }, 150_000);
});
