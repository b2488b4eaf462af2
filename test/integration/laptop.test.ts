// Laptop mode (issue 3) over loopback with an injected clock: the online gate
// (smart host probe, direct-MX probe through a DNS server that goes down),
// nothing attempted while offline, offline time not counted toward queue
// lifetimes, flush on reconnect, deferred mode, cron runs and the slow queue.
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../engine/index.ts';
import { formatMailq, toPostqueueJson } from '../../engine/queue/listing.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { startHarness, DAY, HOUR, MIN, type Harness } from './harness.ts';

let h: Harness | undefined;
let extra: Sink | undefined;
afterEach(async () => {
  await h?.stop();
  await extra?.close();
  h = undefined;
  extra = undefined;
});

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('online gate: smart host', () => {
  it('attempts nothing while the smart host cannot be resolved, then flushes when it can', async () => {
    extra = await startSink();
    const smart = extra;
    h = await startHarness({
      zone: {}, // smarthost.test does not resolve yet
      settings: () => ({ smartHost: { host: 'smarthost.test', port: smart.port, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } }),
    });
    const st = await h.engine.networkChanged();
    expect(st).toMatchObject({ online: false, reason: 'cannot resolve smarthost.test' });

    const id = await h.submit('alice@sender.test', ['bob@dest.test']);
    const sendResponse = await h.send('alice@sender.test', ['carol@dest.test']);
    expect(sendResponse).toMatch(/^250/);
    await h.engine.whenIdle();
    h.clock.advance(6 * DAY); // longer than queueReturn: offline time must not count
    await h.engine.runDue();
    const flushed = await h.engine.flush(); // a flush while offline skips everything...
    expect(flushed).toMatchObject({ attempted: 0, skipped: 2 });
    await h.engine.whenIdle();
    expect(smart.connections).toHaveLength(0); // ...and nothing connected at all
    for (const e of await h.engine.listQueue()) {
      expect(e.attempts).toBe(0);
      expect(e.reason).toBe('waiting: offline');
    }
    expect(h.events.some((e) => e.type === 'delivery:attempting')).toBe(false);

    h.dns.set('smarthost.test', { a: ['127.0.0.1'] });
    const back = await h.engine.networkChanged();
    expect(back.online).toBe(true);
    expect(back.reason).toMatch(/answered EHLO/);
    await until('both messages delivered', () => smart.messages.length === 2);
    await h.engine.whenIdle();
    expect(await h.engine.listQueue()).toEqual([]);
    // Nothing bounced or warned: six days offline counted for nothing.
    expect(smart.messages.every((m) => m.envelope.mailFrom === 'alice@sender.test')).toBe(true);
    expect(h.events.some((e) => e.type === 'online:changed' && e.online.online)).toBe(true);
    const done = h.events.find((e) => e.type === 'flush:done' && e.summary.sent === 2);
    expect(done).toBeDefined();
    expect(id).toBeTruthy();
  });

  it('re-checks by itself while offline and flushes when the smart host comes up', async () => {
    const probeSink = await startSink();
    const port = probeSink.port;
    await probeSink.close(); // the port is now closed: "connection refused"
    h = await startHarness({
      timers: true,
      zone: { 'smarthost.test': { a: ['127.0.0.1'] } },
      settings: () => ({ smartHost: { host: 'smarthost.test', port, tls: 'none' }, delivery: { online: { probe: 'smarthost', recheck: '2s' } } }),
    });
    await until('offline', async () => !(await h!.engine.status()).online.online && (await h!.engine.status()).online.reason !== 'checking the next hop');
    expect((await h.engine.status()).online.reason).toMatch(/smart host smarthost\.test:\d+: connection refused/);
    await h.submit('alice@sender.test', ['bob@dest.test']);
    extra = await startSink({ port });
    await extra.waitForMessages(1, 10_000);
    await h.engine.whenIdle();
    expect((await h.engine.status()).online.online).toBe(true);
    expect(await h.engine.listQueue()).toEqual([]);
  });
});

describe('offline time', () => {
  it('is credited to each message durably, so neither warning nor return comes early', async () => {
    extra = await startSink({ replies: { rcpt: () => '451 4.3.0 later' } });
    const smart = extra;
    h = await startHarness({
      zone: {},
      settings: () => ({ smartHost: { host: 'smarthost.test', port: smart.port, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } }),
    });
    await h.engine.networkChanged();
    const id = await h.submit('alice@sender.test', ['bob@dest.test']);
    h.clock.advance(6 * DAY);
    h.dns.set('smarthost.test', { a: ['127.0.0.1'] });
    await h.engine.networkChanged();
    await until('attempted', async () => (await h!.engine.listQueue())[0]?.attempts === 1);
    await h.engine.whenIdle();
    const [e] = await h.engine.listQueue();
    expect(e).toMatchObject({ id, attempts: 1, state: 'deferred' });
    expect(e.offlineMs).toBe(6 * DAY);
    expect(e.warned).toBeFalsy();
    // The spool has it too: a restart would not forget the week offline.
    const { createSpool } = await import('../../engine/queue/spool.ts');
    const onDisk = (await createSpool(`${h.home}/spool`).list()).find((x) => x.id === id);
    expect(onDisk?.offlineMs).toBe(6 * DAY);
    // Only mail to the sender would be a warning or a bounce: there is none.
    expect(smart.messages).toHaveLength(0);
    expect(smart.connections.length).toBeGreaterThan(0);
  });
});

describe('submission while the engine is not running', () => {
  it('is queued durably by the CLI path and delivered when the engine starts', async () => {
    h = await startHarness({ noStart: true });
    const { submitToSpool } = await import('../../engine/cli/submit.ts');
    const r = await submitToSpool(h.home, { sender: 'alice@sender.test', recipients: [{ address: 'bob@dest.test' }] },
      Buffer.from('Subject: while stopped\n\nhello\n'), process.env);
    expect(r.via).toBe('spool');
    await h.engine.start();
    const [msg] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(msg.raw.toString()).toContain('Subject: while stopped');
    expect(await h.engine.listQueue()).toEqual([]);
  });
});

describe('online gate: direct MX', () => {
  it('is offline while the DNS server does not answer, and delivers once it does', async () => {
    h = await startHarness({ settings: () => ({ dns: { servers: [], timeout: '1s' }, delivery: { online: { probe: 'dns', probeHost: 'dest.test' } } }), noStart: true });
    // Point at the harness DNS (settings above were built before we knew it): patch before start.
    await h.engine.updateSettings({ dns: { servers: [h.dns.server], timeout: '1s' } });
    h.dns.down();
    await h.engine.start();
    const st = await h.engine.networkChanged();
    expect(st).toMatchObject({ online: false, reason: 'cannot resolve dest.test' });
    const r = await h.engine.submit({
      envelope: { sender: 'alice@sender.test', recipients: [{ address: 'bob@dest.test' }] },
      messageBase64: Buffer.from('Subject: x\n\nhi\n').toString('base64'),
    });
    await h.engine.whenIdle();
    expect((await h.engine.listQueue())[0]).toMatchObject({ id: r.id, attempts: 0 });

    h.dns.up();
    expect((await h.engine.networkChanged()).online).toBe(true);
    await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(await h.engine.listQueue()).toEqual([]);
  });
});

describe('delivery modes and schedules', () => {
  it('deferred mode does no DNS or network work at submission; "send now anyway" sends one message', async () => {
    h = await startHarness({ settings: () => ({ delivery: { mode: 'deferred' } }) });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.submit('alice@sender.test', ['carol@dest.test']);
    await h.engine.whenIdle();
    h.clock.advance(10 * MIN);
    await h.engine.runDue();
    expect(h.dns.queries).toEqual([]);
    expect(h.sink.connections).toHaveLength(0);
    const s = await h.engine.flush({ ids: [a], force: true });
    expect(s).toMatchObject({ attempted: 1, sent: 1 });
    expect(h.sink.messages.map((m) => m.envelope.rcptTo[0])).toEqual(['bob@dest.test']);
    const left = await h.engine.listQueue();
    expect(left.length).toBe(1);
    expect(left[0].reason).toBe('Deferred: waiting for a queue run');
  });

  for (const mode of ['deferred', 'queueonly'] as const) {
    it(`${mode} mode lists waiting mail as deferred, without mailq's "being delivered" marker`, async () => {
      h = await startHarness({ settings: () => ({ delivery: { mode } }) });
      const id = await h.submit('alice@sender.test', ['bob@dest.test']);
      await h.engine.whenIdle();
      const added = h.events.find((e) => e.type === 'queue:added');
      expect(added).toMatchObject({ entry: { id, state: 'deferred' } });
      const list = await h.engine.listQueue();
      expect(list).toMatchObject([{ id, state: 'deferred', reason: 'Deferred: waiting for a queue run' }]);
      expect(toPostqueueJson(list[0]).queue_name).toBe('deferred');
      // What `mailstop mailq` prints from listQueue: no `*` after the id.
      const mailq = formatMailq(list, { spoolDir: '/spool', now: h.clock.now() });
      expect(mailq).toContain(`${id}  `);
      expect(mailq).not.toContain(`${id}*`);
      expect((await h.engine.status()).counts).toMatchObject({ total: 1, active: 0, deferred: 1 });
      expect(await h.engine.listQueue({ state: 'active' })).toEqual([]);
      // After a restart the control file still says what cleanup wrote; the listing does not.
      await h.engine.stop();
      h.engine = await createEngine({ home: h.home, settings: h.settings, clock: h.clock, timers: false, passwdFile: '' });
      await h.engine.start();
      expect(await h.engine.listQueue()).toMatchObject([{ id, state: 'deferred' }]);
      // A flush still delivers it.
      expect(await h.engine.flush({ ids: [id], force: true })).toMatchObject({ attempted: 1, sent: 1 });
      expect(await h.engine.listQueue()).toEqual([]);
    });
  }

  it('queueonly mail goes at the next cron queue run of the injected clock', async () => {
    h = await startHarness({ settings: () => ({ delivery: { mode: 'queueonly', queueRun: ['15 * * * *', '45 * * * *'] } }) });
    await h.submit('alice@sender.test', ['bob@dest.test']); // clock: 09:00:00
    await h.engine.whenIdle();
    h.clock.advance(14 * MIN);
    await h.engine.runDue();
    expect(h.sink.messages).toHaveLength(0);
    h.clock.advance(1 * MIN); // 09:15
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(1);
    await h.submit('alice@sender.test', ['carol@dest.test']);
    h.clock.advance(30 * MIN); // 09:45, the second schedule
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(2);
  });

  it('keeps the previous schedule when an update has a bad cron expression', async () => {
    h = await startHarness({ settings: () => ({ delivery: { mode: 'queueonly', queueRun: '15 * * * *' } }) });
    const got = await h.engine.updateSettings({ delivery: { queueRun: '99 * * * *' } });
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.errors[0]).toMatchObject({ path: 'delivery.queueRun' });
    await h.submit('alice@sender.test', ['bob@dest.test']);
    h.clock.advance(15 * MIN);
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(1);
  });

  it('moves a message that keeps failing to the slow queue, which runs on its own schedule', async () => {
    h = await startHarness({
      sink: { replies: { rcpt: () => '451 4.3.0 later' } },
      settings: () => ({ delivery: { queueRun: '*/30 * * * *', slowQueue: { enabled: true, afterAttempts: 2, afterAge: '7d', queueRun: '0 */4 * * *' } } }),
    });
    const id = await h.submit('alice@sender.test', ['bob@dest.test']); // attempt 1 at 09:00
    await h.engine.whenIdle();
    h.clock.advance(5 * MIN);
    await h.engine.runDue(); // attempt 2 → slow
    await h.engine.whenIdle();
    let [e] = await h.engine.listQueue();
    expect(e).toMatchObject({ id, attempts: 2, group: 'slow' });

    h.clock.advance(2 * HOUR); // 11:05: the default run at 09:30..11:00 does not touch slow mail
    await h.engine.runDue();
    await h.engine.whenIdle();
    [e] = await h.engine.listQueue();
    expect(e.attempts).toBe(2);

    h.clock.advance(55 * MIN); // 12:00: the slow queue's run
    await h.engine.runDue();
    await h.engine.whenIdle();
    [e] = await h.engine.listQueue();
    expect(e.attempts).toBe(3);
  });
});
