// Desktop-side persistence of settings, kept deliberately simple:
//
// * `<home>/config.json` stays the engine's one source of truth (DESIGN.md
//   "Settings file"): the engine reads it at start and rewrites it on every
//   updateSettings. Nothing here changes what a setting means.
// * Beside it, `<home>/desktop.json` is a key-value store — electron-store in
//   the desktop app, `conf` (its base, no Electron) elsewhere — holding a mirror
//   of the settings, the mode "Resume" returns to, and the smart-host password
//   encrypted with safeStorage (base64 ciphertext), bound to the host and user
//   it belongs to.
// * With encryption available, the password is moved out of config.json: after
//   the engine writes it (settings:changed), `mirror()` encrypts it into the
//   store and rewrites config.json with an empty `pass`; `load()` puts the
//   decrypted value back before the engine starts, so the plaintext exists in
//   the main process's memory only. Without encryption (headless, Linux
//   basic_text) config.json keeps it, as the engine alone would (mode 0600).
//   Consequence: a headless `mailstop serve` on the same home sees no password
//   until one is entered there.
// * Known gap: the engine rewrites config.json from its in-memory settings on
//   every updateSettings, password included, so the plaintext is on disk (mode
//   0600) for the moment between that write and mirror()'s rewrite. Closing it
//   needs an engine hook to redact before saving; until then this is the
//   narrowest window possible without changing the engine.
//
// Owns: desktop.json and moving the password. Never validates settings (the
// engine's schema does) and never talks to the renderer.
import path from 'node:path';
import { loadSettings, saveSettings } from '../engine/config/load.ts';
import type { Settings } from '../engine/config/schema.ts';
import type { ModeMemory, ResumeMode } from './hold-mode.ts';
import type { SecretBox } from './secret-box.ts';

export const STORE_NAME = 'desktop';

/** The part of Conf / ElectronStore used here, so either backs the same code. */
export interface KeyValueStore {
  readonly path: string;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

export interface SettingsStore {
  /** desktop.json */
  readonly path: string;
  /** config.json with the stored password filled in: what the engine starts with. */
  load(): Promise<Settings>;
  /** After the engine saved `settings`: mirror them and take the password out of config.json. */
  mirror(settings: Settings): Promise<void>;
  /** The delivery mode Resume returns to (hold-mode.ts). */
  readonly modeMemory: ModeMemory;
}

/** A stored password belongs to one smart host and user; change either and it no longer applies. */
interface StoredSecret { host: string; user: string; cipher: string }

const KEY_SECRET = 'smartHostSecret';
const KEY_SETTINGS = 'settings';
const KEY_RESUME = 'resumeMode';
const RESUME_MODES: readonly ResumeMode[] = ['background', 'queueonly'];

/** desktop.json through electron-store; only inside Electron (it imports `electron`). */
export async function openElectronStore(home: string): Promise<KeyValueStore> {
  const { default: ElectronStore } = await import('electron-store');
  return new ElectronStore<Record<string, unknown>>({ cwd: path.resolve(home), name: STORE_NAME, configFileMode: 0o600 });
}

/** desktop.json through conf, for plain Node (headless, tests). */
export async function openConfStore(home: string): Promise<KeyValueStore> {
  const { default: Conf } = await import('conf');
  return new Conf<Record<string, unknown>>({ cwd: path.resolve(home), configName: STORE_NAME, projectName: 'mailstop', configFileMode: 0o600 });
}

function isStoredSecret(v: unknown): v is StoredSecret {
  const o = v as StoredSecret | null;
  return o !== null && typeof o === 'object' && typeof o.host === 'string' && typeof o.user === 'string' && typeof o.cipher === 'string';
}

/** The settings without the password: what may sit in plain JSON. */
export function redacted(settings: Settings): Settings {
  const sh = settings.smartHost;
  if (!sh?.auth) return settings;
  return { ...settings, smartHost: { ...sh, auth: { ...sh.auth, pass: '' } } };
}

export interface SettingsStoreOptions {
  home: string;
  kv: KeyValueStore;
  /** null: no encryption here; the password stays in config.json. */
  secrets: SecretBox | null;
}

export function createSettingsStore(opts: SettingsStoreOptions): SettingsStore {
  const { home, kv, secrets } = opts;
  // One rewrite of config.json at a time, in the order the changes came.
  let writing: Promise<void> = Promise.resolve();

  /** Encrypt a plaintext password found in `settings` and rewrite config.json without it. */
  async function takePassword(settings: Settings): Promise<void> {
    const auth = settings.smartHost?.auth;
    if (!secrets || !settings.smartHost || !auth || auth.pass === '') return;
    const secret: StoredSecret = { host: settings.smartHost.host, user: auth.user, cipher: secrets.encrypt(auth.pass) };
    kv.set(KEY_SECRET, secret);
    // Re-read rather than write `settings`: the file may already hold a newer change.
    const onDisk = await loadSettings(home);
    const diskAuth = onDisk.smartHost?.auth;
    if (diskAuth && diskAuth.pass !== '' && diskAuth.pass === auth.pass) await saveSettings(home, redacted(onDisk));
  }

  /** The stored password for this host and user, decrypted; null if none applies or it cannot be read. */
  function storedPassword(settings: Settings): string | null {
    const auth = settings.smartHost?.auth;
    const stored = kv.get(KEY_SECRET);
    if (!secrets || !settings.smartHost || !auth || !isStoredSecret(stored)) return null;
    if (stored.host !== settings.smartHost.host || stored.user !== auth.user) return null;
    try {
      return secrets.decrypt(stored.cipher);
    } catch (err) {
      // Another OS user or a reset keychain: the person types the password again.
      if (err instanceof Error) return null;
      throw err;
    }
  }

  function mirror(settings: Settings): Promise<void> {
    kv.set(KEY_SETTINGS, redacted(settings));
    writing = writing.catch(() => undefined).then(() => takePassword(settings));
    return writing;
  }

  return {
    path: kv.path,
    async load() {
      const settings = await loadSettings(home);
      const auth = settings.smartHost?.auth;
      if (auth && auth.pass !== '') {
        await mirror(settings); // typed into config.json by hand (or before encryption): move it
        return settings;
      }
      const pass = storedPassword(settings);
      kv.set(KEY_SETTINGS, redacted(settings));
      if (pass === null || !settings.smartHost || !auth) return settings;
      return { ...settings, smartHost: { ...settings.smartHost, auth: { ...auth, pass } } };
    },
    mirror,
    modeMemory: {
      get() {
        const m = kv.get(KEY_RESUME);
        return RESUME_MODES.includes(m as ResumeMode) ? (m as ResumeMode) : undefined;
      },
      set(mode) { kv.set(KEY_RESUME, mode); },
    },
  };
}
