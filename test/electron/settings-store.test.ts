import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { createEngine } from '../../engine/index.ts';
import { safeStorageBox } from '../../electron/secret-box.ts';
import { createSettingsStore, openConfStore, openElectronStore, type KeyValueStore } from '../../electron/settings-store.ts';
import { fake, resetFake } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const SECRET = 'hunter2-correct-horse';
const withSmartHost = (pass: string, host = 'smtp.provider.example', user = 'me'): SettingsInput =>
  ({ hostname: 'laptop.example', smartHost: { host, port: 587, auth: { user, pass } } });

let home: string;
beforeEach(async () => {
  resetFake();
  home = await mkdtemp(path.join(os.tmpdir(), 'mailstop-store-'));
  fake.userData = home;
});
afterEach(() => rm(home, { recursive: true, force: true }));

const writeConfig = (input: SettingsInput) => writeFile(path.join(home, 'config.json'), JSON.stringify(input));
const readConfig = async () => JSON.parse(await readFile(path.join(home, 'config.json'), 'utf8'));
const readDesktop = () => readFile(path.join(home, 'desktop.json'), 'utf8');

describe.each([
  ['electron-store (desktop)', (h: string) => openElectronStore(h)],
  ['conf (plain Node)', (h: string) => openConfStore(h)],
])('settings store on %s', (_name, open: (h: string) => Promise<KeyValueStore>) => {
  it('lives at <home>/desktop.json', async () => {
    const kv = await open(home);
    expect(kv.path).toBe(path.join(home, 'desktop.json'));
  });

  it('moves a password typed into config.json into safeStorage ciphertext, and the hook hands it back', async () => {
    await writeConfig(withSmartHost(SECRET));
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    expect((await store.load()).smartHost?.auth?.pass).toBe('');
    expect((await readConfig()).smartHost.auth).toEqual({ user: 'me', pass: '' });
    expect(store.secrets?.get()).toBe(SECRET);
    const desktop = await readDesktop();
    expect(desktop).not.toContain(SECRET);
    expect(JSON.parse(desktop).smartHostSecret).toMatchObject({ host: 'smtp.provider.example', user: 'me' });

    // Next start: a fresh store reads the ciphertext back.
    const again = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    await again.load();
    expect(again.secrets?.get()).toBe(SECRET);
  });

  it('does not hand a stored password to another host or user', async () => {
    await writeConfig(withSmartHost(SECRET));
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    await store.load();
    for (const [host, user] of [['smtp.other.example', 'me'], ['smtp.provider.example', 'someone-else']]) {
      await writeConfig(withSmartHost('', host, user));
      await store.load();
      expect(store.secrets?.get()).toBeUndefined();
    }
  });

  it('with the engine: config.json never holds a password given to updateSettings, the engine uses it, and it survives a restart', async () => {
    await writeConfig({ hostname: 'laptop.example' });
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    const engine = await createEngine({ home, settings: await store.load(), secrets: store.secrets!, timers: false, passwdFile: '' });
    const off = engine.subscribe((e) => { if (e.type === 'settings:changed') store.mirror(e.settings); });
    // Host, user and password arrive together, as the smart-host page sends them.
    const r = await engine.updateSettings({ smartHost: { host: 'smtp.provider.example', port: 587, tls: 'starttls', requireTls: false, auth: { user: 'me', pass: 'new-pass' } } });
    const onDisk = await readFile(path.join(home, 'config.json'), 'utf8'); // right after the call, no waiting
    off();
    expect(r.ok).toBe(true);
    expect(onDisk).not.toContain('new-pass');
    expect(JSON.parse(onDisk).smartHost.auth).toEqual({ user: 'me', pass: '' });
    expect((await engine.getSettings()).smartHost?.auth?.pass).toBe('new-pass');
    expect(await readDesktop()).not.toContain('new-pass');
    expect(JSON.parse(await readDesktop()).settings.hostname).toBe('laptop.example');

    // Restart: bound to the new host and user, so the fresh engine has it live again.
    const again = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    const next = await createEngine({ home, settings: await again.load(), secrets: again.secrets!, timers: false, passwdFile: '' });
    expect((await next.getSettings()).smartHost?.auth?.pass).toBe('new-pass');
  });

  it('without real encryption there is no hook: the password stays in config.json as the engine keeps it', async () => {
    await writeConfig(withSmartHost(SECRET));
    const store = createSettingsStore({ home, kv: await open(home), secrets: null });
    expect(store.secrets).toBeUndefined();
    expect((await store.load()).smartHost?.auth?.pass).toBe(SECRET);
    expect((await readConfig()).smartHost.auth.pass).toBe(SECRET);
    expect(await readDesktop()).not.toContain(SECRET);
  });

  it('remembers the mode Resume returns to, and ignores a value it cannot resume to', async () => {
    const kv = await open(home);
    const store = createSettingsStore({ home, kv, secrets: null });
    expect(store.modeMemory.get()).toBeUndefined();
    store.modeMemory.set('queueonly');
    expect(createSettingsStore({ home, kv: await open(home), secrets: null }).modeMemory.get()).toBe('queueonly');
    kv.set('resumeMode', 'deferred');
    expect(store.modeMemory.get()).toBeUndefined();
  });

  it('reports a broken config.json naming the field, as the engine does', async () => {
    await writeConfig({ listen: { smtp: 'twenty-five' } } as unknown as SettingsInput);
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    await expect(store.load()).rejects.toThrow(/config\.json: listen\.smtp/);
  });
});

describe('safeStorageBox', () => {
  it.each([
    ['available (keychain)', true, 'gnome_libsecret', 'linux', true],
    ['not available', false, 'unknown', 'linux', false],
    ['Linux basic_text: a hard-coded key is not encryption', true, 'basic_text', 'linux', false],
    ['macOS', true, 'unknown', 'darwin', true],
  ] as const)('%s', (_name, available, backend, platform, want) => {
    fake.encryption = available;
    fake.storageBackend = backend;
    expect(safeStorageBox(platform) !== null).toBe(want);
  });

  it('round-trips through base64 ciphertext that does not contain the secret', () => {
    const box = safeStorageBox('darwin')!;
    const cipher = box.encrypt(SECRET);
    expect(Buffer.from(cipher, 'base64').toString()).not.toContain(SECRET);
    expect(box.decrypt(cipher)).toBe(SECRET);
  });
});
