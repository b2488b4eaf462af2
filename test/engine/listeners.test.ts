// updateSettings changing `listen.*` while running: the listeners move to the new
// ports (unchanged ones keep theirs), a port that cannot be had is reported on its
// field with the old listeners still serving and config.json untouched; and a
// hostname change reaches the maillog's host field.
import { promises as fs } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';

let home: string;
let engine: Engine | undefined;
const blockers: net.Server[] = [];
beforeEach(async () => { home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-listen-')); });
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  for (const b of blockers.splice(0)) await new Promise((resolve) => b.close(resolve));
  await fs.rm(home, { recursive: true, force: true });
});

const quiet: SettingsInput = { hostname: 'mta.test', listen: { address: '127.0.0.1', smtp: 0, submission: 0, smtps: false } };

async function start(): Promise<Engine> {
  engine = await createEngine({ home, settings: quiet, timers: false, passwdFile: '' });
  await engine.start();
  return engine;
}

/** A port held by someone else for the test's lifetime. */
async function occupied(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  blockers.push(s);
  return (s.address() as AddressInfo).port;
}

/** A port that was free a moment ago (bound and released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The first line an SMTP listener says, or the connection error's code. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('data', (d) => { resolve(d.toString().slice(0, 3)); c.destroy(); });
    c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

const portOf = async (e: Engine, name: string) => (await e.status()).listeners.find((l) => l.name === name)?.port;

describe('updateSettings: listen.*', () => {
  it('moves a listener to its new port and leaves the others where they are', async () => {
    const e = await start();
    const oldSmtp = (await portOf(e, 'smtp'))!;
    const submission = await portOf(e, 'submission');
    const port = await freePort();

    const got = await e.updateSettings({ listen: { smtp: port } });
    expect(got.ok).toBe(true);
    expect(await portOf(e, 'smtp')).toBe(port);
    expect(await portOf(e, 'submission')).toBe(submission);
    expect(await greeting(port)).toBe('220');
    expect(await greeting(oldSmtp)).toBe('ECONNREFUSED');
    expect(JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8')).listen.smtp).toBe(port);
  });

  it('switches a listener off and on again', async () => {
    const e = await start();
    const submission = (await portOf(e, 'submission'))!;
    expect((await e.updateSettings({ listen: { submission: false } })).ok).toBe(true);
    expect((await e.status()).listeners.map((l) => l.name)).toEqual(['smtp']);
    expect(await greeting(submission)).toBe('ECONNREFUSED');
    expect((await e.updateSettings({ listen: { submission: 0 } })).ok).toBe(true);
    expect((await e.status()).listeners.map((l) => l.name)).toEqual(['smtp', 'submission']);
  });

  it('reports a port in use on its field and keeps the old listeners (error path)', async () => {
    const e = await start();
    const before = (await e.status()).listeners;
    const taken = await occupied();

    const got = await e.updateSettings({ listen: { smtp: taken } });
    expect(got).toEqual({ ok: false, errors: [{ path: 'listen.smtp', message: `127.0.0.1:${taken} is in use` }] });
    expect((await e.status()).listeners).toEqual(before);
    for (const l of before) expect(await greeting(l.port)).toBe('220');
    expect((await e.getSettings()).listen.smtp).toBe(0);
    await expect(fs.readFile(path.join(home, 'config.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('reports smtps without a certificate on listen.smtps (error path)', async () => {
    const e = await start();
    const got = await e.updateSettings({ listen: { smtps: 0 } });
    expect(got.ok).toBe(false);
    expect(!got.ok && got.errors[0].path).toBe('listen.smtps');
    expect((await e.status()).listeners.map((l) => l.name)).toEqual(['smtp', 'submission']);
    for (const l of (await e.status()).listeners) expect(await greeting(l.port)).toBe('220');
  });
});

describe('updateSettings: hostname', () => {
  it('reaches the maillog host field at once', async () => {
    const e = await start();
    await e.updateSettings({ hostname: 'renamed.test' });
    const [line] = await e.tailLog(1, 'settings changed');
    expect(line).toMatch(/ renamed\.test mailstop\[\d+\]: /);
  });
});
