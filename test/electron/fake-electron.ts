// A stand-in for the `electron` module: its runtime cannot be downloaded here
// (DESIGN.md "Installing where Electron's binary can't be downloaded"), so the
// tests load electron/* with `vi.mock('electron', () => import('./fake-electron.ts'))`.
// Each class records what the main process asked of it; `fake` is the shared
// record, reset with resetFake(). It imitates Electron's documented behaviour
// where the tests depend on it (e.g. invoking a channel with no handler rejects).
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';

export interface FakeFrame { url: string; processId: number; routingId: number }

let nextRoutingId = 1;
export function fakeFrame(url: string): FakeFrame {
  return { url, processId: 7, routingId: nextRoutingId++ };
}

type Handler = (event: { senderFrame: FakeFrame | null }, ...args: unknown[]) => unknown;

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, fn: Handler): void {
    // Electron: "Attempted to register a second handler for '<channel>'".
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string): void { this.handlers.delete(channel); }
  /** What ipcRenderer.invoke from `frame` would get. */
  async invoke(channel: string, frame: FakeFrame | null, ...args: unknown[]): Promise<unknown> {
    const fn = this.handlers.get(channel);
    if (!fn) throw new Error(`No handler registered for '${channel}'`);
    // Electron passes results and errors through structured clone; errors keep their message.
    return structuredClone(await fn({ senderFrame: frame }, ...structuredClone(args)));
  }
}

class FakeSession {
  headersListener: ((details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void) | null = null;
  permissionRequest: ((wc: unknown, permission: string, cb: (granted: boolean) => void, details: unknown) => void) | null = null;
  permissionCheck: ((...a: unknown[]) => boolean) | null = null;
  readonly webRequest = {
    onHeadersReceived: (listener: FakeSession['headersListener']) => { this.headersListener = listener; },
  };
  setPermissionRequestHandler(fn: FakeSession['permissionRequest']): void { this.permissionRequest = fn; }
  setPermissionCheckHandler(fn: FakeSession['permissionCheck']): void { this.permissionCheck = fn; }
}

class FakeWebContents extends EventEmitter {
  readonly session = new FakeSession();
  mainFrame = fakeFrame('about:blank');
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  readonly sent: { channel: string; payload: unknown }[] = [];
  destroyed = false;
  setWindowOpenHandler(fn: FakeWebContents['openHandler']): void { this.openHandler = fn; }
  send(channel: string, payload: unknown): void { this.sent.push({ channel, payload }); }
  isDestroyed(): boolean { return this.destroyed; }
  /** Emit like Electron: returns whether a listener called preventDefault(). */
  navigate(event: 'will-navigate' | 'will-redirect', url: string): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => { prevented = true; } }, url);
    return prevented;
  }
}

export class BrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  focused = 0;
  minimized = false;
  destroyed = false;
  loadedUrl = '';
  constructor(readonly options: Record<string, any>) {
    super();
    fake.windows.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame = fakeFrame(url);
  }
  show(): void { this.visible = true; }
  hide(): void { this.visible = false; }
  focus(): void { this.focused++; }
  isMinimized(): boolean { return this.minimized; }
  restore(): void { this.minimized = false; }
  isDestroyed(): boolean { return this.destroyed; }
  close(): void {
    let prevented = false;
    this.emit('close', { preventDefault: () => { prevented = true; } });
    if (!prevented) { this.destroyed = true; this.webContents.destroyed = true; }
  }
}

export interface FakeMenuItem { id?: string; label?: string; type?: string; enabled?: boolean; click?: () => void }

export const Menu = {
  buildFromTemplate: (items: FakeMenuItem[]) => ({ items }),
};

export class Tray extends EventEmitter {
  tooltip = '';
  title = '';
  menu: { items: FakeMenuItem[] } | null = null;
  image: unknown = null;
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    fake.trays.push(this);
  }
  setToolTip(t: string): void { this.tooltip = t; }
  setTitle(t: string): void { this.title = t; }
  setContextMenu(m: { items: FakeMenuItem[] }): void { this.menu = m; }
  setImage(i: unknown): void { this.image = i; }
  destroy(): void { this.destroyed = true; }
  /** Click the menu item with this id, as a person would. */
  clickItem(id: string): void {
    const item = this.menu?.items.find((i) => i.id === id);
    if (!item?.click) throw new Error(`no menu item ${id} (have ${this.menu?.items.map((i) => i.id ?? i.label).join(', ')})`);
    item.click();
  }
}

export const nativeImage = {
  createFromBuffer: (buffer: Buffer) => ({ png: buffer }),
  // Electron gives an empty image for a missing file; the fake throws, so a missing icon fails the test.
  createFromPath: (file: string) => ({ path: file, png: readFileSync(file) }),
  createEmpty: () => ({ png: Buffer.alloc(0) }),
};

export class Notification {
  static isSupported(): boolean { return fake.notificationsSupported; }
  constructor(readonly options: { title: string; body: string }) {}
  show(): void { fake.notifications.push({ title: this.options.title, body: this.options.body }); }
}

export const shell = {
  openExternal: async (url: string) => { fake.opened.push(url); },
  openPath: async () => '',
};

export const safeStorage = {
  isEncryptionAvailable: () => fake.encryption,
  getSelectedStorageBackend: () => fake.storageBackend,
  // Not real encryption, but never the plaintext: reversed and tagged.
  encryptString: (plain: string) => Buffer.from(`enc:${[...plain].reverse().join('')}`),
  decryptString: (buf: Buffer) => {
    const s = buf.toString();
    if (!s.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return [...s.slice(4)].reverse().join('');
  },
};

export const dialog = {
  showErrorBox: (title: string, content: string) => { fake.errorBoxes.push({ title, content }); },
};

class FakeApp extends EventEmitter {
  quitCalls = 0;
  quitted = false;
  requestSingleInstanceLock(): boolean { return fake.gotLock; }
  whenReady(): Promise<void> { return Promise.resolve(); }
  isReady(): boolean { return true; }
  getPath(): string { return fake.userData; }
  getVersion(): string { return '0.1.0'; }
  /** Like Electron: 'before-quit' first; a listener may hold the quit with preventDefault. */
  quit(): void {
    this.quitCalls++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => { prevented = true; } });
    if (!prevented) this.quitted = true;
  }
}

export const ipcMain = new FakeIpcMain();
export const app = new FakeApp();
export const powerMonitor = new EventEmitter();

export const fake = {
  windows: [] as BrowserWindow[],
  trays: [] as Tray[],
  notifications: [] as { title: string; body: string }[],
  notificationsSupported: true,
  opened: [] as string[],
  errorBoxes: [] as { title: string; content: string }[],
  encryption: true,
  storageBackend: 'gnome_libsecret' as string,
  gotLock: true,
  userData: path.join(os.tmpdir(), 'mailstop-fake-userdata'),
};

export function resetFake(): void {
  fake.windows.length = 0;
  fake.trays.length = 0;
  fake.notifications.length = 0;
  fake.notificationsSupported = true;
  fake.opened.length = 0;
  fake.errorBoxes.length = 0;
  fake.encryption = true;
  fake.storageBackend = 'gnome_libsecret';
  fake.gotLock = true;
  ipcMain.handlers.clear();
  ipcMain.removeAllListeners();
  app.removeAllListeners();
  app.quitCalls = 0;
  app.quitted = false;
  powerMonitor.removeAllListeners();
}

const electron = { app, ipcMain, BrowserWindow, Menu, Tray, nativeImage, Notification, shell, safeStorage, dialog, powerMonitor };
export default electron;
