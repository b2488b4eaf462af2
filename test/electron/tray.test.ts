import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResumeMode } from '../../electron/hold-mode.ts';
import { createTray, type MailstopTray } from '../../electron/tray.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { trayIconFile, trayState, type TrayState } from '../../electron/tray-icon.ts';
import { createFakeApi, type FakeApi } from './fake-api.ts';
import { fake, resetFake, type Tray } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const settle = () => new Promise((r) => setImmediate(r));

describe('tray', () => {
  let api: FakeApi;
  let remembered: ResumeMode | undefined;
  let opened: number;
  let quit: number;
  let tray: Tray;
  let handle: MailstopTray;

  beforeEach(async () => {
    resetFake();
    api = createFakeApi();
    remembered = undefined;
    opened = 0;
    quit = 0;
    handle = createTray({
      api, memory: { get: () => remembered, set: (m) => { remembered = m; } },
      onOpen: () => { opened++; }, onQuit: () => { quit++; },
    });
    await handle.refresh();
    tray = fake.trays[0];
    api.calls.length = 0;
  });

  const labels = () => tray.menu!.items.map((i) => i.label ?? i.type);

  it('shows online state and the queue count', async () => {
    api.statusValue = { ...api.statusValue, counts: { total: 3, active: 0, deferred: 3, hold: 0, corrupt: 0 } };
    tray.emit('click'); // clicking the icon opens the window
    api.emit({ type: 'queue:counts', counts: api.statusValue.counts, flushing: false, flush: null });
    await settle();
    expect(tray.tooltip).toBe('Mailstop — online, 3 messages queued; send when online');
    expect(tray.title).toBe('3');
    expect(labels().slice(0, 2)).toEqual(['Online: smart host answered EHLO', '3 messages queued']);
    expect(opened).toBe(1);

    api.statusValue = { ...api.statusValue, online: { online: false, since: 0, reason: 'cannot resolve smtp.provider.example' }, counts: { total: 1, active: 0, deferred: 1, hold: 0, corrupt: 0 } };
    api.emit({ type: 'online:changed', online: api.statusValue.online });
    await settle();
    expect(tray.tooltip).toBe('Mailstop — offline, 1 message queued; send when online');
    expect(labels()).toContain('Mode: Send when online, hold when offline');
    expect(labels()[0]).toBe('Offline: cannot resolve smtp.provider.example');
  });

  it('ignores events that cannot change it', async () => {
    api.emit({ type: 'log:line', line: 'x' });
    // One queue change is not news for the tray: the counts snapshot that follows is.
    api.emit({ type: 'queue:added', entry: {} as never });
    api.emit({ type: 'delivery:transcript', id: 'A', line: '>>> EHLO' });
    await settle();
    expect(api.calls).toEqual([]);
  });

  it('Flush now calls flush', async () => {
    tray.clickItem('flush');
    await settle();
    expect(api.calls.map((c) => c.method)).toEqual(['flush']);
  });

  it('Hold all switches delivery.mode to deferred and Resume restores the previous mode', async () => {
    api.settings = { ...api.settings, delivery: { ...api.settings.delivery, mode: 'queueonly' } };
    await handle.refresh();
    tray.clickItem('hold');
    await settle();
    expect(api.calls.filter((c) => c.method === 'updateSettings').map((c) => c.args)).toEqual([[{ delivery: { mode: 'deferred' } }]]);
    expect(remembered).toBe('queueonly');

    api.emit({ type: 'settings:changed', settings: api.settings });
    await settle();
    expect(labels()).toContain('Resume');
    expect(labels()).not.toContain('Hold all');
    expect(tray.tooltip).toContain('holding all mail');

    api.calls.length = 0;
    tray.clickItem('resume');
    await settle();
    expect(api.calls.filter((c) => c.method === 'updateSettings').map((c) => c.args)).toEqual([[{ delivery: { mode: 'queueonly' } }]]);
  });

  it('Resume with nothing remembered goes back to sending when online', async () => {
    api.settings = { ...api.settings, delivery: { ...api.settings.delivery, mode: 'deferred' } };
    await handle.refresh();
    tray.clickItem('resume');
    await settle();
    expect(api.settings.delivery.mode).toBe('whenonline');
  });

  it('Open and Quit reach the app', () => {
    tray.clickItem('open');
    tray.clickItem('quit');
    expect([opened, quit]).toEqual([1, 1]);
  });

  it('disables Flush now while a flush runs', async () => {
    api.statusValue = { ...api.statusValue, flushing: true };
    await handle.refresh();
    const flush = tray.menu!.items.find((i) => i.id === 'flush');
    expect(flush).toMatchObject({ label: 'Flushing…', enabled: false });
  });

  it('reports a failed action instead of throwing', async () => {
    resetFake();
    const errors: string[] = [];
    const failing = createFakeApi();
    failing.flush = async () => { throw new Error('engine is not running'); };
    const t = createTray({ api: failing, memory: { get: () => undefined, set: () => undefined }, onOpen() {}, onQuit() {},
      onError: (action, err) => errors.push(`${action}: ${(err as Error).message}`) });
    await t.refresh();
    fake.trays[0].clickItem('flush');
    await settle();
    expect(errors).toEqual(['Flush now: engine is not running']);
    t.destroy();
    expect(fake.trays[0].destroyed).toBe(true);
    expect(failing.listeners).toBe(0);
  });
});

describe('tray icon', () => {
  const STATES: TrayState[] = ['online', 'offline', 'held', 'error'];
  const size = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

  it.each([
    ['online', { online: true, mode: 'whenonline', corrupt: 0 }],
    ['offline', { online: false, mode: 'whenonline', corrupt: 0 }],
    ['held', { online: true, mode: 'deferred', corrupt: 0 }],
    ['held', { online: false, mode: 'deferred', corrupt: 0 }],
    ['error', { online: true, mode: 'whenonline', corrupt: 2 }],
  ] as const)('status → %s', (want, s) => {
    const api = createFakeApi();
    const status = { ...api.statusValue, mode: s.mode, online: { ...api.statusValue.online, online: s.online },
      counts: { ...api.statusValue.counts, corrupt: s.corrupt } };
    expect(trayState(status)).toBe(want);
  });

  it('no answer from the engine is the error state', () => {
    expect(trayState(null)).toBe('error');
  });

  it.each([['linux'], ['win32'], ['darwin']] as const)('each state has its own 16 px PNG with a 32 px @2x on %s', (platform) => {
    const seen = new Set<string>();
    for (const state of STATES) {
      const file = trayIconFile(state, platform);
      expect(path.basename(file)).toBe(`tray-${state}${platform === 'darwin' ? 'Template' : ''}.png`);
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(size(png)).toEqual([16, 16]);
      expect(size(readFileSync(file.replace(/\.png$/, '@2x.png')))).toEqual([32, 32]);
      seen.add(png.toString('base64'));
    }
    expect(seen.size).toBe(STATES.length); // four different pictures, not one recoloured file
  });

  it('the tray shows the file for the engine\'s state, and the error icon when status fails', async () => {
    resetFake();
    const api = createFakeApi();
    const t = createTray({ api, memory: { get: () => undefined, set: () => undefined }, onOpen() {}, onQuit() {}, onError() {} });
    const shown = () => path.basename((fake.trays[0].image as { path: string }).path, '.png').replace(/Template$/, '');
    await t.refresh();
    expect(shown()).toBe('tray-online');
    api.statusValue = { ...api.statusValue, online: { ...api.statusValue.online, online: false } };
    await t.refresh();
    expect(shown()).toBe('tray-offline');
    api.settings.delivery.mode = 'deferred'; // the fake's status() reports the settings' mode
    await t.refresh();
    expect(shown()).toBe('tray-held');
    api.status = async () => { throw new Error('engine stopped'); };
    await expect(t.refresh()).rejects.toThrow('engine stopped');
    expect(shown()).toBe('tray-error');
    t.destroy();
  });
});
