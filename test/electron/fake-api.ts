// A small EngineApi for the Electron tests that only need to see which method
// was called with what: every method records its call and answers with plain
// data; `emit` plays an engine event. Tests that need the real engine use it
// (main.test.ts, ipc-contract.test.ts).
import { ENGINE_API_METHODS, type EngineApi, type EngineApiMethod, type EngineEvent, type EngineStatus } from '../../engine/api.ts';
import { SettingsSchema, type Settings } from '../../engine/config/schema.ts';

export interface FakeApi extends EngineApi {
  calls: { method: EngineApiMethod; args: unknown[] }[];
  settings: Settings;
  statusValue: EngineStatus;
  emit(event: EngineEvent): void;
  listeners: number;
}

export function fakeStatus(over: Partial<EngineStatus> = {}): EngineStatus {
  return {
    version: '0.1.0', hostname: 'laptop.example', home: '/tmp/h', startedAt: 0, pid: 1, listeners: [],
    mode: 'whenonline', online: { online: true, since: 0, reason: 'smart host answered EHLO' },
    counts: { total: 0, active: 0, deferred: 0, hold: 0, corrupt: 0 }, flushing: false, ...over,
  };
}

export function createFakeApi(): FakeApi {
  const subscribers = new Set<(e: EngineEvent) => void>();
  const api = {
    calls: [] as FakeApi['calls'],
    settings: SettingsSchema.parse({}),
    statusValue: fakeStatus(),
    emit(event: EngineEvent) { for (const s of subscribers) s(event); },
    get listeners() { return subscribers.size; },
    subscribe(listener: (e: EngineEvent) => void) {
      subscribers.add(listener);
      return () => { subscribers.delete(listener); };
    },
  } as FakeApi;
  const answers: Partial<Record<EngineApiMethod, (...args: any[]) => unknown>> = {
    status: () => ({ ...api.statusValue, mode: api.settings.delivery.mode }),
    getSettings: () => api.settings,
    updateSettings: (patch: { delivery?: Partial<Settings['delivery']> }) => {
      api.settings = { ...api.settings, delivery: { ...api.settings.delivery, ...patch.delivery } };
      return { ok: true, settings: api.settings };
    },
    flush: () => ({ attempted: 0, sent: 0, deferred: 0, bounced: 0, skipped: 0, durationMs: 0 }),
  };
  for (const method of ENGINE_API_METHODS) {
    (api as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      api.calls.push({ method, args });
      const answer = answers[method];
      return answer ? answer(...args) : { method, args };
    };
  }
  return api;
}
