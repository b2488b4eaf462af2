// updateSettings refuses routing mistakes with the field and reason (issue 5
// "Bad input"), for every adapter alike: the UI, `mailstop config set` and IPC.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.ts';

let home: string;
let engine: Engine;
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-routing-'));
  engine = await createEngine({
    home, timers: false, passwdFile: '',
    settings: { hostname: 'mta.test', listen: { smtp: 0, submission: false, smtps: false } },
  });
  await engine.start();
});
afterEach(async () => {
  await engine.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('updateSettings and routing problems', () => {
  const cases = [
    { name: 'alias loop', patch: { aliases: { a: ['b'], b: ['a'] } }, want: /^aliases\.(a|b)$/, text: /alias loop/ },
    { name: 'relative .forward path', patch: { forwards: { alice: ['mail/backup'] } }, want: /^forwards\.alice/, text: /relative|absolute/i },
    { name: 'missing program', patch: { aliases: { robot: ['|/nonexistent/bin/robot'] } }, want: /^aliases\.robot/, text: /nonexistent|not/i },
  ];
  for (const c of cases) {
    it(`refuses a ${c.name} with the field named, and keeps the saved settings`, async () => {
      const before = await engine.getSettings();
      const got = await engine.updateSettings(c.patch);
      expect(got.ok).toBe(false);
      if (got.ok) return;
      expect(got.errors.some((e) => c.want.test(e.path) && c.text.test(e.message))).toBe(true);
      expect(await engine.getSettings()).toEqual(before);
    });
  }

  it('does not let an old problem in another section block an unrelated change', async () => {
    // A problem can reach config.json by hand (start-up only checks the schema).
    await engine.stop();
    engine = await createEngine({
      home, timers: false, passwdFile: '',
      settings: { hostname: 'mta.test', listen: { smtp: 0, submission: false, smtps: false }, aliases: { robot: ['|/nonexistent/bin/robot'] } },
    });
    await engine.start();
    expect(await engine.checkRouting()).not.toEqual([]);
    const got = await engine.updateSettings({ delivery: { mode: 'deferred' } });
    expect(got.ok).toBe(true);
    expect((await engine.getSettings()).delivery.mode).toBe('deferred');
  });
});

describe('updateSettings, overlapping calls', () => {
  it('applies both of two overlapping updates to different sections', async () => {
    const [a, b] = await Promise.all([
      engine.updateSettings({ delivery: { mode: 'deferred' } }),
      engine.updateSettings({ hostname: 'mail.office.test' }),
    ]);
    expect(a.ok && b.ok).toBe(true);
    const saved = JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8'));
    expect(saved.delivery.mode).toBe('deferred');
    expect(saved.hostname).toBe('mail.office.test');
    expect((await engine.getSettings()).delivery.mode).toBe('deferred');
  });

  it('refuses a backoff under one second, naming the field', async () => {
    const got = await engine.updateSettings({ delivery: { minBackoff: '0s' } });
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.errors.map((e) => e.path)).toContain('delivery.minBackoff');
  });
});
