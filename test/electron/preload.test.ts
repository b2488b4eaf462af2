// The preload runs sandboxed, so it is plain CommonJS with its own copy of the
// method list; here it runs in a VM context with recording `require('electron')`
// and `window`, the two things a sandboxed preload has.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ENGINE_API_METHODS } from '../../engine/api.ts';
import { EVENT_CHANNEL, IPC_PREFIX } from '../../electron/ipc-contract.ts';

const SOURCE = readFileSync(new URL('../../electron/preload.cjs', import.meta.url), 'utf8');

function runPreload() {
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
});
