// The preload runs sandboxed, so it is plain CommonJS that asks the main process
// for the method list; here it runs in a VM context with recording
// `require('electron')` and `window`, the two things a sandboxed preload has, and
// its one synchronous question goes to the real main-side answer (registerIpc on
// the fake ipcMain), so what it exposes is what ENGINE_API_METHODS says.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINE_API_METHODS } from '../../engine/api.ts';
import { EVENT_CHANNEL, IPC_PREFIX, registerIpc, type SyncEventLike } from '../../electron/ipc-contract.ts';
import type { EngineApi } from '../../engine/api.ts';
import { ipcMain } from './fake-electron.ts';

const SOURCE = readFileSync(new URL('../../electron/preload.cjs', import.meta.url), 'utf8');

const OURS = { url: 'file:///app/index.html' };

/** The main process side: registerIpc's handlers on the fake ipcMain; only OURS is trusted. */
function mainSide(): () => void {
  return registerIpc(ipcMain, {} as EngineApi, { isTrustedSender: (f) => f === OURS });
}

function runPreload(frame: { url: string } = OURS) {
  const exposed: { key: string; api: Record<string, (...a: unknown[]) => unknown> }[] = [];
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
  const windowListeners = new Map<string, (() => void)[]>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, (...a: unknown[]) => unknown>) => { exposed.push({ key, api }); } },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => { invoked.push({ channel, args }); return 'answer'; },
      on: (channel: string, fn: (...a: unknown[]) => void) => { listeners.set(channel, [...(listeners.get(channel) ?? []), fn]); },
      removeListener: (channel: string, fn: (...a: unknown[]) => void) => { listeners.set(channel, (listeners.get(channel) ?? []).filter((f) => f !== fn)); },
      sendSync: (channel: string) => {
        const event: SyncEventLike = { senderFrame: frame, returnValue: undefined };
        ipcMain.emit(channel, event);
        return event.returnValue;
      },
    },
  };
  const required: string[] = [];
  const context = vm.createContext({
    require: (name: string) => { required.push(name); if (name !== 'electron') throw new Error(`sandboxed preload cannot require ${name}`); return electron; },
    window: { addEventListener: (type: string, fn: () => void) => { windowListeners.set(type, [...(windowListeners.get(type) ?? []), fn]); } },
  });
  vm.runInContext(SOURCE, context, { filename: 'preload.cjs' });
  return { exposed, invoked, listeners, windowListeners, required };
}

describe('preload', () => {
  let dispose: () => void = () => {};
  beforeEach(() => { dispose = mainSide(); });
  afterEach(() => dispose());

  it('exposes exactly window.mailstop: every ENGINE_API_METHODS entry plus onEvent', () => {
    const { exposed, required } = runPreload();
    expect(exposed.map((e) => e.key)).toEqual(['mailstop']);
    expect(Object.keys(exposed[0].api).sort()).toEqual([...ENGINE_API_METHODS, 'onEvent'].sort());
    expect(required).toEqual(['electron']);
  });

  it('its channel list equals ENGINE_API_METHODS (so the two cannot drift)', async () => {
    const { exposed, invoked } = runPreload();
    for (const m of ENGINE_API_METHODS) await exposed[0].api[m]('arg', 2);
    expect(invoked).toEqual(ENGINE_API_METHODS.map((m) => ({ channel: `${IPC_PREFIX}${m}`, args: ['arg', 2] })));
  });

  it('onEvent passes only the engine event, and its return value unsubscribes', () => {
    const { exposed, listeners } = runPreload();
    const got: unknown[] = [];
    const off = exposed[0].api.onEvent((e: unknown) => got.push(e)) as () => void;
    const [listener] = listeners.get(EVENT_CHANNEL)!;
    listener({ sender: 'the IPC event must not leak' }, { type: 'log:line', line: 'x' });
    expect(got).toEqual([{ type: 'log:line', line: 'x' }]);
    off();
    expect(listeners.get(EVENT_CHANNEL)).toEqual([]);
  });

  it('refuses a non-function listener', () => {
    const { exposed } = runPreload();
    expect(() => exposed[0].api.onEvent('nope')).toThrow(/expected a function/);
  });

  it('passes the browser\'s online/offline events on as networkChanged hints', () => {
    const { windowListeners, invoked } = runPreload();
    windowListeners.get('online')![0]();
    windowListeners.get('offline')![0]();
    expect(invoked.map((i) => i.channel)).toEqual(['mailstop:api:networkChanged', 'mailstop:api:networkChanged']);
  });

  it('exposes nothing callable to a frame that is not the Mailstop window', () => {
    const { exposed } = runPreload({ url: 'https://evil.example/' });
    expect(Object.keys(exposed[0].api)).toEqual(['onEvent']);
  });

  it('keeps names that would leave the channel prefix out of the bridge', () => {
    dispose();
    const evil = (event: SyncEventLike) => { event.returnValue = ['status', '../x', 'a:b', 42]; };
    ipcMain.on('mailstop:methods', evil);
    dispose = () => { ipcMain.removeListener('mailstop:methods', evil); };
    const { exposed } = runPreload();
    expect(Object.keys(exposed[0].api).sort()).toEqual(['onEvent', 'status']);
  });
});
