import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { saveSettings } from '../../engine/config/load.ts';
import { SettingsSchema, type SettingsInput } from '../../engine/config/schema.ts';
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

  it('moves the smart-host password out of config.json into safeStorage ciphertext, and back for the engine', async () => {
    await writeConfig(withSmartHost(SECRET));
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    const first = await store.load();
    expect(first.smartHost?.auth?.pass).toBe(SECRET);
    expect((await readConfig()).smartHost.auth).toEqual({ user: 'me', pass: '' });
    const desktop = await readDesktop();
    expect(desktop).not.toContain(SECRET);
    expect(JSON.parse(desktop).smartHostSecret).toMatchObject({ host: 'smtp.provider.example', user: 'me' });

    // Next start: a fresh store reads the ciphertext and the engine gets the plaintext in memory.
    const again = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    expect((await again.load()).smartHost?.auth?.pass).toBe(SECRET);
  });

  it('does not hand a stored password to another host or user', async () => {
    await writeConfig(withSmartHost(SECRET));
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    await store.load();
    for (const [host, user] of [['smtp.other.example', 'me'], ['smtp.provider.example', 'someone-else']]) {
      await writeConfig(withSmartHost('', host, user));
      expect((await store.load()).smartHost?.auth?.pass).toBe('');
    }
  });

  it('after the engine saves new settings, mirrors them and takes the new password out of config.json', async () => {
    const store = createSettingsStore({ home, kv: await open(home), secrets: safeStorageBox() });
    const next = SettingsSchema.parse(withSmartHost('new-pass'));
    await saveSettings(home, next); // what EngineApi.updateSettings writes
    await store.mirror(next);
    expect((await readConfig()).smartHost.auth.pass).toBe('');
    expect(await readDesktop()).not.toContain('new-pass');
    expect(JSON.parse(await readDesktop()).settings.hostname).toBe('laptop.example');
    expect((await store.load()).smartHost?.auth?.pass).toBe('new-pass');
  });

  it('leaves config.json alone when there is no real encryption', async () => {
    await writeConfig(withSmartHost(SECRET));
    const store = createSettingsStore({ home, kv: await open(home), secrets: null });
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
