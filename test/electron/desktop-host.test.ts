// The desktop app is a host like `mailstop serve`: with the real engine inside
// the fake Electron, the real `mailstop` command run as subprocesses answers
// status, mailq and flush against the app's engine; a user's own programs reach
// it with no environment variable; a second engine on the same home is refused
// with the pid holding it (a dialog for a second app).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { startDesktop, type Desktop } from '../../electron/desktop.ts';
import { openConfStore } from '../../electron/settings-store.ts';
import { BIN, REPO, runCli, startServe } from '../engine/cli/subprocess.ts';
import { fake, resetFake } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const CONFIG: SettingsInput = {
  hostname: 'desk.test',
  listen: { smtp: 0, submission: false, smtps: false },
  console: { port: false },
  delivery: { mode: 'queueonly' },
};

let dir: string;
let home: string;
let desktop: Desktop | null;
const testEngine = (opts: Parameters<typeof createEngine>[0]): Promise<Engine> => createEngine({ ...opts, passwdFile: '' });
const MESSAGE = 'From: me@desk.test\nTo: you@dest.test\nSubject: from the desktop user\n\nhello\n';

beforeEach(async () => {
  resetFake();
  desktop = null;
  dir = await mkdtemp(path.join(os.tmpdir(), 'mailstop-deskhost-'));
  home = path.join(dir, '.mailstop');
  await mkdir(home);
  await writeFile(path.join(home, 'config.json'), JSON.stringify(CONFIG));
});

afterEach(async () => {
  await desktop?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe('the desktop app as the host of its data directory', () => {
  it('answers mailstop status, sendmail, mailq and flush run as subprocesses', async () => {
    desktop = (await startDesktop({ home, createEngine: testEngine, openStore: openConfStore }))!;

    const status = await runCli(home, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`(pid ${process.pid}, home ${home})`);

    // Through the control socket: the engine queues it at once (no spool write, no sweep).
    const sent = await runCli(home, ['sendmail', '-v', '-t'], MESSAGE);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const id = sent.stdout.match(/^(\w+): queued$/m)?.[1];
    expect(id).toBeTruthy();
    expect((await desktop.engine.listQueue()).map((e) => e.id)).toEqual([id]);

    const mailq = await runCli(home, ['mailq']);
    expect(mailq.code).toBe(0);
    expect(mailq.stdout).toContain(id!);
    expect(mailq.stdout).toContain('<you@dest.test>');
    expect(mailq.stdout).not.toContain('not running');

    const flush = await runCli(home, ['flush', '--id', id!]);
    expect(flush.code).toBe(0);
    expect(flush.stdout).toMatch(/^flush: 1 attempted/m);
    await desktop.engine.whenIdle();
    const log = await readFile(path.join(home, 'log', 'maillog'), 'utf8');
    expect(log).toContain(`${id}: to=<you@dest.test>`);
  }, 60_000);

  it('is reached by a user\'s own programs with no MAILSTOP_HOME: the default home is the same', async () => {
    const saved = { HOME: process.env.HOME, MAILSTOP_HOME: process.env.MAILSTOP_HOME };
    process.env.HOME = dir;
    delete process.env.MAILSTOP_HOME;
    try {
      desktop = (await startDesktop({ createEngine: testEngine, openStore: openConfStore }))!;
    } finally {
      process.env.HOME = saved.HOME;
      if (saved.MAILSTOP_HOME !== undefined) process.env.MAILSTOP_HOME = saved.MAILSTOP_HOME;
    }
    expect(desktop.engine.home).toBe(home);
    // As cron or git would run it: HOME only, no MAILSTOP_HOME.
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
    delete env.MAILSTOP_HOME;
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'sendmail', '-t'], { cwd: REPO, env, stdio: ['pipe', 'inherit', 'inherit'] });
      child.on('close', resolve);
      child.stdin.end(MESSAGE);
    });
    expect(code).toBe(0);
    const queue = await desktop.engine.listQueue();
    expect(queue).toHaveLength(1);
    expect(queue[0].recipients.map((r) => r.address)).toEqual(['you@dest.test']);
  }, 60_000);

  it('refuses `mailstop serve` on the same home, naming the app\'s pid, before it touches the spool', async () => {
    desktop = (await startDesktop({ home, createEngine: testEngine, openStore: openConfStore }))!;
    const second = await runCli(home, ['serve']);
    expect(second.code).toBe(75);
    expect(second.stderr).toBe(`mailstop: an engine is already running for ${home} (pid ${process.pid})\n`);
    const log = await readFile(path.join(home, 'log', 'maillog'), 'utf8');
    expect(log.match(/starting Mailstop/g)).toHaveLength(1);
  }, 60_000);

  it('a desktop app started while `mailstop serve` holds the home shows one dialog naming its pid', async () => {
    const served = await startServe(home);
    try {
      await expect(startDesktop({ home, createEngine: testEngine, openStore: openConfStore })).rejects.toThrow(/already running/);
      expect(fake.errorBoxes).toEqual([{ title: 'Mailstop cannot start', content: `an engine is already running for ${home} (pid ${served.child.pid})` }]);
      // Nothing of the app's engine ran: the maillog has the serving engine's start only.
      const log = await readFile(path.join(home, 'log', 'maillog'), 'utf8');
      expect(log.match(/starting Mailstop/g)).toHaveLength(1);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  }, 60_000);
});
