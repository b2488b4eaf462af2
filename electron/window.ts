// The Mailstop window and the lock-down around it, item by item from Electron's
// security checklist (docs/tutorial/security.md): context isolation, sandbox,
// no Node integration, web security on, no insecure content, a strict CSP,
// navigation and new windows denied, permission requests denied, external
// links only through external-links.ts.
// Owns: BrowserWindow options, session/webContents hardening, the app URL.
// Never talks to the engine (that is ipc-contract.ts) and never decides when
// the window is shown or hidden (main.ts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, type Session, type WebContents, type WebPreferences } from 'electron';
import { contentSecurityPolicy } from '../engine/console/csp.ts';
import { isAppUrl } from './ipc-contract.ts';
import { openExternalSafely } from './external-links.ts';

/**
 * CSP for the built renderer (engine/console/csp.ts, shared with the console).
 * No per-load nonce for a file:// page, so Mantine's <style> elements need
 * 'unsafe-inline' for styles only; the page talks to the engine over IPC.
 */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** With the Vite dev server (MAILSTOP_DEV_URL): its inline preamble and HMR socket. */
export const DEV_CONTENT_SECURITY_POLICY = contentSecurityPolicy({ dev: true });

/** file:// URL of the built renderer, or the dev server's URL when given. */
export function appUrlFor(root: string, devUrl?: string): string {
  if (devUrl) return new URL(devUrl).href;
  return pathToFileURL(path.join(root, 'dist', 'renderer', 'index.html')).href;
}

export function webPreferencesFor(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export interface MainWindowOptions {
  preload: string;
  appUrl: string;
  /** The dev server's CSP instead of the strict one. */
  dev?: boolean;
  icon?: string;
}

/** Build, harden and load the window; it is shown once its first paint is ready. */
export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    show: false, // no white flash: shown on ready-to-show
    title: 'Mailstop',
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: webPreferencesFor(opts.preload),
  });
  hardenSession(win.webContents.session, opts.dev === true);
  hardenContents(win.webContents, opts.appUrl);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(opts.appUrl);
  return win;
}

/** CSP on every response of the window's session; every permission request refused. */
export function hardenSession(ses: Session, dev: boolean): void {
  const policy = dev ? DEV_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } });
  });
  // Camera, notifications, geolocation, clipboard...: the UI needs none of them.
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/**
 * The window only ever shows the app: a navigation elsewhere is cancelled (a
 * safe https/mailto link goes to the system handler instead), window.open never
 * opens a window, and <webview> cannot be attached.
 */
export function hardenContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url, appUrl)) return; // a reload of the app itself
    event.preventDefault();
    void openExternalSafely(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    void openExternalSafely(url);
    return { action: 'deny' };
  });
}
