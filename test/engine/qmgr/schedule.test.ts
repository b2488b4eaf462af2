// Backoff, age without offline time, and cron queue runs driven by a moved clock.
import { describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { backoffMs, CronTicker, cronSpecs, effectiveAge, isDue } from '../../../engine/qmgr/schedule.ts';

const MIN = 60_000;
const d = SettingsSchema.parse({}).delivery; // 5m .. 1h

function entry(over: Partial<QueueEntry> = {}): QueueEntry {
  return {
    id: 'A', sender: 's@x', recipients: [{ address: 'r@y', status: 'pending' }], arrivalTime: 0, size: 1,
    state: 'active', group: 'default', attempts: 0, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' },
    ...over,
  };
}

describe('backoffMs', () => {
  const cases: [number, number][] = [[0, 5 * MIN], [1, 5 * MIN], [2, 10 * MIN], [3, 20 * MIN], [4, 40 * MIN], [5, 60 * MIN], [40, 60 * MIN], [5000, 60 * MIN]];
  for (const [attempts, want] of cases) {
    it(`after ${attempts} attempts waits ${want / MIN} min`, () => expect(backoffMs(attempts, d)).toBe(want));
  }
});

describe('effectiveAge', () => {
  const cases: { name: string; e: Partial<QueueEntry>; now: number; offline: number | null; want: number }[] = [
    { name: 'plain', e: { arrivalTime: 1000 }, now: 5000, offline: null, want: 4000 },
    { name: 'credited offline time', e: { arrivalTime: 0, offlineMs: 3000 }, now: 5000, offline: null, want: 2000 },
    { name: 'current offline spell', e: { arrivalTime: 0 }, now: 5000, offline: 4000, want: 4000 },
    { name: 'arrived while offline', e: { arrivalTime: 4500 }, now: 5000, offline: 4000, want: 0 },
  ];
  for (const c of cases) it(c.name, () => expect(effectiveAge(entry(c.e), c.now, c.offline)).toBe(c.want));
});

describe('isDue', () => {
  it('is due once the backoff passed, never while held', () => {
    expect(isDue(entry({ nextAttempt: 10 }), 9)).toBe(false);
    expect(isDue(entry({ nextAttempt: 10 }), 10)).toBe(true);
    expect(isDue(entry({ nextAttempt: 0, state: 'hold' }), 10)).toBe(false);
  });
});

describe('cronSpecs', () => {
  it('lists every default schedule and the slow queue when enabled', () => {
    const s = SettingsSchema.parse({ delivery: { queueRun: ['*/30 * * * *', '0 8 * * 1'], slowQueue: { enabled: true } } });
    expect(cronSpecs(s)).toEqual([
      { group: 'default', expr: '*/30 * * * *' }, { group: 'default', expr: '0 8 * * 1' },
      { group: 'slow', expr: '0 */4 * * *' },
    ]);
    expect(cronSpecs(SettingsSchema.parse({}))).toEqual([{ group: 'default', expr: '*/30 * * * *' }]);
  });
});

describe('CronTicker', () => {
  // Local time, as node-cron matches in the process time zone.
  const at = (h: number, m: number, s = 0) => new Date(2025, 0, 6, h, m, s).getTime();

  it('fires a group once per window in which its expression matched', () => {
    const t = new CronTicker(at(9, 0, 30));
    t.set([{ group: 'default', expr: '*/30 * * * *' }, { group: 'slow', expr: '0 */4 * * *' }]);
    expect(t.due(at(9, 29, 59))).toEqual([]);
    expect(t.due(at(9, 30))).toEqual(['default']);
    expect(t.due(at(9, 30))).toEqual([]); // same moment: not again
    expect(t.due(at(11, 59))).toEqual(['default']); // several missed runs: one catch-up
    expect(t.due(at(12, 0)).sort()).toEqual(['default', 'slow']);
  });

  it('honours a seconds field', () => {
    const t = new CronTicker(at(9, 0, 0));
    t.set([{ group: 'default', expr: '*/10 * * * * *' }]);
    expect(t.due(at(9, 0, 5))).toEqual([]);
    expect(t.due(at(9, 0, 10))).toEqual(['default']);
  });

  it('refuses a bad expression and keeps the previous schedules', () => {
    const t = new CronTicker(at(9, 0));
    t.set([{ group: 'default', expr: '*/30 * * * *' }]);
    expect(() => t.set([{ group: 'default', expr: 'whenever' }])).toThrow();
    expect(t.specs).toEqual([{ group: 'default', expr: '*/30 * * * *' }]);
    expect(t.due(at(9, 30))).toEqual(['default']);
    t.stop();
  });
});
