// The typed IPC contract between the Electron main process and the renderer,
// derived from EngineApi (STYLE.md §3, after VS Code's prefixed channels): one
// channel per ENGINE_API_METHODS entry, `mailstop:api:<method>`, each handled by
// delegating to the engine method of the same name — no `switch (name)` anywhere.
// Events go the other way on one channel, `mailstop:event`.
//
// Owns: channel names, handler registration, the sender-frame check, event
// forwarding. Never holds engine logic and never decides what a call means:
// arguments go to the engine unchanged (it validates them, as it does for the
// console and the control socket).
import { ENGINE_API_METHODS, type EngineApi, type EngineApiMethod, type EngineEvent } from '../engine/api.ts';

export const IPC_PREFIX = 'mailstop:api:';
export const EVENT_CHANNEL = 'mailstop:event';
/**
 * The preload asks this (ipcRenderer.sendSync) for the method names it exposes, so
 * the list exists once, ENGINE_API_METHODS, and is never copied into the preload
 * (a sandboxed preload can require nothing but electron).
 */
export const METHODS_CHANNEL = 'mailstop:methods';

export function channelOf(method: EngineApiMethod): string {
  return IPC_PREFIX + method;
}

/** Every channel the main process answers; nothing outside this list has a handler. */
export const IPC_CHANNELS: readonly string[] = ENGINE_API_METHODS.map(channelOf);

/** The part of Electron's WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly processId?: number;
  readonly routingId?: number;
}

export interface InvokeEventLike {
  readonly senderFrame: FrameLike | null;
}

/** The part of Electron's ipcMain the contract uses (structurally compatible). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: any[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: SyncEventLike) => void): unknown;
  removeListener(channel: string, listener: (event: SyncEventLike) => void): unknown;
}

/** An ipcRenderer.sendSync arriving: the answer goes into returnValue. */
export interface SyncEventLike extends InvokeEventLike {
  returnValue: unknown;
}

export interface RegisterOptions {
  /** True only for our window's top frame showing our app URL (see createSenderCheck). */
  isTrustedSender(frame: FrameLike | null): boolean;
}

/** What a refused caller sees: the invoke rejects with this message in the renderer. */
export class ForeignSenderError extends Error {
  constructor(channel: string, url: string) {
    super(`${channel}: refused: sender ${url || '(no frame)'} is not the Mailstop window`);
    this.name = 'ForeignSenderError';
  }
}

/**
 * One `ipcMain.handle` per EngineApi method. Every call first checks the sending
 * frame (Electron security checklist: "Validate the sender of all IPC messages"),
 * then calls the engine method by its own name. Returns a function that removes
 * the handlers again (window closed, app quitting, tests).
 */
export function registerIpc(ipcMain: IpcMainLike, api: EngineApi, opts: RegisterOptions): () => void {
  for (const method of ENGINE_API_METHODS) {
    const channel = channelOf(method);
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!opts.isTrustedSender(event.senderFrame)) throw new ForeignSenderError(channel, event.senderFrame?.url ?? '');
      // The renderer's arguments arrive structured-cloned (plain data); the engine validates them.
      return (api[method] as (...a: unknown[]) => Promise<unknown>).apply(api, args);
    });
  }
  // A foreign frame learns no method names (it could call none of them anyway).
  const methods = (event: SyncEventLike): void => {
    event.returnValue = opts.isTrustedSender(event.senderFrame) ? [...ENGINE_API_METHODS] : [];
  };
  ipcMain.on(METHODS_CHANNEL, methods);
  return () => {
    for (const method of ENGINE_API_METHODS) ipcMain.removeHandler(channelOf(method));
    ipcMain.removeListener(METHODS_CHANNEL, methods);
  };
}

/** The part of WebContents that receives events. */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, event: EngineEvent): void;
}

/**
 * Forward every engine event to the window on EVENT_CHANNEL. A closed window is
 * skipped, not an error: the engine keeps running in the tray without one.
 * Returns the unsubscribe function.
 */
export function forwardEvents(api: Pick<EngineApi, 'subscribe'>, target: () => EventTarget | null): () => void {
  return api.subscribe((event) => {
    const t = target();
    if (t && !t.isDestroyed()) t.send(EVENT_CHANNEL, event);
  });
}

/**
 * Is `candidate` our app's document? The same scheme, host and path as the app
 * URL; query and fragment may differ (the renderer's router keeps its page in
 * the hash).
 */
export function isAppUrl(candidate: string, appUrl: string): boolean {
  let got: URL;
  let want: URL;
  try {
    got = new URL(candidate);
    want = new URL(appUrl);
  } catch (err) {
    if (err instanceof TypeError) return false; // not a URL at all
    throw err;
  }
  return got.protocol === want.protocol && got.host === want.host && got.pathname === want.pathname;
}

export interface SenderCheckOptions {
  /** file:// URL of dist/renderer/index.html, or the dev server's URL. */
  appUrl: string;
  /** The top frame of our window right now, or null while there is no window. */
  mainFrame(): FrameLike | null;
}

/**
 * The sender check for registerIpc: the frame must be our window's top frame
 * (not an iframe, not another window) and must show our app URL (not a page it
 * was somehow navigated to).
 */
export function createSenderCheck(opts: SenderCheckOptions): (frame: FrameLike | null) => boolean {
  return (frame) => {
    if (!frame) return false; // the frame navigated away or was destroyed mid-call
    const main = opts.mainFrame();
    if (!main || !sameFrame(frame, main)) return false;
    return isAppUrl(frame.url, opts.appUrl);
  };
}

/**
 * Electron caches one WebFrameMain per frame, so identity normally decides; the
 * (processId, routingId) pair names the same frame should a wrapper be rebuilt.
 */
function sameFrame(a: FrameLike, b: FrameLike): boolean {
  if (a === b) return true;
  return a.processId !== undefined && a.routingId !== undefined
    && a.processId === b.processId && a.routingId === b.routingId;
}
