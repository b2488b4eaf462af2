// The tray: what a laptop user glances at (DESIGN.md "Who uses it" 1) — online
// or offline and how many messages wait — and the four things they do from it:
// Flush now, Hold all / Resume, Open, Quit.
// Owns the tray's icon, tooltip, title and menu, rebuilt from EngineApi.status()
// whenever the engine says something changed. Every action is an EngineApi call
// (or main.ts's open/quit); the tray keeps no queue state of its own.
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import { MODE_WORDS, modeLabel, type EngineApi, type EngineEvent, type EngineStatus } from '../engine/api.ts';
import { holdAll, resume, type ModeMemory } from './hold-mode.ts';
import { trayIconFile, trayState } from './tray-icon.ts';

export interface TrayDeps {
  api: EngineApi;
  memory: ModeMemory;
  onOpen(): void;
  onQuit(): void;
  /** Where a failed action is reported (main.ts logs it). */
  onError?(action: string, err: unknown): void;
}

export interface MailstopTray {
  /** Re-read status and rebuild; concurrent calls collapse into one more pass. */
  refresh(): Promise<void>;
  destroy(): void;
}

/**
 * Events after which the tray may look different; transcripts and log lines never
 * change it. Queue changes arrive as the engine's queue:counts snapshot (issue 10 §4),
 * at most four a second, so the tray shows the same number as the window.
 */
const REFRESH_ON = new Set<EngineEvent['type']>([
  'queue:counts', 'online:changed', 'settings:changed', 'flush:started', 'flush:done',
]);

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** "Mailstop — online, 3 messages queued; send when online" (engine/config/modes.ts words). */
export function trayTooltip(s: EngineStatus): string {
  const state = s.online.online ? 'online' : 'offline';
  const mode = MODE_WORDS[s.mode]?.short ?? s.mode;
  return `Mailstop — ${state}, ${plural(s.counts.total, 'message')} queued; ${mode}`;
}

/** macOS shows a title beside the icon: the queue count, or nothing when empty. */
export function trayTitle(s: EngineStatus): string {
  return s.counts.total > 0 ? String(s.counts.total) : '';
}

export interface TrayActions {
  flushNow(): void;
  holdAll(): void;
  resume(): void;
  open(): void;
  quit(): void;
}

export function trayMenuTemplate(s: EngineStatus, act: TrayActions): MenuItemConstructorOptions[] {
  const online = s.online.online ? 'Online' : 'Offline';
  const held = s.mode === 'deferred';
  return [
    { label: `${online}: ${s.online.reason || 'no details'}`, enabled: false },
    { label: `${plural(s.counts.total, 'message')} queued`, enabled: false },
    { label: `Mode: ${modeLabel(s.mode)}`, enabled: false },
    { type: 'separator' },
    { id: 'flush', label: s.flushing ? 'Flushing…' : 'Flush now', enabled: !s.flushing, click: () => act.flushNow() },
    held
      ? { id: 'resume', label: 'Resume', click: () => act.resume() }
      : { id: 'hold', label: 'Hold all', click: () => act.holdAll() },
    { type: 'separator' },
    { id: 'open', label: 'Open Mailstop', click: () => act.open() },
    { id: 'quit', label: 'Quit', click: () => act.quit() },
  ];
}

export function createTray(deps: TrayDeps): MailstopTray {
  const { api } = deps;
  const report = (action: string) => (err: unknown) => deps.onError?.(action, err);
  const tray = new Tray(nativeImage.createFromPath(trayIconFile('offline')));
  tray.setToolTip('Mailstop — starting');
  tray.on('click', () => deps.onOpen());

  const actions: TrayActions = {
    // Same as the console's Flush queue and `mailstop flush`: the engine decides what is due.
    flushNow: () => { api.flush().catch(report('Flush now')); },
    holdAll: () => { holdAll(api, deps.memory).catch(report('Hold all')); },
    resume: () => { resume(api, deps.memory).catch(report('Resume')); },
    open: () => deps.onOpen(),
    quit: () => deps.onQuit(),
  };

  let destroyed = false;
  let running: Promise<void> | null = null;
  let again = false;

  async function rebuild(): Promise<void> {
    let s: EngineStatus;
    try {
      s = await api.status();
    } catch (err) {
      // No answer from the engine: the error icon says so, then the failure is reported.
      if (!destroyed) tray.setImage(nativeImage.createFromPath(trayIconFile(trayState(null))));
      throw err;
    }
    if (destroyed) return;
    tray.setImage(nativeImage.createFromPath(trayIconFile(trayState(s))));
    tray.setToolTip(trayTooltip(s));
    tray.setTitle(trayTitle(s));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(s, actions)));
  }

  // A flush of 10 000 messages emits 10 000 events: rebuild at most once at a
  // time and once more after it, instead of once per event.
  function refresh(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await rebuild();
        } while (again && !destroyed);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const unsubscribe = api.subscribe((event) => {
    if (REFRESH_ON.has(event.type)) refresh().catch(report('refresh'));
  });

  return {
    refresh,
    destroy() {
      destroyed = true;
      unsubscribe();
      tray.destroy();
    },
  };
}
