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
// * With encryption available, `secrets` is the engine's secrets hook
//   (createEngine({ secrets }), engine/engine.ts withSecret/forDisk): the
//   engine hands a new password to set() before it writes config.json, and
//   writes `pass: ""`, so the plaintext never reaches the disk; its live
//   settings fill an empty `pass` from get(). load() moves a password typed
//   into config.json by hand into the store once, before the engine starts.
//   A headless `mailstop serve` on the same home sees no password until one is
//   entered there.
// * Without real encryption (headless, Linux basic_text: secret-box.ts)
//   `secrets` is undefined, so there is no hook and the password stays in
//   config.json as the engine alone keeps it (mode 0600).
// * The hook's get()/set() carry no host or user, so the binding follows the
//   last settings seen (load, then each settings:changed through mirror());
//   mirror() re-binds a password that arrived with a new host or user in the
//   same update. Until then (a moment in memory, never on disk) a password is
//   bound to the previous host: the failure mode is "type it again", never
//   "sent to another host" across a restart.
//
// Owns: desktop.json and where the password lives. Never validates settings
// (the engine's schema does) and never talks to the renderer.
import path from 'node:path';
import { loadSettings, saveSettings } from '../engine/config/load.ts';
import type { Settings } from '../engine/config/schema.ts';
import { migrateMode } from '../engine/config/modes.ts';
import type { SettingsSecrets } from '../engine/index.ts';
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
  /** config.json as the engine starts with it; a hand-typed password moved into the store first. */
  load(): Promise<Settings>;
  /** The engine's secrets hook; undefined without real encryption (the password stays in config.json). */
  readonly secrets: SettingsSecrets | undefined;
  /** On settings:changed: mirror them (redacted) and bind the password to their host and user. */
  mirror(settings: Settings): void;
  /** The delivery mode Resume returns to (hold-mode.ts). */
  readonly modeMemory: ModeMemory;
}

/** A stored password belongs to one smart host and user; change either and it no longer applies. */
interface StoredSecret { host: string; user: string; cipher: string }

const KEY_SECRET = 'smartHostSecret';
const KEY_SETTINGS = 'settings';
const KEY_RESUME = 'resumeMode';
const RESUME_MODES: readonly ResumeMode[] = ['whenonline', 'queueonly'];

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

/** The host and user a password belongs to, as the settings name them; null without AUTH. */
function bindingOf(settings: Settings): { host: string; user: string } | null {
  const sh = settings.smartHost;
  return sh?.auth ? { host: sh.host, user: sh.auth.user } : null;
}

export function createSettingsStore(opts: SettingsStoreOptions): SettingsStore {
  const { home, kv, secrets: box } = opts;
  // The settings last seen (config.json at load, then each settings:changed):
  // what get() and set() bind to, since the hook carries no host or user.
  let current: { host: string; user: string } | null = null;

  function store(binding: { host: string; user: string } | null, pass: string): void {
    if (!box) return;
    const secret: StoredSecret = { host: binding?.host ?? '', user: binding?.user ?? '', cipher: box.encrypt(pass) };
    kv.set(KEY_SECRET, secret);
  }

  /** The stored password for `binding`, decrypted; undefined if none applies or it cannot be read. */
  function storedPassword(binding: { host: string; user: string } | null): string | undefined {
    const stored = kv.get(KEY_SECRET);
    if (!box || !binding || !isStoredSecret(stored)) return undefined;
    if (stored.host !== binding.host || stored.user !== binding.user) return undefined;
    try {
      return box.decrypt(stored.cipher);
    } catch (err) {
      // Another OS user or a reset keychain: the person types the password again.
      if (err instanceof Error) return undefined;
      throw err;
    }
  }

  const secrets: SettingsSecrets | undefined = box
    ? { get: () => storedPassword(current), set: (pass) => store(current, pass) }
    : undefined;

  return {
    path: kv.path,
    secrets,
    async load() {
      const settings = await loadSettings(home);
      current = bindingOf(settings);
      kv.set(KEY_SETTINGS, redacted(settings));
      const pass = settings.smartHost?.auth?.pass;
      if (!box || !pass) return settings;
      // Typed into config.json by hand (or kept there before encryption was
      // available): into the store, then out of the file, before the engine starts.
      store(current, pass);
      const clean = redacted(settings);
      await saveSettings(home, clean);
      return clean;
    },
    mirror(settings) {
      kv.set(KEY_SETTINGS, redacted(settings));
      current = bindingOf(settings);
      const pass = settings.smartHost?.auth?.pass;
      // set() bound it to the host before this update; bind it to the one it came with.
      if (pass && storedPassword(current) !== pass) store(current, pass);
    },
    modeMemory: {
      get() {
        // A store written before the rename says `background`: read it as `whenonline`.
        const m = migrateMode(kv.get(KEY_RESUME));
        return RESUME_MODES.includes(m as ResumeMode) ? (m as ResumeMode) : undefined;
      },
      set(mode) { kv.set(KEY_RESUME, mode); },
    },
  };
}
