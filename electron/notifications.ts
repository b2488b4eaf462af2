// Desktop notifications for the three things a person should hear about without
// opening the window (issue 4 item 2):
//   1. back online and the held mail went out — "Back online — 3 messages sent"
//      (an online:changed to online, then the flush it starts finishing);
//   2. bounces — a recipient the remote side refused for good;
//   3. failures that need a person — the smart host refusing our AUTH
//      (535/534/530, RFC 4954 §6), which no retry will fix.
// Owns the rules that turn EngineEvents into notices (`noticesFor`, pure) and
// showing them. Never acts on the queue.
import { Notification } from 'electron';
import type { EngineApi, EngineEvent } from '../engine/api.ts';

export interface Notice {
  kind: 'back-online' | 'bounce' | 'auth-refused';
  title: string;
  body: string;
}

/**
 * RFC 4954 §6: 535 5.7.8 credentials invalid, 534 5.7.9 mechanism too weak,
 * 530 5.7.0 authentication required. The SMTP transport reports a refused
 * AUTH as "AUTH failure with host.: 535 5.7.8 ...".
 */
const AUTH_REFUSED = /(?:^|[\s:])53[045](?:[\s-]|$)/;

export function isAuthRefusal(reply: string): boolean {
  return AUTH_REFUSED.test(reply) || /^AUTH failure\b/i.test(reply);
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** What the notifier remembers between events. */
export interface NoticeState {
  lastOnline: boolean | null;
  /** Came online; the next finished flush reports what it sent. */
  armed: boolean;
  /** Between flush:started and flush:done bounces are gathered into one notice. */
  flushing: boolean;
  bounces: { address: string; reply: string }[];
  /** Said once per problem: reset when the settings change or a message goes out. */
  authAlerted: boolean;
}

export function initialNoticeState(): NoticeState {
  return { lastOnline: null, armed: false, flushing: false, bounces: [], authAlerted: false };
}

function bounceNotice(list: { address: string; reply: string }[]): Notice {
  if (list.length === 1) {
    return { kind: 'bounce', title: `Message to ${list[0].address} bounced`, body: list[0].reply };
  }
  const shown = list.slice(0, 3).map((b) => b.address).join(', ');
  const more = list.length > 3 ? ` and ${list.length - 3} more` : '';
  return { kind: 'bounce', title: `${plural(list.length, 'recipient')} bounced`, body: `${shown}${more}` };
}

/** The notices one event causes, updating `state` (the rules; no Electron here). */
export function noticesFor(state: NoticeState, event: EngineEvent): Notice[] {
  switch (event.type) {
    case 'online:changed': {
      const online = event.online.online;
      if (online && state.lastOnline !== true) state.armed = true;
      if (!online) state.armed = false;
      state.lastOnline = online;
      return [];
    }
    case 'flush:started':
      state.flushing = true;
      state.bounces = [];
      return [];
    case 'flush:done': {
      const out: Notice[] = [];
      if (state.armed && event.summary.sent > 0) {
        out.push({ kind: 'back-online', title: `Back online — ${plural(event.summary.sent, 'message')} sent`,
          body: event.summary.deferred > 0 ? `${event.summary.deferred} still waiting` : 'The queue is empty.' });
      }
      state.armed = false;
      if (state.bounces.length > 0) out.push(bounceNotice(state.bounces));
      state.flushing = false;
      state.bounces = [];
      return out;
    }
    case 'settings:changed':
      state.authAlerted = false; // new credentials deserve a new verdict
      return [];
    case 'delivery:result': {
      if (event.status === 'sent') {
        state.authAlerted = false;
        return [];
      }
      const out: Notice[] = [];
      if (isAuthRefusal(event.reply) && !state.authAlerted) {
        state.authAlerted = true;
        out.push({ kind: 'auth-refused', title: 'The smart host refused the login',
          body: `${event.reply}\nCheck the user name and password under Smart host; mail waits in the queue meanwhile.` });
      }
      if (event.status === 'bounced') {
        const b = { address: event.address, reply: event.reply };
        if (state.flushing) state.bounces.push(b);
        else out.push(bounceNotice([b]));
      }
      return out;
    }
    default:
      return [];
  }
}

export interface NotifierOptions {
  /** How a notice is shown; default an Electron Notification. */
  show?(notice: Notice): void;
}

function showNative(notice: Notice): void {
  if (!Notification.isSupported()) return; // e.g. no notification daemon on a bare Linux desktop
  new Notification({ title: notice.title, body: notice.body, urgency: notice.kind === 'back-online' ? 'low' : 'normal' }).show();
}

/** Subscribe to the engine and show notices; returns the unsubscribe function. */
export function startNotifications(api: Pick<EngineApi, 'subscribe'>, opts: NotifierOptions = {}): () => void {
  const state = initialNoticeState();
  const show = opts.show ?? showNative;
  return api.subscribe((event) => {
    for (const notice of noticesFor(state, event)) show(notice);
  });
}
