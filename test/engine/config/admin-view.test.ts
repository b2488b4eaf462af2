// config.json keeps what the administrator set (postconf -e), never a copy of every default.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminView } from '../../../engine/config/admin-view.ts';
import { loadSettings, saveSettings, settingsFrom } from '../../../engine/config/load.ts';

describe('adminView', () => {
  it.each([
    ['defaults only', {}, {}, {}],
    ['one changed field of a section', { delivery: { mode: 'deferred' } }, {}, { delivery: { mode: 'deferred' } }],
    ['a nested section', { delivery: { slowQueue: { enabled: true } } }, {}, { delivery: { slowQueue: { enabled: true } } }],
    ['a field written by hand stays even when equal to its default', { smtp: { maxErrors: 10 } }, { smtp: { maxErrors: 10 } }, { smtp: { maxErrors: 10 } }],
    ['records are whole', { aliases: { postmaster: ['root'], abuse: ['root'] } }, {}, { aliases: { postmaster: ['root'], abuse: ['root'] } }],
    ['a null default replaced by an object', { smartHost: { host: 'smtp.example' } }, {}, { smartHost: { host: 'smtp.example', port: 587, tls: 'starttls', requireTls: false } }],
  ])('%s', (_name, input, before, want) => {
    const got = adminView(settingsFrom(input as never), before);
    if ((want as { smartHost?: unknown }).smartHost) expect(got.smartHost).toMatchObject((want as { smartHost: object }).smartHost);
    else expect(got).toEqual(want);
  });

  it('saveSettings writes the admin view and loading it gives back the same settings', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-adminview-'));
    try {
      await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ hostname: 'mx.example', smtp: { maxErrors: 10 } }));
      const next = settingsFrom({ hostname: 'mx.example', smtp: { maxErrors: 10 }, delivery: { mode: 'queueonly' } });
      await saveSettings(home, next);
      expect(JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8')))
        .toEqual({ hostname: 'mx.example', smtp: { maxErrors: 10 }, delivery: { mode: 'queueonly' } });
      expect(await loadSettings(home)).toEqual(next);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
