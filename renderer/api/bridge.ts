// The shape an Electron preload exposes as `window.mailstop` through contextBridge:
// the EngineApi's request methods by their own names plus `onEvent`. This file is
// the contract between electron/preload and the renderer; it has no code.
import type { EngineApi, EngineApiMethod, EngineEvent } from '../../engine/api.ts';

export type MailstopBridge = { [K in EngineApiMethod]: EngineApi[K] } & {
  /** Subscribe to EngineEvents; returns the unsubscribe function. */
  onEvent(listener: (event: EngineEvent) => void): () => void;
};
