import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent, FlushSummary } from '../../engine/api.ts';
import { isAuthRefusal, startNotifications } from '../../electron/notifications.ts';
import { createFakeApi, type FakeApi } from './fake-api.ts';
import { fake, resetFake } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const online = (on: boolean): EngineEvent => ({ type: 'online:changed', online: { online: on, since: 0, reason: on ? 'up' : 'down' } });
const done = (s: Partial<FlushSummary>): EngineEvent => ({
  type: 'flush:done', summary: { attempted: 0, sent: 0, deferred: 0, bounced: 0, skipped: 0, durationMs: 5, ...s },
});
const result = (status: 'sent' | 'deferred' | 'bounced', reply: string, address = 'bob@example.org'): EngineEvent =>
  ({ type: 'delivery:result', id: 'Q1', address, status, reply });
const AUTH_REPLY = 'AUTH failure with smtp.provider.example.: 535 5.7.8 Authentication credentials invalid';

describe('desktop notifications', () => {
  let api: FakeApi;
  beforeEach(() => {
    resetFake();
    api = createFakeApi();
    startNotifications(api);
  });
  const play = (...events: EngineEvent[]) => { for (const e of events) api.emit(e); };
  const titles = () => fake.notifications.map((n) => n.title);

  it('says "back online — N messages sent" when the flush after coming online finishes', () => {
    play(online(false), online(true), { type: 'flush:started', total: 3 }, done({ attempted: 3, sent: 3 }));
    expect(fake.notifications).toEqual([{ title: 'Back online — 3 messages sent', body: 'The queue is empty.' }]);
  });

  it('stays quiet when nothing was sent, or for an ordinary flush while online', () => {
    play(online(false), online(true), done({ attempted: 2, deferred: 2 }));
    play(done({ attempted: 1, sent: 1 })); // a later flush, not the one after coming online
    play(online(true), online(false), done({ sent: 4 })); // went offline again before it finished
    expect(fake.notifications).toEqual([]);
  });

  it('tells about a bounce outside a flush at once', () => {
    play(result('bounced', '550 5.1.1 <bob@example.org>: user unknown'));
    expect(fake.notifications).toEqual([{ title: 'Message to bob@example.org bounced', body: '550 5.1.1 <bob@example.org>: user unknown' }]);
  });

  it('gathers the bounces of one flush into one notice', () => {
    play({ type: 'flush:started', total: 5 });
    for (const a of ['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example']) play(result('bounced', '550 5.1.1 no such user', a));
    play(done({ attempted: 5, bounced: 4, sent: 1 }));
    expect(fake.notifications).toEqual([{ title: '4 recipients bounced', body: 'a@x.example, b@x.example, c@x.example and 1 more' }]);
  });

  it('warns once when the smart host refuses our login, again after the settings change', () => {
    play(result('deferred', AUTH_REPLY), result('deferred', AUTH_REPLY, 'carol@example.org'));
    expect(titles()).toEqual(['The smart host refused the login']);
    expect(fake.notifications[0].body).toContain('535 5.7.8');
    play({ type: 'settings:changed', settings: api.settings }, result('deferred', AUTH_REPLY));
    expect(titles()).toEqual(['The smart host refused the login', 'The smart host refused the login']);
  });

  it('does not call an ordinary deferral a login problem', () => {
    play(result('deferred', '451 4.3.0 try again later'), result('deferred', 'Connection refused by mx.example.org.'));
    expect(fake.notifications).toEqual([]);
  });

  it('shows nothing where the desktop has no notifications', () => {
    fake.notificationsSupported = false;
    play(result('bounced', '550 5.1.1 user unknown'));
    expect(fake.notifications).toEqual([]);
  });
});

describe('isAuthRefusal', () => {
  it.each([
    [AUTH_REPLY, true],
    ['535 5.7.8 Authentication credentials invalid', true],
    ['534 5.7.9 Authentication mechanism is too weak', true],
    ['530 5.7.0 Authentication required', true],
    ['550 5.1.1 user unknown', false],
    ['452 4.2.2 mailbox full; 5350 messages', false],
    ['250 2.0.0 queued as 5353', false],
  ])('%s → %s', (got, want) => {
    expect(isAuthRefusal(got)).toBe(want);
  });
});
