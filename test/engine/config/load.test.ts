// config.json: defaults when missing, one-line errors naming the field, JSON
// syntax errors with a position, atomic saves, and patch merging.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyPatch, ConfigError, cronError, fieldPath, loadSettings, parseSettingsText, saveSettings, settingsFrom,
} from '../../../engine/config/load.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';

let home: string;
beforeEach(async () => { home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-cfg-')); });
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

const write = (text: string) => fs.writeFile(path.join(home, 'config.json'), text);

describe('loadSettings', () => {
  it('gives every default when config.json is missing', async () => {
    expect(await loadSettings(home)).toEqual(SettingsSchema.parse({}));
  });

  it('reads and validates a file, filling defaults', async () => {
    await write(JSON.stringify({ hostname: 'mail.example.com', delivery: { mode: 'deferred' } }));
    const s = await loadSettings(home);
    expect(s.hostname).toBe('mail.example.com');
    expect(s.delivery.mode).toBe('deferred');
    expect(s.delivery.queueWarn).toBe('4h');
  });

  it('reads the old mode name `background` as `whenonline` and writes the new name back', async () => {
    await write(JSON.stringify({ delivery: { mode: 'background' } }));
    const s = await loadSettings(home);
    expect(s.delivery.mode).toBe('whenonline');
    await saveSettings(home, s);
    expect(JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8')).delivery.mode).toBe('whenonline');
    // And in a patch (mailstop config set delivery.mode background).
    const got = applyPatch(s, { delivery: { mode: 'background' as never } });
    expect(got.ok && got.settings.delivery.mode).toBe('whenonline');
  });

  const bad: { name: string; text: string; want: RegExp }[] = [
    { name: 'bad duration', text: '{"delivery":{"queueWarn":"4 hours"}}', want: /^.*config\.json: delivery\.queueWarn: a duration such as 30s/ },
    { name: 'unknown mode', text: '{"delivery":{"mode":"fast"}}', want: /config\.json: delivery\.mode: whenonline, queueonly or deferred/ },
    { name: 'array element', text: '{"routes":[{"domain":"ok.example","mailer":"esmtp"},{"domain":"x","mailer":"carrier-pigeon"}]}', want: /config\.json: routes\[1\]\.mailer: / },
    { name: 'bad cron', text: '{"delivery":{"queueRun":"*/61 * * *"}}', want: /config\.json: delivery\.queueRun: not a cron expression/ },
    { name: 'bad cron in a list', text: '{"delivery":{"queueRun":["0 * * * *","nope"]}}', want: /delivery\.queueRun\[1\]: not a cron expression/ },
    { name: 'negative age', text: '{"delivery":{"slowQueue":{"afterAge":"-1d"}}}', want: /delivery\.slowQueue\.afterAge: a duration/ },
    { name: 'backoff order', text: '{"delivery":{"minBackoff":"2h","maxBackoff":"1h"}}', want: /delivery\.minBackoff: must not exceed/ },
    { name: 'JSON syntax', text: '{\n  "hostname": "a",\n}', want: /config\.json: not valid JSON: .* at line 3 column 1/ },
    { name: 'not an object', text: '[1,2]', want: /config\.json: \(top level\): expected an object/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with one line naming the field`, async () => {
      await write(c.text);
      const err = await loadSettings(home).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(c.want);
      expect(msg).not.toContain('\n');
    });
  }
});

describe('saveSettings', () => {
  it('writes atomically and reads back the same settings, leaving no temp files', async () => {
    const s = settingsFrom({ hostname: 'saved.example', delivery: { queueRun: ['0 * * * *', '30 2 * * *'] } });
    await saveSettings(home, s);
    expect(await loadSettings(home)).toEqual(s);
    expect(await fs.readdir(home)).toEqual(['config.json']);
    const mode = (await fs.stat(path.join(home, 'config.json'))).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});

describe('applyPatch', () => {
  const base = SettingsSchema.parse({});
  it('merges a section key by key and replaces arrays and records whole', () => {
    const got = applyPatch(base, { delivery: { mode: 'queueonly' }, aliases: { abuse: ['root'] } });
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.settings.delivery.mode).toBe('queueonly');
    expect(got.settings.delivery.queueWarn).toBe(base.delivery.queueWarn);
    expect(got.settings.aliases).toEqual({ abuse: ['root'] });
  });

  it('sets and clears the smart host', () => {
    const set = applyPatch(base, { smartHost: { host: 'smtp.example', port: 587 } } as never);
    expect(set.ok && set.settings.smartHost?.tls).toBe('starttls');
    const cleared = applyPatch(set.ok ? set.settings : base, { smartHost: null });
    expect(cleared.ok && cleared.settings.smartHost).toBe(null);
  });

  const bad = [
    { patch: { delivery: { queueReturn: 'forever' } }, want: 'delivery.queueReturn' },
    { patch: { listen: { smtp: 70000 } }, want: 'listen.smtp' },
    { patch: { smartHost: { port: 25 } }, want: 'smartHost.host' },
    { patch: { delivery: { slowQueue: { enabled: true, afterAttempts: 3, afterAge: '1d', queueRun: '61 * * * *' } } }, want: 'delivery.slowQueue.queueRun' },
  ];
  for (const c of bad) {
    it(`names ${c.want} for a bad value`, () => {
      const got = applyPatch(base, c.patch as never);
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.errors.map((e) => e.path)).toContain(c.want);
    });
  }
});

describe('helpers', () => {
  it('writes field paths the way people read them', () => {
    const cases: [PropertyKey[], string][] = [[['a', 'b'], 'a.b'], [['routes', 0, 'domain'], 'routes[0].domain'], [[], '(top level)']];
    for (const [got, want] of cases) expect(fieldPath(got)).toBe(want);
  });
  it('accepts node-cron expressions and refuses others', () => {
    expect(cronError('*/30 * * * *')).toBeNull();
    expect(cronError('0 */4 * * *')).toBeNull();
    expect(cronError('*/10 * * * * *')).toBeNull(); // node-cron's seconds field
    expect(cronError('every hour')).toMatch(/not a cron expression/);
  });
  it('rejects explicit settings the same way', () => {
    expect(() => settingsFrom({ delivery: { mode: 'later' as never } })).toThrow(/^settings: delivery\.mode: /);
  });
  it('parses text for the CLI check', () => {
    expect(parseSettingsText('{}').hostname).toBe('localhost');
  });
});
