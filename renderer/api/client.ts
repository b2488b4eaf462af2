// The one API client the renderer talks to. It *is* the EngineApi (so pages read
// like calls on the engine itself) plus a connection signal; two carriers exist:
// HTTP + server-sent events for the headless console, IPC for the desktop app.
// Pages never know which one they got.
import type { EngineApi } from '../../engine/api.ts';
import { createHttpClient } from './http-client.ts';
import { createIpcClient } from './ipc-client.ts';
import type { MailstopBridge } from './bridge.ts';

export interface MailstopClient extends EngineApi {
  readonly kind: 'http' | 'ipc';
  /** Live-update channel up (true) or lost (false); called at once with the current state. */
  onConnection(listener: (connected: boolean) => void): () => void;
}

declare global {
  interface Window { mailstop?: MailstopBridge }
}

/** IPC when the Electron preload exposed its bridge, HTTP (same origin) otherwise. */
export function pickClient(): MailstopClient {
  return typeof window !== 'undefined' && window.mailstop ? createIpcClient(window.mailstop) : createHttpClient('');
}
