// What the engine looks like right now, kept current from events: status (polled),
// the queue's size and a version that queue:* events bump (the Queue page asks the
// engine for the window it draws, listQueuePage, when the version moves — never the
// whole list: 100 000 entries are 40 MB), flush progress, the log tail and the
// chart history. Pages read it; only this module subscribes to the engine, so
// every page sees the same picture and none reloads to get it.
import type { EngineEvent, EngineStatus, FlushSummary } from '../../engine/api.ts';
import type { QueueId } from '../../engine/contracts.ts';
import type { Settings } from '../../engine/api.ts';
import type { MailstopClient } from '../api/client.ts';
import { CHART_HOURS, emptyHistory, HISTORY_POLL_MS, type History } from './history.ts';
import { prefetchQueue } from './queue-prefetch.ts';
import { createStore, type Store } from './store.ts';

/** Status (online state, counts) is polled: the engine sends no event for counts. */
const STATUS_POLL_MS = 3000;
/** Lines of maillog kept in memory for the Logs page; older lines are a tailLog call away. */
export const LOG_KEEP = 5000;
/** Queue events within this window are applied together (one map copy per batch). */
const BATCH_MS = 50;

export interface FlushState { running: boolean; done: number; total: number; lastId?: QueueId; summary: FlushSummary | null; error?: string }

export interface LiveState {
  connected: boolean;
  status: EngineStatus | null;
  settings: Settings | null;
  error: string | null;
  /** How many messages are queued: from status, kept current by queue events between polls. */
  queue: QueueSize;
  queueLoaded: boolean;
  /** Bumped once per batch of queue events: whoever shows queue contents asks the engine again. */
  queueVersion: number;
  /** IDs that left the queue in the last batch (the Queue page drops them from its selection). */
  queueRemoved: readonly QueueId[];
  /** Messages with a delivery attempt in flight right now. */
  delivering: ReadonlySet<QueueId>;
  flush: FlushState;
  log: string[];
  history: History;
}

export interface QueueSize { readonly size: number }

export interface Live {
  store: Store<LiveState>;
  client: MailstopClient;
  /** Tell every queue view to ask the engine again (after a reconnect or an action). */
  refreshQueue(): Promise<void>;
  refreshStatus(): Promise<void>;
  setSettings(settings: Settings): void;
  /** Run a flush and keep its progress in the store (the Overview button, the tray). */
  flush(options?: Parameters<MailstopClient['flush']>[0]): Promise<FlushSummary | null>;
  stop(): void;
}

export function createLive(client: MailstopClient): Live {
  const store = createStore<LiveState>({
    connected: false, status: null, settings: null, error: null, queue: { size: 0 }, queueLoaded: false, queueVersion: 0, queueRemoved: [], delivering: new Set(),
    flush: { running: false, done: 0, total: 0, summary: null }, log: [], history: emptyHistory(),
  });
  // Queue events and log lines are applied in batches: a big flush sends thousands,
  // and each batch makes the Queue page ask the engine once, not once per event.
  let batch: EngineEvent[] = [];
  let batchTimer: ReturnType<typeof setTimeout> | null = null;

  function applyBatch(): void {
    batchTimer = null;
    const events = batch;
    batch = [];
    store.set((s) => {
      let queueEvents = 0;
      const removed: QueueId[] = [];
      let delivering: Set<QueueId> | null = null;
      const lines: string[] = [];
      for (const e of events) {
        if (e.type === 'log:line') {
          lines.push(e.line);
          continue;
        }
        if (e.type === 'delivery:attempting') {
          (delivering ??= new Set(s.delivering)).add(e.id);
          continue;
        }
        queueEvents++;
        // The size itself comes only from the engine's snapshot (queue:counts, status).
        if (e.type === 'queue:removed') removed.push(e.id);
        // A changed or removed entry is the end of its attempt (results are committed).
        if (e.type === 'queue:changed') (delivering ??= new Set(s.delivering)).delete(e.entry.id);
        if (e.type === 'queue:removed') (delivering ??= new Set(s.delivering)).delete(e.id);
      }
      const log = lines.length === 0 ? s.log : [...s.log, ...lines].slice(-LOG_KEEP);
      const queueChanged = queueEvents > 0 ? { queueVersion: s.queueVersion + 1, queueRemoved: removed } : {};
      return { ...s, log, ...queueChanged, delivering: delivering ?? s.delivering };
    });
  }

  function onEvent(e: EngineEvent): void {
    const queueEvent = e.type === 'queue:added' || e.type === 'queue:changed' || e.type === 'queue:removed';
    if (queueEvent || e.type === 'delivery:attempting' || e.type === 'log:line') {
      batch.push(e);
      batchTimer ??= setTimeout(applyBatch, BATCH_MS);
      return;
    }
    store.set((s) => {
      switch (e.type) {
        case 'flush:started':
          return { ...s, flush: { running: true, done: 0, total: e.total, summary: null } };
        case 'flush:progress':
          return { ...s, flush: { ...s.flush, running: true, done: e.done, total: e.total, lastId: e.id } };
        case 'flush:done':
          return { ...s, flush: { ...s.flush, running: false, done: s.flush.total, summary: e.summary } };
        case 'online:changed':
          return s.status ? { ...s, status: { ...s.status, online: e.online } } : s;
        case 'queue:counts':
          // The engine's one snapshot: header, cards, tray and progress show these numbers.
          return {
            ...s, queue: { size: e.counts.total }, queueLoaded: true,
            status: s.status ? { ...s.status, counts: e.counts, flushing: e.flushing, flush: e.flush } : s.status,
          };
        case 'settings:changed':
          return { ...s, settings: e.settings, status: s.status ? { ...s.status, mode: e.settings.delivery.mode } : s.status };
        default:
          return s;
      }
    });
  }

  async function refreshQueue(): Promise<void> {
    store.set((s) => ({ ...s, queueVersion: s.queueVersion + 1 }), true);
  }

  async function refreshStatus(): Promise<void> {
    try {
      const status = await client.status();
      store.set((s) => ({ ...s, status, error: null, queue: { size: status.counts.total }, queueLoaded: true }));
    } catch (err) {
      store.set((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
    }
  }

  async function refreshHistory(): Promise<void> {
    try {
      const history = await client.getHistory(CHART_HOURS);
      store.set((s) => ({ ...s, history }));
    } catch {
      // Only the chart: the next poll tries again; the status error speaks for the engine.
    }
  }

  async function refreshSettings(): Promise<void> {
    const settings = await client.getSettings();
    store.set((s) => ({ ...s, settings }));
  }

  /** After a save the engine's answer is the truth, even before its event arrives. */
  function setSettings(settings: Settings): void {
    store.set((s) => ({ ...s, settings, status: s.status ? { ...s.status, mode: settings.delivery.mode } : s.status }), true);
  }

  async function refreshLog(): Promise<void> {
    const lines = await client.tailLog(500);
    store.set((s) => ({ ...s, log: lines }));
  }

  async function flush(options: Parameters<MailstopClient['flush']>[0] = {}): Promise<FlushSummary | null> {
    store.set((s) => ({ ...s, flush: { running: true, done: 0, total: s.flush.total, summary: null } }), true);
    try {
      const summary = await client.flush(options);
      store.set((s) => ({ ...s, flush: { ...s.flush, running: false, summary, done: s.flush.total } }), true);
      void refreshStatus();
      void refreshHistory();
      return summary;
    } catch (err) {
      store.set((s) => ({ ...s, flush: { ...s.flush, running: false, error: err instanceof Error ? err.message : String(err) } }), true);
      return null;
    }
  }

  prefetchQueue(client);
  const unsubscribe = client.subscribe(onEvent);
  const unConnection = client.onConnection((connected) => {
    store.set((s) => ({ ...s, connected }));
    // Events may have been missed while the stream was down: reload what they maintain.
    if (connected) void Promise.all([refreshQueue(), refreshStatus(), refreshLog(), refreshSettings(), refreshHistory()])
      .catch((err: unknown) => store.set((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) })));
  });
  const poll = setInterval(() => void refreshStatus(), STATUS_POLL_MS);
  const historyPoll = setInterval(() => void refreshHistory(), HISTORY_POLL_MS);
  // Chromium's own network events (the window is on the engine's machine): the gate
  // re-checks at once instead of at its next timer (issue 10 §2).
  const onNetwork = (): void => { client.networkChanged().catch(() => undefined); };
  globalThis.addEventListener?.('online', onNetwork);
  globalThis.addEventListener?.('offline', onNetwork);

  return {
    store, client, refreshQueue, refreshStatus, flush, setSettings,
    stop() {
      if (batchTimer) clearTimeout(batchTimer);
      unsubscribe();
      unConnection();
      clearInterval(poll);
      clearInterval(historyPoll);
      globalThis.removeEventListener?.('online', onNetwork);
      globalThis.removeEventListener?.('offline', onNetwork);
    },
  };
}
