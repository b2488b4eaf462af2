import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResumeMode } from '../../electron/hold-mode.ts';
import { createTray, type MailstopTray } from '../../electron/tray.ts';
import { trayIconPng } from '../../electron/tray-icon.ts';
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
  it.each([[true], [false]])('is a 16×16 RGBA PNG (online=%s), different for each state', (online) => {
    const png = trayIconPng(online);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([16, 16, 8, 6]);
    expect(png.equals(trayIconPng(!online))).toBe(false);
  });
});
