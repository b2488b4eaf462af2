// What the engine looks like right now, kept current from events: status (polled),
// the queue (listQueue once, then queue:* events), flush progress, the log tail and
// the chart history. Pages read it; only this module subscribes to the engine, so
// every page sees the same picture and none reloads to get it.
import type { EngineEvent, EngineStatus, FlushSummary } from '../../engine/api.ts';
import type { QueueEntry, QueueId } from '../../engine/contracts.ts';
import type { Settings } from '../../engine/config/schema.ts';
import type { MailstopClient } from '../api/client.ts';
import { addDelivery, addSample, loadHistory, saveHistory, type History } from './history.ts';
import { createStore, type Store } from './store.ts';

/** Status (online state, counts) is polled: the engine sends no event for counts. */
const STATUS_POLL_MS = 3000;
/** Lines of maillog kept in memory for the Logs page; older lines are a tailLog call away. */
export const LOG_KEEP = 5000;
/** Queue events within this window are applied together (one map copy per batch). */
const BATCH_MS = 50;
/** Save the chart history this often rather than on every event. */
const HISTORY_SAVE_MS = 60e3;

export interface FlushState { running: boolean; done: number; total: number; lastId?: QueueId; summary: FlushSummary | null; error?: string }

export interface LiveState {
  connected: boolean;
  status: EngineStatus | null;
  settings: Settings | null;
  error: string | null;
  /** The queue by id. Replaced (not mutated) on change, so React sees new identity. */
  queue: ReadonlyMap<QueueId, QueueEntry>;
  queueLoaded: boolean;
  /** Messages with a delivery attempt in flight right now. */
  delivering: ReadonlySet<QueueId>;
  flush: FlushState;
  log: string[];
  history: History;
}

export interface Live {
  store: Store<LiveState>;
  client: MailstopClient;
  refreshQueue(): Promise<void>;
  refreshStatus(): Promise<void>;
  setSettings(settings: Settings): void;
  /** Run a flush and keep its progress in the store (the Overview button, the tray). */
  flush(options?: Parameters<MailstopClient['flush']>[0]): Promise<FlushSummary | null>;
  stop(): void;
}

export function createLive(client: MailstopClient): Live {
  const store = createStore<LiveState>({
    connected: false, status: null, settings: null, error: null, queue: new Map(), queueLoaded: false, delivering: new Set(),
    flush: { running: false, done: 0, total: 0, summary: null }, log: [], history: loadHistory(Date.now()),
  });
  // Events that arrive while listQueue is in flight are replayed on top of its answer.
  let pending: EngineEvent[] | null = null;

  function applyQueue(queue: Map<QueueId, QueueEntry>, e: EngineEvent): void {
    if (e.type === 'queue:added' || e.type === 'queue:changed') queue.set(e.entry.id, e.entry);
    else if (e.type === 'queue:removed') queue.delete(e.id);
  }

  // Queue events and log lines are applied in batches: copying a 100 000-entry map
  // per event would make a big flush quadratic. One copy per batch keeps it linear.
  let batch: EngineEvent[] = [];
  let batchTimer: ReturnType<typeof setTimeout> | null = null;

  function applyBatch(): void {
    batchTimer = null;
    const events = batch;
    batch = [];
    store.set((s) => {
      let queue: Map<QueueId, QueueEntry> | null = null;
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
        applyQueue((queue ??= new Map(s.queue)), e);
        // A changed or removed entry is the end of its attempt (results are committed).
        if (e.type === 'queue:changed') (delivering ??= new Set(s.delivering)).delete(e.entry.id);
        if (e.type === 'queue:removed') (delivering ??= new Set(s.delivering)).delete(e.id);
      }
      const log = lines.length === 0 ? s.log : [...s.log, ...lines].slice(-LOG_KEEP);
      return { ...s, log, queue: queue ?? s.queue, delivering: delivering ?? s.delivering };
    });
  }

  function onEvent(e: EngineEvent): void {
    const queueEvent = e.type === 'queue:added' || e.type === 'queue:changed' || e.type === 'queue:removed';
    if (queueEvent || e.type === 'delivery:attempting' || e.type === 'log:line') {
      if (queueEvent && pending) pending.push(e);
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
        case 'settings:changed':
          return { ...s, settings: e.settings, status: s.status ? { ...s.status, mode: e.settings.delivery.mode } : s.status };
        case 'delivery:result':
          return e.status === 'sent' ? { ...s, history: addDelivery(s.history, Date.now()) } : s;
        default:
          return s;
      }
    });
  }

  async function refreshQueue(): Promise<void> {
    pending = [];
    try {
      const entries = await client.listQueue();
      // Map order is arrival order (new entries are appended, changes keep their
      // place), so the Queue page never has to sort 100 000 rows.
      entries.sort((a, b) => a.arrivalTime - b.arrivalTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const queue = new Map(entries.map((e) => [e.id, e]));
      for (const e of pending) applyQueue(queue, e);
      store.set((s) => ({ ...s, queue, queueLoaded: true, delivering: new Set([...s.delivering].filter((id) => queue.has(id))) }));
    } finally {
      pending = null;
    }
  }

  async function refreshStatus(): Promise<void> {
    try {
      const status = await client.status();
      store.set((s) => ({ ...s, status, error: null, history: addSample(s.history, Date.now(), status.counts.total) }));
    } catch (err) {
      store.set((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
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
      return summary;
    } catch (err) {
      store.set((s) => ({ ...s, flush: { ...s.flush, running: false, error: err instanceof Error ? err.message : String(err) } }), true);
      return null;
    }
  }

  const unsubscribe = client.subscribe(onEvent);
  const unConnection = client.onConnection((connected) => {
    store.set((s) => ({ ...s, connected }));
    // Events may have been missed while the stream was down: reload what they maintain.
    if (connected) void Promise.all([refreshQueue(), refreshStatus(), refreshLog(), refreshSettings()])
      .catch((err: unknown) => store.set((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) })));
  });
  const poll = setInterval(() => void refreshStatus(), STATUS_POLL_MS);
  const save = setInterval(() => saveHistory(store.get().history), HISTORY_SAVE_MS);
  const onUnload = (): void => saveHistory(store.get().history);
  globalThis.addEventListener?.('pagehide', onUnload);

  return {
    store, client, refreshQueue, refreshStatus, flush, setSettings,
    stop() {
      if (batchTimer) clearTimeout(batchTimer);
      unsubscribe();
      unConnection();
      clearInterval(poll);
      clearInterval(save);
      globalThis.removeEventListener?.('pagehide', onUnload);
    },
  };
}
