// MailstopClient over Electron IPC: the preload's `window.mailstop` bridge already
// has the EngineApi's method names, so this only adapts `onEvent` to `subscribe`.
// IPC to the main process cannot drop while the window lives, so it is always connected.
import { ENGINE_API_METHODS, type EngineApi } from '../../engine/api.ts';
import type { MailstopBridge } from './bridge.ts';
import type { MailstopClient } from './client.ts';

export function createIpcClient(bridge: MailstopBridge): MailstopClient {
  // Bind each method by name: contextBridge objects are frozen proxies, never spread them.
  const methods = Object.fromEntries(ENGINE_API_METHODS.map((m) => [m, (...args: unknown[]) =>
    (bridge[m] as (...a: unknown[]) => Promise<unknown>)(...args)])) as unknown as Omit<EngineApi, 'subscribe'>;
  return {
    ...methods,
    kind: 'ipc',
    subscribe: (listener) => bridge.onEvent(listener),
    onConnection(listener) {
      listener(true);
      return () => undefined;
    },
  };
}
