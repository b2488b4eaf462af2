// The Electron main process: runs the engine through the same host as
// `mailstop serve` (engine/host: pid lock, control socket for the CLI, maildrop
// pickup), then puts the IPC bridge, window, tray and notifications around it
// (issue 4 item 2). A second engine on the same home gets one dialog naming the
// pid that holds it. Started by
// electron/main.mjs, the entry, which registers tsx first.
// Owns start-up and shut-down order and the window's lifetime. Holds no mail
// logic: everything the UI does is an EngineApi call through ipc-contract.ts.
import path from 'node:path';
import { PACKAGE_ROOT } from '../engine/package-root.ts';
import { app, BrowserWindow, dialog, ipcMain, powerMonitor } from 'electron';
import type { EngineApi } from '../engine/api.ts';
import type { Engine } from '../engine/index.ts';
import type { CreateEngineOptions } from '../engine/index.ts';
import { startHost, type Host } from '../engine/host/index.ts';
import { resolveHome } from '../engine/cli/io.ts';
import { createSenderCheck, forwardEvents, registerIpc } from './ipc-contract.ts';
import { startNotifications } from './notifications.ts';
import { safeStorageBox } from './secret-box.ts';
import { createSettingsStore, openElectronStore, type KeyValueStore, type SettingsStore } from './settings-store.ts';
import { claimSingleInstance } from './single-instance.ts';
import { createTray, type MailstopTray } from './tray.ts';
import { appUrlFor, createMainWindow } from './window.ts';

const ROOT = PACKAGE_ROOT;

export interface DesktopOptions {
  /** Data directory; default MAILSTOP_HOME or ~/.mailstop (DESIGN.md "Defaults"). */
  home?: string;
  /** Project root holding dist/renderer and electron/preload.cjs. */
  root?: string;
  /** Load the Vite dev server instead of dist/renderer (MAILSTOP_DEV_URL). */
  devUrl?: string;
  /** Tests pass their own; the app uses engine/index.ts. */
  createEngine?: (opts: CreateEngineOptions) => Promise<Engine>;
  /** Tests pass a conf store; the app uses electron-store. */
  openStore?: (home: string) => Promise<KeyValueStore>;
}

export interface Desktop {
  engine: Engine;
  /** The host running the engine (its pid lock and control socket). */
  host: Host;
  store: SettingsStore;
  tray: MailstopTray;
  appUrl: string;
  /** Show (creating if needed) and focus the window. */
  showWindow(): BrowserWindow;
  window(): BrowserWindow | null;
  /** Stop everything and the engine; app.quit() calls this once. */
  shutdown(): Promise<void>;
}

/**
 * The same rule as the `mailstop` command (engine/cli/io.ts), so a user's own
 * programs (git send-email, mutt, cron) reach the app's engine with no variable set.
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  // Never the system instance: the app hosts the user's own data directory.
  return resolveHome(undefined, env, { systemFallback: false });
}

/**
 * Start the desktop app. Returns null when another instance already runs (this
 * one quits and that one shows its window).
 */
export async function startDesktop(opts: DesktopOptions = {}): Promise<Desktop | null> {
  let desktop: Desktop | null = null;
  // Before ready, so a second instance hands over before it builds anything.
  if (!claimSingleInstance(app, () => desktop?.showWindow())) return null;
  // The engine keeps running in the tray when the window closes; Quit is in the tray.
  app.on('window-all-closed', () => undefined);

  await app.whenReady();
  const home = opts.home ?? defaultHome();
  const root = opts.root ?? ROOT;
  const started: { host?: Host } = {};
  try {
    desktop = await wire(home, root, opts, started);
  } catch (err) {
    // Whatever failed after the host started must not keep the pid lock or the socket.
    await started.host?.close().catch(() => undefined);
    // Bad config.json, a port in use...: say it in one line and leave.
    dialog.showErrorBox('Mailstop cannot start', err instanceof Error ? err.message : String(err));
    app.quit();
    throw err;
  }
  return desktop;
}

async function wire(home: string, root: string, opts: DesktopOptions, started: { host?: Host }): Promise<Desktop> {
  const kv = await (opts.openStore ?? openElectronStore)(home);
  const store = createSettingsStore({ home, kv, secrets: safeStorageBox() });
  const settings = await store.load();
  // No hook without real encryption: the engine then keeps the password in config.json (0600).
  // The host takes the pid lock before the engine touches the spool (HostBusyError names the holder).
  const host = await startHost({
    home, settings, ...(store.secrets ? { secrets: store.secrets } : {}),
    ...(opts.createEngine ? { createEngine: opts.createEngine } : {}),
  });
  started.host = host;
  const engine = host.engine;

  const devUrl = opts.devUrl ?? process.env.MAILSTOP_DEV_URL;
  const appUrl = appUrlFor(root, devUrl);
  const preload = path.join(root, 'electron', 'preload.cjs');
  let win: BrowserWindow | null = null;
  let quitting = false;

  const current = () => (win && !win.isDestroyed() ? win : null);
  function showWindow(): BrowserWindow {
    const existing = current();
    if (existing) {
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return existing;
    }
    const created = createMainWindow({ preload, appUrl, dev: Boolean(devUrl), icon: path.join(root, 'assets', 'icon-256.png') });
    // Closing the window hides it: mail keeps flowing and the tray stays.
    created.on('close', (event) => {
      if (quitting) return;
      event.preventDefault();
      created.hide();
    });
    win = created;
    return created;
  }

  const disposers: (() => void)[] = [];
  disposers.push(registerIpc(ipcMain, engine, {
    isTrustedSender: createSenderCheck({ appUrl, mainFrame: () => current()?.webContents.mainFrame ?? null }),
  }));
  disposers.push(forwardEvents(engine, () => current()?.webContents ?? null));
  disposers.push(engine.subscribe((event) => {
    if (event.type !== 'settings:changed') return;
    try {
      store.mirror(event.settings);
    } catch (err) {
      // desktop.json unwritable (disk full, permissions): config.json is already saved; say so and go on.
      if (!(err instanceof Error)) throw err;
      console.error(`mailstop: settings store: ${err.message}`);
    }
  }));
  disposers.push(startNotifications(engine));
  disposers.push(networkHints(engine));

  const tray = createTray({
    api: engine,
    memory: store.modeMemory,
    onOpen: () => { showWindow(); },
    onQuit: () => app.quit(),
    onError: (action, err) => console.error(`mailstop: tray ${action}: ${err instanceof Error ? err.message : String(err)}`),
  });
  disposers.push(() => tray.destroy());
  await tray.refresh();

  let stopping: Promise<void> | null = null;
  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      quitting = true;
      for (const dispose of disposers.reverse()) dispose();
      await host.close();
    })();
    return stopping;
  }
  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    // Hold the quit until the engine has stopped: in-flight deliveries finish
    // their commit, so no message is left half-recorded (DESIGN.md "Promises").
    event.preventDefault();
    quitting = true;
    void shutdown().finally(() => {
      stopped = true;
      app.quit();
    });
  });

  // macOS: clicking the Dock icon brings the (hidden) window back.
  app.on('activate', () => { showWindow(); });
  showWindow();
  return { engine, host, store, tray, appUrl, showWindow, window: current, shutdown };
}

/** Waking from sleep usually means another network: ask the engine to look again. */
function networkHints(api: Pick<EngineApi, 'networkChanged'>): () => void {
  const hint = () => { api.networkChanged().catch(() => undefined); };
  powerMonitor.on('resume', hint);
  return () => { powerMonitor.removeListener('resume', hint); };
}
