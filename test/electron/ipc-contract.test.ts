import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_API_METHODS, type EngineEvent, type EngineStatus } from '../../engine/api.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import {
  EVENT_CHANNEL, IPC_CHANNELS, channelOf, createSenderCheck, forwardEvents, isAppUrl, registerIpc,
} from '../../electron/ipc-contract.ts';
import { createFakeApi, type FakeApi } from './fake-api.ts';
import { fakeFrame, ipcMain, resetFake, type FakeFrame } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const APP_URL = 'file:///opt/mailstop/dist/renderer/index.html';

describe('registerIpc', () => {
  let api: FakeApi;
  let ours: FakeFrame;
  let dispose: () => void;

  beforeEach(() => {
    resetFake();
    api = createFakeApi();
    ours = fakeFrame(APP_URL);
    dispose = registerIpc(ipcMain, api, { isTrustedSender: createSenderCheck({ appUrl: APP_URL, mainFrame: () => ours }) });
  });

  it('registers exactly one prefixed channel per EngineApi method', () => {
    const got = [...ipcMain.handlers.keys()].sort();
    const want = ENGINE_API_METHODS.map((m) => `mailstop:api:${m}`).sort();
    expect(got).toEqual(want);
    expect([...IPC_CHANNELS].sort()).toEqual(want);
  });

  it.each(ENGINE_API_METHODS.map((m) => [m]))('mailstop:api:%s delegates to the engine method with its arguments', async (method) => {
    const args = [{ ids: ['A1'] }, 'slow'];
    const got = await ipcMain.invoke(channelOf(method), ours, ...args);
    expect(api.calls).toEqual([{ method, args }]);
    // The fake answers some methods with real data; the rest echo their call.
    if (!['status', 'getSettings', 'updateSettings', 'flush'].includes(method)) expect(got).toEqual({ method, args });
  });

  it('returns the engine answer to the caller', async () => {
    const got = (await ipcMain.invoke('mailstop:api:status', ours)) as EngineStatus;
    expect(got.hostname).toBe('laptop.example');
  });

  it.each([
    ['subscribe (not a request method)', 'mailstop:api:subscribe'],
    ['start (Engine, not EngineApi)', 'mailstop:api:start'],
    ['stop', 'mailstop:api:stop'],
    ['a prototype key', 'mailstop:api:constructor'],
    ['__proto__', 'mailstop:api:__proto__'],
    ['an unprefixed method', 'status'],
    ['another prefix', 'electron-store-get-data'],
  ])('refuses %s: no handler exists', async (_name, channel) => {
    await expect(ipcMain.invoke(channel, ours)).rejects.toThrow(/No handler registered/);
    expect(api.calls).toEqual([]);
  });

  it.each([
    ['no frame (destroyed mid-call)', () => null],
    ['an iframe of our page', () => fakeFrame(APP_URL)],
    ['another window showing our URL', () => fakeFrame(APP_URL)],
    ['our frame after navigating to a web page', () => ({ ...ours, url: 'https://evil.example/index.html' })],
    ['our frame showing another local file', () => ({ ...ours, url: 'file:///tmp/evil/index.html' })],
    ['our frame on a data: URL', () => ({ ...ours, url: 'data:text/html,<script>1</script>' })],
  ])('refuses a foreign sender: %s', async (_name, frame) => {
    await expect(ipcMain.invoke('mailstop:api:remove', frame(), { ids: ['A1'] })).rejects.toThrow(/refused: sender .* is not the Mailstop window/);
    expect(api.calls).toEqual([]);
  });

  it('accepts our frame with a hash route', async () => {
    const routed = { ...ours, url: `${APP_URL}#/queue` };
    await ipcMain.invoke('mailstop:api:listQueue', routed);
    expect(api.calls.map((c) => c.method)).toEqual(['listQueue']);
  });

  it('refuses everything while there is no window', async () => {
    resetFake();
    registerIpc(ipcMain, api, { isTrustedSender: createSenderCheck({ appUrl: APP_URL, mainFrame: () => null }) });
    await expect(ipcMain.invoke('mailstop:api:status', ours)).rejects.toThrow(/refused/);
  });

  it('passes engine errors through to the caller', async () => {
    api.flush = async () => { throw new Error('engine is not running (call start() first)'); };
    await expect(ipcMain.invoke('mailstop:api:flush', ours)).rejects.toThrow(/engine is not running/);
  });

  it('dispose removes every handler', () => {
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
  });
});

describe('isAppUrl', () => {
  it.each([
    [APP_URL, true],
    [`${APP_URL}#/settings`, true],
    [`${APP_URL}?x=1`, true],
    ['file:///opt/mailstop/dist/renderer/other.html', false],
    ['file:///opt/mailstop/dist/renderer/index.html/..', false],
    ['https://opt/mailstop/dist/renderer/index.html', false],
    ['not a url', false],
  ])('%s → %s', (got, want) => {
    expect(isAppUrl(got, APP_URL)).toBe(want);
  });

  it('matches the dev server by origin and path', () => {
    expect(isAppUrl('http://localhost:5173/#/queue', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });
});

describe('forwardEvents', () => {
  it('sends every engine event to the window on mailstop:event, and skips a closed window', () => {
    const api = createFakeApi();
    const sent: { channel: string; event: EngineEvent }[] = [];
    let destroyed = false;
    const stop = forwardEvents(api, () => ({ isDestroyed: () => destroyed, send: (channel, event) => { sent.push({ channel, event }); } }));
    const e: EngineEvent = { type: 'log:line', line: 'x' };
    api.emit(e);
    destroyed = true;
    api.emit(e);
    expect(sent).toEqual([{ channel: EVENT_CHANNEL, event: e }]);
    stop();
    expect(api.listeners).toBe(0);
  });
});

describe('registerIpc with the real engine', () => {
  let home: string;
  let engine: Engine;

  beforeEach(async () => {
    resetFake();
    home = await mkdtemp(path.join(os.tmpdir(), 'mailstop-ipc-'));
    engine = await createEngine({
      home, timers: false, passwdFile: '',
      settings: { hostname: 'ipc.test', listen: { smtp: 0, submission: false }, console: { port: false }, delivery: { mode: 'queueonly' } },
    });
    await engine.start();
  });

  afterEach(async () => {
    await engine.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('answers status, accepts a submission and lists it, and refuses a stranger', async () => {
    const ours = fakeFrame(APP_URL);
    registerIpc(ipcMain, engine, { isTrustedSender: createSenderCheck({ appUrl: APP_URL, mainFrame: () => ours }) });

    const status = (await ipcMain.invoke('mailstop:api:status', ours)) as EngineStatus;
    expect(status.hostname).toBe('ipc.test');
    expect(status.listeners[0]?.port).toBeGreaterThan(0);

    const message = Buffer.from('Subject: hi\n\nhello\n').toString('base64');
    const { id } = (await ipcMain.invoke('mailstop:api:submit', ours, {
      envelope: { sender: 'me@ipc.test', recipients: [{ address: 'you@elsewhere.example' }] }, messageBase64: message,
    })) as { id: string };
    const queue = (await ipcMain.invoke('mailstop:api:listQueue', ours)) as { id: string }[];
    expect(queue.map((e) => e.id)).toEqual([id]);

    await expect(ipcMain.invoke('mailstop:api:remove', fakeFrame(APP_URL), { ids: [id] })).rejects.toThrow(/refused/);
    expect(((await ipcMain.invoke('mailstop:api:listQueue', ours)) as unknown[]).length).toBe(1);
  });
});
