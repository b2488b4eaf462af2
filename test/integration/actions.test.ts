// Queue actions and flush through EngineApi, on a real engine over loopback:
// hold/release/remove/bounceNow/requeue/moveToGroup, flush by recipient or id,
// and settings updates that are validated before anything changes.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

/** queueonly: mail waits for a run or a flush, so tests act on a queue that holds still. */
const queueOnly = () => ({ delivery: { mode: 'queueonly' as const } });

describe('queue actions through EngineApi', () => {
  it('holds, refuses to flush held mail unless named by id, releases', async () => {
    h = await startHarness({ settings: queueOnly });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    const b = await h.submit('alice@sender.test', ['carol@dest.test']);
    const held = await h.engine.hold({ ids: [a, 'NoSuchId000000'] });
    expect(held).toEqual({ changed: [a], missing: ['NoSuchId000000'] });
    expect((await h.engine.listQueue({ state: 'hold' })).map((e) => e.id)).toEqual([a]);

    const summary = await h.engine.flush();
    await h.engine.whenIdle();
    expect(summary).toMatchObject({ attempted: 1, sent: 1, skipped: 1 });
    expect(h.sink.messages.map((m) => m.envelope.rcptTo[0])).toEqual(['carol@dest.test']);
    expect((await h.engine.listQueue()).map((e) => e.id)).toEqual([a]);

    const released = await h.engine.release({ ids: [a] });
    expect(released.changed).toEqual([a]);
    expect((await h.engine.listQueue())[0].state).not.toBe('hold');
    await h.engine.flush({ ids: [a] });
    expect(h.sink.messages).toHaveLength(2);
    expect(b).not.toBe(a);
  });

  it('flushes a held message when it is named by id', async () => {
    h = await startHarness({ settings: queueOnly });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.engine.hold({ ids: [a] });
    const summary = await h.engine.flush({ ids: [a] });
    expect(summary).toMatchObject({ attempted: 1, sent: 1 });
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('flushes only messages whose recipient matches (-qR), and by sender (-qS)', async () => {
    h = await startHarness({ settings: queueOnly });
    await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.submit('alice@sender.test', ['carol@other.test']);
    await h.submit('zed@sender.test', ['dave@other.test']);
    const progress: number[] = [];
    const off = h.engine.subscribe((e) => { if (e.type === 'flush:progress') progress.push(e.done); });
    const s1 = await h.engine.flush({ recipient: 'OTHER.test', sender: 'alice' });
    off();
    expect(s1).toMatchObject({ attempted: 1, sent: 1, skipped: 0 });
    expect(progress).toEqual([1]);
    expect(h.sink.messages.map((m) => m.envelope.rcptTo[0])).toEqual(['carol@other.test']);
    const started = h.events.find((e) => e.type === 'flush:started');
    expect(started).toEqual({ type: 'flush:started', total: 1 });
    expect(h.events.some((e) => e.type === 'flush:done')).toBe(true);
    expect((await h.engine.listQueue()).length).toBe(2);
  });

  it('removes without notice and bounces now with a DSN', async () => {
    h = await startHarness({ settings: queueOnly });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    const b = await h.submit('alice@sender.test', ['carol@dest.test']);
    expect(await h.engine.remove({ ids: [a] })).toEqual({ changed: [a], missing: [] });
    expect(await h.engine.getMessage(a)).toBeNull();
    expect(await h.engine.bounceNow({ ids: [b] })).toEqual({ changed: [b], missing: [] });
    // The DSN itself is now queued (queueonly); flush it out to the sender's MX.
    const queued = await h.engine.listQueue();
    expect(queued).toHaveLength(1);
    expect(queued[0].sender).toBe('');
    expect(queued[0].recipients.map((r) => r.address)).toEqual(['alice@sender.test']);
    await h.engine.flush();
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0].raw.toString()).toMatch(/carol@dest\.test/);
    expect(h.events.filter((e) => e.type === 'queue:removed').map((e) => (e as { why: string }).why))
      .toEqual(['deleted', 'bounced', 'delivered']);
  });

  it('requeues (attempts reset, due at once) and moves between groups', async () => {
    h = await startHarness({ sink: { replies: { rcpt: () => '451 4.3.0 later' } } });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.engine.whenIdle();
    expect((await h.engine.listQueue())[0].attempts).toBe(1);
    h.sink.setReplies({});
    expect((await h.engine.requeue({ ids: [a] })).changed).toEqual([a]);
    await h.engine.whenIdle(); // background mode: a requeued message goes at once
    expect(h.sink.messages).toHaveLength(1);

    h.sink.setReplies({ rcpt: () => '451 4.3.0 later' });
    const b = await h.submit('alice@sender.test', ['carol@dest.test']);
    await h.engine.whenIdle();
    await h.engine.hold({ ids: [b] });
    expect((await h.engine.moveToGroup({ ids: [b] }, 'slow')).changed).toEqual([b]);
    expect((await h.engine.listQueue({ group: 'slow' })).map((e) => e.id)).toEqual([b]);
    await expect(h.engine.moveToGroup({ ids: [b] }, 'Bad Group!')).rejects.toThrow(/queue group/);
  });

  it('shows a message with its headers, and status with real ports and counts', async () => {
    h = await startHarness({ settings: queueOnly });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    const detail = await h.engine.getMessage(a);
    expect(detail?.entry.id).toBe(a);
    expect(detail?.headers).toMatch(/Subject: test/);
    const st = await h.engine.status();
    expect(st.listeners).toEqual([{ name: 'smtp', address: '127.0.0.1', port: h.smtpPort }]);
    expect(h.smtpPort).toBeGreaterThan(0);
    expect(st.counts).toMatchObject({ total: 1, hold: 0, corrupt: 0 });
    expect(st.mode).toBe('queueonly');
    expect(st.online.online).toBe(true);
  });
});

describe('settings through EngineApi', () => {
  it('rejects a bad value naming the field, and changes nothing', async () => {
    h = await startHarness();
    const before = await h.engine.getSettings();
    const cases = [
      { patch: { delivery: { queueWarn: 'soon' } }, path: 'delivery.queueWarn' },
      { patch: { delivery: { mode: 'sometimes' } }, path: 'delivery.mode' },
      { patch: { delivery: { queueRun: ['*/5 * * * *', 'every day'] } }, path: 'delivery.queueRun[1]' },
      { patch: { routes: [{ domain: 'bad domain!', mailer: 'esmtp' }] }, path: 'routes[0].domain' },
    ];
    for (const c of cases) {
      const got = await h.engine.updateSettings(c.patch as never);
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.errors.map((e) => e.path)).toContain(c.path);
    }
    expect(await h.engine.getSettings()).toEqual(before);
    await expect(fs.access(path.join(h.home, 'config.json'))).rejects.toThrow();
    expect(h.events.some((e) => e.type === 'settings:changed')).toBe(false);
  });

  it('applies a good update live, writes config.json and tells subscribers', async () => {
    h = await startHarness();
    const got = await h.engine.updateSettings({ delivery: { mode: 'queueonly' } });
    expect(got.ok).toBe(true);
    const saved = JSON.parse(await fs.readFile(path.join(h.home, 'config.json'), 'utf8'));
    expect(saved.delivery.mode).toBe('queueonly');
    expect(saved.delivery.remotePort).toBe(h.sink.port); // the rest of the section kept
    expect((await h.engine.status()).mode).toBe('queueonly');
    expect(h.events.some((e) => e.type === 'settings:changed')).toBe(true);
    // queueonly now: a new message waits.
    await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(0);
  });
});
