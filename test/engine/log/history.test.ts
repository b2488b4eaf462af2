// The engine's per-hour history (Overview chart): counts messages as they are
// queued and leave, keeps the queue size per hour, and survives a restart.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../engine/index.ts';
import { createHistory, HOUR_MS } from '../../../engine/log/history.ts';
import type { SettingsInput } from '../../../engine/config/schema.ts';

let home: string;
beforeEach(async () => { home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-history-')); });
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

describe('history keeper', () => {
  it('counts per clock hour; an hour with nothing keeps the queue size before it', async () => {
    let now = Date.UTC(2026, 0, 1, 10, 30);
    const file = path.join(home, 'history.json');
    const h = createHistory({ file, now: () => now });
    await h.start(2);
    h.record({ type: 'queue:added' });
    h.record({ type: 'queue:removed', why: 'delivered' });
    h.record({ type: 'queue:removed', why: 'bounced' });
    now += 2 * HOUR_MS;
    h.record({ type: 'queue:added' });
    h.record({ type: 'log:line' });
    const got = h.hours(4);
    expect(got.map((r) => r.hour)).toEqual([-1, 0, 1, 2].map((i) => Date.UTC(2026, 0, 1, 10 + i)));
    expect(got.map((r) => [r.received, r.delivered, r.bounced, r.queued])).toEqual([[0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 1], [1, 0, 0, 2]]);
    await h.flush();
    // Another keeper on the same file (a restart) sees the same hours.
    const again = createHistory({ file, now: () => now });
    await again.start(2);
    expect(again.hours(4)).toEqual(got);
  });

  it('a damaged file starts an empty history instead of failing', async () => {
    const file = path.join(home, 'history.json');
    await fs.writeFile(file, '{not json');
    const h = createHistory({ file, now: () => Date.UTC(2026, 0, 1) });
    await h.start(0);
    expect(h.hours(24).every((r) => r.received === 0)).toBe(true);
  });
});

describe('engine getHistory', () => {
  const settings: SettingsInput = { hostname: 'mta.test', listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false }, delivery: { mode: 'queueonly' } };
  const submit = (e: Engine, to: string) => e.submit({
    envelope: { sender: 'a@mta.test', recipients: [{ address: to }] }, messageBase64: Buffer.from('Subject: x\n\nbody\n').toString('base64'),
  });

  it('counts received messages and keeps them across a restart', async () => {
    const first = await createEngine({ home, settings, timers: false, passwdFile: '' });
    await first.start();
    await submit(first, 'b@dest.test');
    await submit(first, 'c@dest.test');
    const before = await first.getHistory();
    expect(before).toHaveLength(24);
    expect(before.at(-1)).toMatchObject({ received: 2, queued: 2 });
    await first.stop();
    const second = await createEngine({ home, settings, timers: false, passwdFile: '' });
    await second.start();
    try {
      expect((await second.getHistory()).at(-1)).toMatchObject({ received: 2, queued: 2 });
    } finally {
      await second.stop();
    }
  });
});
