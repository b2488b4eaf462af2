// Issue 10: "Send when online, hold when offline", over loopback with the real
// clock and timers: a real smart host (a scripted SMTP peer whose close() kills
// every connection, as a dying server does) that is stopped and started on the
// same port, the online gate noticing within its re-checks, local delivery going
// on while offline, a flapping next hop, and one set of numbers for every view.
// Waits are generous and nothing asserts how fast (speed is test/bench/online.ts).
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../engine/api.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { toPostqueueJson } from '../../engine/queue/listing.ts';
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.ts';
import { runCli, startServe, startWorld as startCliWorld } from '../engine/cli/subprocess.ts';

const WAIT_MS = 30_000;

interface World {
  home: string;
  engine: Engine;
  events: EngineEvent[];
  port: number;
  smart: ScriptedSmtp | null;
  /** Start the smart host on its port (again). */
  up(): Promise<ScriptedSmtp>;
  /** Kill it: connections cut, port closed (connection refused). */
  down(): Promise<void>;
  submit(to: string[], subject: string, from?: string): Promise<string>;
  maillog(): Promise<string>;
}

let world: World | undefined;
/** Subjects earlier runs of the smart host accepted (each start is a new peer). */
const received: string[] = [];
afterEach(async () => {
  await world?.engine.stop();
  await world?.smart?.close();
  if (world) await fs.rm(world.home, { recursive: true, force: true });
  world = undefined;
  received.length = 0;
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function subjectOf(raw: Buffer): string {
  return /^Subject: (.*)$/m.exec(raw.toString())?.[1]?.trim() ?? '';
}

async function startWorld(opts: { up: boolean; delivery?: Record<string, unknown>; extra?: Partial<SettingsInput> }): Promise<World> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-online-'));
  // A local user: its Maildir exists (resolve knows users by their mailbox).
  for (const d of ['cur', 'new', 'tmp']) await fs.mkdir(path.join(home, 'mail', 'me', d), { recursive: true });
  const port = await freePort();
  const settings: SettingsInput = {
    hostname: 'laptop.test',
    listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
    console: { port: false },
    // Nothing may leave for real DNS: an unanswering resolver on loopback.
    dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
    smartHost: { host: '[127.0.0.1]', port, tls: 'none' },
    routes: [{ domain: 'nowhere.test', mailer: 'error', host: '5.1.2:no such domain here' }],
    delivery: { mode: 'whenonline', online: { probe: 'smarthost' }, connectTimeout: '5s', ...opts.delivery },
    ...opts.extra,
  };
  const engine = await createEngine({ home, settings, passwdFile: '' });
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  const w: World = {
    home, engine, events, port, smart: null,
    async up() {
      w.smart = await startScriptedSmtp({ port });
      return w.smart;
    },
    async down() {
      received.push(...(w.smart?.messages ?? []).map((m) => subjectOf(m.raw)));
      await w.smart?.close();
      w.smart = null;
    },
    async submit(to, subject, from = 'me@laptop.test') {
      const msg = `From: <${from}>\nTo: ${to.map((t) => `<${t}>`).join(', ')}\nSubject: ${subject}\n\nhello\n`;
      const r = await engine.submit({ envelope: { sender: from, recipients: to.map((address) => ({ address })) }, messageBase64: Buffer.from(msg).toString('base64') });
      return r.id;
    },
    maillog: () => fs.readFile(path.join(home, 'log', 'maillog'), 'utf8'),
  };
  if (opts.up) await w.up();
  await engine.start();
  await until(`the gate's first answer`, async () => (await engine.status()).online.reason !== 'checking the next hop');
  return w;
}

/** Every subject the smart host accepted, over all its runs. */
const arrived = (w: World): string[] => [...received, ...(w.smart?.messages ?? []).map((m) => subjectOf(m.raw))];

describe('send when online, hold when offline', () => {
  it('online: a submitted message goes at once, without a flush or a queue run', async () => {
    world = await startWorld({ up: true });
    const w = world;
    expect((await w.engine.status()).online).toMatchObject({ online: true });
    expect((await w.engine.status()).mode).toBe('whenonline');
    const from = w.events.length;
    await w.submit(['friend@example.net'], 'straight out');
    await until('the smart host to have it', () => arrived(w).includes('straight out'));
    await until('the queue to be empty', async () => (await w.engine.listQueue()).length === 0);
    expect(w.events.slice(from).some((e) => e.type === 'flush:started')).toBe(false);
  });

  it('smart host killed: offline after the failed delivery, that one and new mail held with zero attempts, all sent when it is back', async () => {
    world = await startWorld({ up: true });
    const w = world;
    await w.submit(['friend@example.net'], 'before');
    await until('the first message', () => arrived(w).includes('before'));
    await w.down();

    const a = await w.submit(['friend@example.net'], 'while it died');
    await until('offline', async () => !(await w.engine.status()).online.online);
    const st = await w.engine.status();
    expect(st.online.reason).toMatch(/smart host \[127\.0\.0\.1\]:\d+: connection refused/);
    await until('the failed attempt committed', async () => (await w.engine.listQueue({ ids: [a] }))[0]?.state === 'deferred');
    // The attempt that found the hop gone is not counted: offline time never is.
    expect((await w.engine.listQueue({ ids: [a] }))[0]).toMatchObject({ attempts: 0, reason: 'waiting: offline' });
    const log = await w.maillog();
    expect(log).toMatch(/offline: smart host \[127\.0\.0\.1\]:\d+: connection refused \(delivery to smart host \[127\.0\.0\.1\] failed: Connection refused by 127\.0\.0\.1\)/);
    expect(log).toMatch(/unreachable and we are offline: not counted as an attempt/);

    const attemptsBefore = w.events.filter((e) => e.type === 'delivery:attempting').length;
    const b = await w.submit(['other@example.net'], 'written offline');
    await w.engine.whenIdle();
    await new Promise((r) => setTimeout(r, 1500)); // heartbeats pass: still nothing tried
    expect(w.events.filter((e) => e.type === 'delivery:attempting').length).toBe(attemptsBefore);
    const held = await w.engine.listQueue();
    expect(held.map((e) => [e.id, e.attempts, e.reason]).sort()).toEqual([[a, 0, 'waiting: offline'], [b, 0, 'waiting: offline']].sort());

    await w.up();
    await until('both held messages sent', () => arrived(w).includes('while it died') && arrived(w).includes('written offline'));
    await until('the queue to be empty', async () => (await w.engine.listQueue()).length === 0);
    expect((await w.engine.status()).online.online).toBe(true);
  });

  it('offline: local mailboxes get theirs at once, bounces included; the remote part waits untried', async () => {
    world = await startWorld({ up: false });
    const w = world;
    expect((await w.engine.status()).online.online).toBe(false);
    const newDir = path.join(w.home, 'mail', 'me', 'new');
    const inbox = async () => (await Promise.all((await fs.readdir(newDir)).map((f) => fs.readFile(path.join(newDir, f), 'utf8'))));

    await w.submit(['me@laptop.test'], 'to myself', 'cron@laptop.test');
    const mixed = await w.submit(['me@laptop.test', 'friend@example.net'], 'both ways', 'cron@laptop.test');
    const remote = await w.submit(['friend@example.net'], 'only remote');
    await w.submit(['someone@nowhere.test'], 'will bounce'); // error route: a bounce to me, local
    await until('three local deliveries (two messages and a bounce)', async () => (await inbox()).length === 3);
    const got = await inbox();
    expect(got.some((m) => /Subject: to myself/.test(m))).toBe(true);
    expect(got.some((m) => /Subject: both ways/.test(m))).toBe(true);
    expect(got.some((m) => /no such domain here/.test(m))).toBe(true);

    await w.engine.whenIdle();
    const q = await w.engine.listQueue();
    expect(q.map((e) => e.id).sort()).toEqual([mixed, remote].sort());
    for (const e of q) expect(e).toMatchObject({ attempts: 0, reason: 'waiting: offline' });
    const m = q.find((e) => e.id === mixed)!;
    expect(m.recipients.map((r) => [r.address, r.status])).toEqual([['me@laptop.test', 'sent'], ['friend@example.net', 'pending']]);
    // Nothing went near the network: no attempt at the smart host.
    expect(w.events.some((e) => e.type === 'delivery:attempting' && e.nexthop.includes('127.0.0.1'))).toBe(false);

    // Back online: the remote parts go, and me does not get a second copy.
    await w.up();
    await until('remote parts sent', () => arrived(w).includes('both ways') && arrived(w).includes('only remote'));
    await until('the queue to be empty', async () => (await w.engine.listQueue()).length === 0);
    expect((await inbox()).length).toBe(3);
  });

  it('a next hop flapping every second: the state settles, nothing is lost, no message tried more than once per online spell', async () => {
    world = await startWorld({ up: true, delivery: { online: { probe: 'smarthost', recheckOnline: '5s' } } });
    const w = world;
    const subjects = Array.from({ length: 20 }, (_, i) => `flap ${i}`);
    let flapping = true;
    const flapper = (async () => {
      for (let i = 0; flapping && i < 12; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        if (w.smart) await w.down(); else await w.up();
      }
      if (!w.smart) await w.up();
    })();
    for (const s of subjects) {
      await w.submit([`friend@example.net`], s);
      await new Promise((r) => setTimeout(r, 100));
    }
    await flapper;
    flapping = false;
    await until('every message accepted by the smart host', async () => (await w.engine.listQueue()).length === 0, 120_000);
    // Nothing lost: the smart host has every one of them.
    expect(new Set(arrived(w).filter((s) => s.startsWith('flap ')))).toEqual(new Set(subjects));

    const log = await w.maillog();
    if (process.env.SHOW_LOG) console.log(log.split('\n').filter((l) => /online|offline|flush/.test(l)).join('\n'));
    const ids = [...new Set((log.match(/\]: (\w+): to=<friend@example\.net>/g) ?? []).map((l) => /\]: (\w+):/.exec(l)![1]))];
    expect(ids).toHaveLength(20);
    const spells = (log.match(/: online: /g) ?? []).length;
    for (const id of ids) {
      const lines = log.split('\n').filter((l) => l.includes(`: ${id}: to=<friend@example.net>`));
      expect(lines.filter((l) => l.includes('stat=Sent'))).toHaveLength(1);
      // Each try is an online spell's (the arrival kick, or the flush coming back online brings).
      expect(lines.length).toBeLessThanOrEqual(spells + 1);
    }
    expect(log).not.toMatch(/stat=(Bounced|Expired)|returned to sender/);
    expect(log).toMatch(/offline: smart host \[127\.0\.0\.1\]:\d+: connection refused/);
  }, 180_000);
});

describe('bad next hops', () => {
  it('a smart host answering 421 forever is reachable: the message is tried, counted, and waits its backoff — neither held forever nor hammered', async () => {
    world = await startWorld({ up: false });
    const w = world;
    w.smart = await startScriptedSmtp({ port: w.port, greeting: '421 4.3.2 smart.test busy, try later' });
    await w.engine.networkChanged();
    await until('online', async () => (await w.engine.status()).online.online);
    expect((await w.engine.status()).online.reason).toMatch(/reachable but answered: 421 4\.3\.2 smart\.test busy/);
    const id = await w.submit(['friend@example.net'], 'busy');
    await until('one counted attempt', async () => (await w.engine.listQueue({ ids: [id] }))[0]?.attempts === 1);
    const connections = w.smart.connections;
    await new Promise((r) => setTimeout(r, 2500)); // heartbeats and re-checks pass
    const [e] = await w.engine.listQueue({ ids: [id] });
    expect(e).toMatchObject({ attempts: 1, state: 'deferred' });
    expect(e.reason).toMatch(/421 4\.3\.2 smart\.test busy/);
    expect(e.nextAttempt).toBeGreaterThan(Date.now() + 60_000); // minBackoff 5m
    expect((await w.engine.status()).online.online).toBe(true);
    // No more delivery attempts; only the gate's own probes may have connected.
    expect(w.events.filter((x) => x.type === 'delivery:attempting' && x.id === id)).toHaveLength(1);
    expect(w.smart.connections).toBeLessThanOrEqual(connections + 1);
  });
});

describe('one set of numbers', () => {
  it('status, the queue:counts events and mailq --json agree while mail is held and released', async () => {
    world = await startWorld({ up: false });
    const w = world;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await w.submit([`r${i}@example.net`], `held ${i}`));
    await w.engine.hold({ ids: [ids[0]] });
    await w.engine.whenIdle();
    const lastCounts = () => [...w.events].reverse().find((e): e is Extract<EngineEvent, { type: 'queue:counts' }> => e.type === 'queue:counts');
    await until('a counts snapshot after the hold', () => lastCounts()?.counts.hold === 1);
    const status = await w.engine.status();
    const mailqJson = (await w.engine.listQueue()).map((e) => toPostqueueJson(e));
    expect(status.counts).toMatchObject({ total: 5, hold: 1, deferred: 4, active: 0 });
    expect(lastCounts()!.counts).toEqual(status.counts);
    expect(mailqJson).toHaveLength(status.counts.total);
    expect(mailqJson.filter((j) => j.queue_name === 'hold')).toHaveLength(status.counts.hold);
    expect(mailqJson.filter((j) => j.queue_name === 'deferred')).toHaveLength(status.counts.deferred);

    // Back online: the four go, the held one stays; every view falls to the same 1.
    await w.up();
    await until('four sent', () => arrived(w).length === 4);
    await until('the snapshot to say 1', () => lastCounts()?.counts.total === 1 && !lastCounts()!.flushing);
    const after = await w.engine.status();
    expect(after.counts).toEqual(lastCounts()!.counts);
    expect((await w.engine.listQueue()).map((e) => toPostqueueJson(e))).toHaveLength(1);
    // The flush that coming online started reported N of M over what it took on.
    const started = w.events.find((e) => e.type === 'flush:started');
    const progress = w.events.filter((e): e is Extract<EngineEvent, { type: 'flush:progress' }> => e.type === 'flush:progress');
    expect(started).toMatchObject({ total: 5 });
    expect(progress.at(-1)).toMatchObject({ done: 5, total: 5 });
  });
});

describe('mailstop status and mailq --json (subprocesses against mailstop serve)', () => {
  it('an old config.json with mode "background" runs as the laptop mode; status names it and counts what mailq --json lists', async () => {
    const gone = await freePort();
    const cli = await startCliWorld(() => ({
      smartHost: { host: '[127.0.0.1]', port: gone, tls: 'none' },
      delivery: { mode: 'background', online: { probe: 'smarthost' } },
    }));
    const served = await startServe(cli.home);
    try {
      for (const n of [1, 2, 3]) {
        const r = await runCli(cli.home, ['sendmail', '-i', `friend${n}@example.net`], `Subject: held ${n}\n\nhello\n`);
        expect(r.code).toBe(0);
      }
      await until('offline and all three held', async () => {
        const st = JSON.parse((await runCli(cli.home, ['status', '--json'])).stdout) as { online: { online: boolean; reason: string }; counts: { total: number } };
        return !st.online.online && st.online.reason !== 'checking the next hop' && st.counts.total === 3;
      });
      const text = (await runCli(cli.home, ['status'])).stdout;
      expect(text).toMatch(/^mode: +Send when online, hold when offline \(delivery\.mode whenonline\)$/m);
      expect(text).toMatch(/^online: +offline since .*: smart host \[127\.0\.0\.1\]:\d+: connection refused$/m);
      expect(text).toMatch(/^queue: +3 total, 0 active, 3 deferred, 0 held, 0 corrupt$/m);
      const st = JSON.parse((await runCli(cli.home, ['status', '--json'])).stdout) as { counts: { total: number; deferred: number } };
      const lines = (await runCli(cli.home, ['mailq', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { queue_name: string; attempts?: number });
      expect(lines).toHaveLength(st.counts.total);
      expect(lines.filter((l) => l.queue_name === 'deferred')).toHaveLength(st.counts.deferred);
      expect(lines.every((l) => l.attempts === 0)).toBe(true);
    } finally {
      await served.stop();
      await cli.close();
    }
  }, 120_000);
});
