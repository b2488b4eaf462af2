// The whole main process with the real engine (temp home, port 0) inside the
// fake Electron: single-instance lock, window, IPC, events, tray, settings
// store and quitting.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent, EngineStatus } from '../../engine/api.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { defaultHome, startDesktop, type Desktop } from '../../electron/desktop.ts';
import { openConfStore } from '../../electron/settings-store.ts';
import { app, fake, ipcMain, powerMonitor, resetFake } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG: SettingsInput = {
  hostname: 'desk.test',
  listen: { smtp: 0, submission: false },
  console: { port: false },
  delivery: { mode: 'queueonly' },
};

let home: string;
let created: Engine[];
let hints: number;

async function testEngine(opts: Parameters<typeof createEngine>[0]): Promise<Engine> {
  const engine = await createEngine({ ...opts, timers: false, passwdFile: '' });
  const networkChanged = engine.networkChanged.bind(engine);
  engine.networkChanged = () => { hints++; return networkChanged(); };
  created.push(engine);
  return engine;
}

const start = () => startDesktop({ home, createEngine: testEngine, openStore: openConfStore });

beforeEach(async () => {
  resetFake();
  created = [];
  hints = 0;
  home = await mkdtemp(path.join(os.tmpdir(), 'mailstop-main-'));
  await writeFile(path.join(home, 'config.json'), JSON.stringify(CONFIG));
});

afterEach(async () => {
  for (const e of created) await e.stop();
  await rm(home, { recursive: true, force: true });
});

describe('single-instance lock', () => {
  it('a second instance quits at once and builds nothing', async () => {
    fake.gotLock = false;
    expect(await start()).toBeNull();
    expect(app.quitCalls).toBe(1);
    expect([created.length, fake.windows.length, fake.trays.length, ipcMain.handlers.size]).toEqual([0, 0, 0, 0]);
  });

  it('the first instance shows its window when a second one starts', async () => {
    const desktop = (await start())!;
    const win = fake.windows[0];
    win.close(); // closing hides: the engine keeps running in the tray
    expect([win.visible, win.isDestroyed()]).toEqual([false, false]);
    win.minimized = true;
    app.emit('second-instance');
    expect([win.visible, win.minimized, win.focused]).toEqual([true, false, 1]);
    expect(fake.windows).toHaveLength(1);
    await desktop.shutdown();
  });
});

describe('the desktop app with the real engine', () => {
  let desktop: Desktop;
  beforeEach(async () => { desktop = (await start())!; });
  afterEach(() => desktop.shutdown());

  const frame = () => fake.windows[0].webContents.mainFrame;
  const call = <T>(method: string, ...args: unknown[]) => ipcMain.invoke(`mailstop:api:${method}`, frame(), ...args) as Promise<T>;

  it('opens the built renderer with the sandboxed preload', () => {
    const win = fake.windows[0];
    expect(win.loadedUrl).toBe(`file://${ROOT}/dist/renderer/index.html`);
    expect(win.options.webPreferences.preload).toBe(path.join(ROOT, 'electron', 'preload.cjs'));
    expect(existsSync(win.options.webPreferences.preload)).toBe(true);
    // The window (taskbar, Alt-Tab on Linux and Windows) shows the app icon from assets/.
    expect(win.options.icon).toBe(path.join(ROOT, 'assets', 'icon-256.png'));
    expect(existsSync(win.options.icon)).toBe(true);
    expect(desktop.engine.home).toBe(home);
  });

  it('answers the window over IPC and forwards engine events to it', async () => {
    const status = await call<EngineStatus>('status');
    expect(status.hostname).toBe('desk.test');
    const message = Buffer.from('Subject: t\n\nhi\n').toString('base64');
    const { id } = await call<{ id: string }>('submit', { envelope: { sender: 'me@desk.test', recipients: [{ address: 'you@far.example' }] }, messageBase64: message });
    const sent = fake.windows[0].webContents.sent;
    expect(sent.some((s) => s.channel === 'mailstop:event' && (s.payload as EngineEvent).type === 'queue:added')).toBe(true);
    await vi.waitFor(() => expect(fake.trays[0].tooltip).toMatch(/^Mailstop — online, 1 message queued; /));
    expect((await call<{ id: string }[]>('listQueue')).map((e) => e.id)).toEqual([id]);
  });

  it('Hold all from the tray switches the engine to deferred', async () => {
    fake.trays[0].clickItem('hold');
    await vi.waitFor(async () => expect((await desktop.engine.getSettings()).delivery.mode).toBe('deferred'));
    expect(desktop.store.modeMemory.get()).toBe('queueonly');
  });

  it('keeps a smart-host password typed into the UI out of config.json, and the engine logs in with it', async () => {
    const logins: { user: string; pass: string }[] = [];
    const sink = new SMTPServer({
      hideDSN: false, hideENHANCEDSTATUSCODES: false, disableReverseLookup: true,
      allowInsecureAuth: true, authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, cb) { logins.push({ user: auth.username ?? '', pass: auth.password ?? '' }); cb(null, { user: auth.username }); },
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    try {
      const port = (sink.server.address() as AddressInfo).port;
      const smartHost = { host: '127.0.0.1', port, tls: 'none', auth: { user: 'me', pass: 'typed-secret' } };
      const r = await call<{ ok: boolean }>('updateSettings', { smartHost });
      // Right after the call: the engine wrote config.json without it (the secrets hook), no later rewrite.
      const onDisk = await readFile(path.join(home, 'config.json'), 'utf8');
      expect(r.ok).toBe(true);
      expect(onDisk).not.toContain('typed-secret');
      expect(JSON.parse(onDisk).smartHost.auth).toEqual({ user: 'me', pass: '' });
      expect(await readFile(path.join(home, 'desktop.json'), 'utf8')).not.toContain('typed-secret');

      const steps = await call<{ step: string; ok: boolean }[]>('testSmartHost');
      expect(steps.find((s) => s.step === 'auth')).toMatchObject({ ok: true });
      expect(logins).toEqual([{ user: 'me', pass: 'typed-secret' }]);
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });

  it('passes waking from sleep to the engine as a network hint', () => {
    powerMonitor.emit('resume');
    expect(hints).toBe(1);
  });

  it('quitting stops the engine first, then quits', async () => {
    app.quit();
    expect(app.quitted).toBe(false); // held until the engine has stopped
    await vi.waitFor(() => expect(app.quitted).toBe(true));
    await expect(desktop.engine.status()).rejects.toThrow(/not running/);
    await expect(call('status')).rejects.toThrow(/No handler registered/);
    expect(fake.trays[0].destroyed).toBe(true);
  });
});

describe('start-up failures', () => {
  it('a bad config.json is shown in one line and the app quits', async () => {
    await writeFile(path.join(home, 'config.json'), JSON.stringify({ delivery: { mode: 'sometimes' } }));
    await expect(start()).rejects.toThrow(/delivery\.mode/);
    expect(fake.errorBoxes).toHaveLength(1);
    expect(fake.errorBoxes[0].content).toMatch(/config\.json: delivery\.mode/);
    expect(app.quitCalls).toBe(1);
  });
});

describe('defaultHome', () => {
  it.each([
    [{ MAILSTOP_HOME: '/srv/mail' }, '/srv/mail'],
    [{}, path.join(os.homedir(), '.mailstop')],
  ])('%j → %s', (env, want) => {
    expect(defaultHome(env)).toBe(want);
  });
});
