// The Engine as a whole: start-up validation, every EngineApi method present,
// restart recovery (queued mail resumes, damaged files kept aside), local
// transports reached through the dispatcher, and sendmail-style submission.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINE_API_METHODS } from '../../engine/api.ts';
import { ConfigError, createEngine, type Engine } from '../../engine/index.ts';
import { createSpool } from '../../engine/queue/spool.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { startSink, type Sink } from '../helpers/sink.ts';

let home: string;
let engines: Engine[] = [];
let sink: Sink | undefined;
beforeEach(async () => { home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-engine-')); });
afterEach(async () => {
  for (const e of engines) await e.stop();
  engines = [];
  await sink?.close();
  sink = undefined;
  await fs.rm(home, { recursive: true, force: true });
});

const quiet: SettingsInput = { hostname: 'mta.test', listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false } };

async function engine(settings: SettingsInput = quiet): Promise<Engine> {
  const e = await createEngine({ home, settings, timers: false, passwdFile: '' });
  engines.push(e);
  await e.start();
  return e;
}

const lf = (s: string) => Buffer.from(s).toString('base64');

describe('createEngine', () => {
  it('refuses a bad config.json with one line naming the field', async () => {
    await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ listen: { smtp: 'twenty-five' } }));
    const err = await createEngine({ home }).then(() => null, (x: unknown) => x);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/config\.json: listen\.smtp: /);
    expect((err as Error).message).not.toContain('\n');
  });

  it('implements every EngineApi method', async () => {
    const e = await engine();
    for (const m of ENGINE_API_METHODS) expect(typeof (e as unknown as Record<string, unknown>)[m], m).toBe('function');
    expect(typeof e.subscribe).toBe('function');
  });

  it('starts listeners on the configured ports (0 = any) and reports them', async () => {
    const e = await engine({ ...quiet, listen: { address: '127.0.0.1', smtp: 0, submission: 0, smtps: false } });
    const st = await e.status();
    expect(st.listeners.map((l) => l.name)).toEqual(['smtp', 'submission']);
    for (const l of st.listeners) expect(l.port).toBeGreaterThan(0);
    expect(st.home).toBe(path.resolve(home));
    expect(st.pid).toBe(process.pid);
  });
});

describe('restart', () => {
  it('resumes delivery of mail queued before a restart, and keeps damaged files aside', async () => {
    sink = await startSink();
    const s: SettingsInput = { ...quiet, routes: [{ domain: 'dest.test', mailer: 'esmtp', host: `[127.0.0.1]:${sink.port}` }] };
    const first = await engine({ ...s, delivery: { mode: 'queueonly' } });
    const { id } = await first.submit({ envelope: { sender: 'a@mta.test', recipients: [{ address: 'b@dest.test' }] }, messageBase64: lf('Subject: x\n\nbody\n') });
    await first.stop();
    engines = [];
    await fs.writeFile(path.join(home, 'spool', 'qfBROKENBROKEN12'), 'this is not a control file');

    const second = await engine(s);
    await second.runDue();
    await second.whenIdle();
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0].envelope.rcptTo).toEqual(['b@dest.test']);
    expect(await second.listQueue()).toEqual([]);
    const corrupt = await second.listCorrupt();
    expect(corrupt.length).toBe(1);
    expect((await second.status()).counts.corrupt).toBe(1);
    expect((await second.tailLog(50)).join('\n')).toMatch(new RegExp(`${id}: to=<b@dest\\.test>.*stat=Sent`));
  });
});

describe('local transports through the dispatcher', () => {
  it('delivers to a Maildir, discards /dev/null aliases, bounces error routes', async () => {
    await fs.mkdir(path.join(home, 'mail', 'bob', 'new'), { recursive: true });
    await fs.mkdir(path.join(home, 'mail', 'bob', 'cur'), { recursive: true });
    await fs.mkdir(path.join(home, 'mail', 'bob', 'tmp'), { recursive: true });
    await fs.mkdir(path.join(home, 'mail', 'alice', 'new'), { recursive: true });
    await fs.mkdir(path.join(home, 'mail', 'alice', 'cur'), { recursive: true });
    await fs.mkdir(path.join(home, 'mail', 'alice', 'tmp'), { recursive: true });
    const e = await engine({
      ...quiet, domains: { local: ['local.test'] }, aliases: { blackhole: ['/dev/null'] },
      routes: [{ domain: 'gone.test', mailer: 'error', host: '5.1.2:This domain is gone' }],
    });
    const submit = (to: string) => e.submit({ envelope: { sender: 'alice@local.test', recipients: [{ address: to }] }, messageBase64: lf(`Subject: to ${to}\n\nhi\n`) });
    await submit('bob@local.test');
    await submit('blackhole@local.test');
    await submit('x@gone.test');
    await e.whenIdle();
    const bob = await fs.readdir(path.join(home, 'mail', 'bob', 'new'));
    expect(bob).toHaveLength(1);
    // The error route bounced: its DSN went to alice's Maildir.
    const alice = await fs.readdir(path.join(home, 'mail', 'alice', 'new'));
    expect(alice).toHaveLength(1);
    const dsn = await fs.readFile(path.join(home, 'mail', 'alice', 'new', alice[0]), 'utf8');
    expect(dsn).toMatch(/x@gone\.test/);
    expect(dsn).toMatch(/This domain is gone/);
    expect(await e.listQueue()).toEqual([]);
    const log = (await e.tailLog(50)).join('\n');
    expect(log).toMatch(/to=<\/dev\/null>.*stat=Sent/);
  });
});

describe('submit', () => {
  it('accepts LF messages (the sendmail CLI), and normalises a script\'s mix of CRLF and LF', async () => {
    const e = await engine({ ...quiet, delivery: { mode: 'queueonly' } });
    const ok = await e.submit({ envelope: { sender: 'a@mta.test', recipients: [{ address: 'b@dest.test' }] }, messageBase64: lf('Subject: lf\n\nline\n') });
    const detail = await e.getMessage(ok.id);
    expect(detail?.headers).toMatch(/Subject: lf\r\n/);
    const mixed = await e.submit({
      envelope: { sender: 'a@mta.test', recipients: [{ address: 'b@dest.test' }] },
      messageBase64: lf('Subject: mixed\r\n\r\nbare\nLF\r\n'),
    });
    expect((await e.listQueue()).length).toBe(2);
    // Stored with CRLF only: no bare LF that a next hop could read as a line end.
    const chunks: Buffer[] = [];
    for await (const c of createSpool(path.join(home, 'spool')).open(mixed.id)) chunks.push(Buffer.from(c));
    const stored = Buffer.concat(chunks).toString('latin1');
    expect(stored).toContain('bare\r\nLF\r\n');
    expect(/[^\r]\n/.test(stored)).toBe(false);
  });

  it('refuses API calls before start with a clear error', async () => {
    const e = await createEngine({ home, settings: quiet, timers: false });
    await expect(e.listQueue()).rejects.toThrow(/not running/);
    expect((await e.getSettings()).hostname).toBe('mta.test');
  });
});

describe('settings secrets (smart-host password kept out of config.json)', () => {
  /** An in-memory keeper, as the desktop app's keychain would be. */
  function keeper(initial?: string) {
    const k = { value: initial, sets: [] as string[], get: () => k.value, set: (p: string) => { k.value = p; k.sets.push(p); } };
    return k;
  }

  it('hands the password to the keeper, writes pass "", and delivers with it', async () => {
    sink = await startSink({ auth: { user: 'u', pass: 's3cret' } });
    const secrets = keeper();
    const e = await createEngine({ home, settings: quiet, timers: false, passwdFile: '', secrets });
    engines.push(e);
    await e.start();
    const got = await e.updateSettings({ smartHost: { host: '[127.0.0.1]', port: sink.port, tls: 'none', requireTls: false, auth: { user: 'u', pass: 's3cret' } } });
    expect(got.ok).toBe(true);
    expect(secrets.sets).toEqual(['s3cret']);
    const onDisk = JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8'));
    expect(onDisk.smartHost.auth).toEqual({ user: 'u', pass: '' });
    expect((await e.getSettings()).smartHost?.auth?.pass).toBe('s3cret');

    // A later, unrelated change keeps the password out of the file and in force.
    await e.updateSettings({ delivery: { mode: 'whenonline' } });
    expect(JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8')).smartHost.auth.pass).toBe('');
    await e.submit({ envelope: { sender: 'a@mta.test', recipients: [{ address: 'b@dest.test' }] }, messageBase64: lf('Subject: x\n\nbody\n') });
    await sink.waitForMessages(1);
    expect(sink.auths).toEqual([{ user: 'u', ok: true, method: 'PLAIN' }]);
  });

  it('fills an empty password from the keeper at start (config.json read from disk)', async () => {
    sink = await startSink({ auth: { user: 'u', pass: 's3cret' } });
    await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
      ...quiet, smartHost: { host: '[127.0.0.1]', port: sink.port, tls: 'none', auth: { user: 'u', pass: '' } },
    }));
    const e = await createEngine({ home, timers: false, passwdFile: '', secrets: keeper('s3cret') });
    engines.push(e);
    await e.start();
    await e.submit({ envelope: { sender: 'a@mta.test', recipients: [{ address: 'b@dest.test' }] }, messageBase64: lf('Subject: x\n\nbody\n') });
    await sink.waitForMessages(1);
    expect(sink.auths.map((a) => a.ok)).toEqual([true]);
  });

  it('without a keeper, config.json keeps the password as before (mode 0600)', async () => {
    const e = await engine();
    await e.updateSettings({ smartHost: { host: 'smtp.example', port: 587, tls: 'starttls', requireTls: false, auth: { user: 'u', pass: 'plain' } } });
    const file = path.join(home, 'config.json');
    expect(JSON.parse(await fs.readFile(file, 'utf8')).smartHost.auth.pass).toBe('plain');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });
});
