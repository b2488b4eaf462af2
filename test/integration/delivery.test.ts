// Whole engine over loopback: SMTP in → durable spool → MX from a real DNS
// server → a real SMTP sink; DSNs back to the sender on 5xx; retries on 4xx.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, MIN, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

describe('delivery end to end', () => {
  it('delivers a message received over SMTP to the recipient domain MX', async () => {
    h = await startHarness();
    const reply = await h.send('alice@sender.test', ['bob@dest.test']);
    expect(reply).toMatch(/^250/);
    const [msg] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(msg.envelope).toEqual({ mailFrom: 'alice@sender.test', rcptTo: ['bob@dest.test'] });
    expect(msg.raw.toString()).toContain('Subject: test');
    expect(await h.engine.listQueue()).toEqual([]);
    const log = await h.engine.tailLog(20);
    expect(log.some((l) => /to=<bob@dest\.test>.*stat=Sent/.test(l))).toBe(true);
    const removed = h.events.find((e) => e.type === 'queue:removed');
    expect(removed).toMatchObject({ why: 'delivered' });
  });

  it('carries two recipients of one domain in one transaction', async () => {
    h = await startHarness();
    await h.send('alice@sender.test', ['bob@dest.test', 'carol@dest.test']);
    await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0].envelope.rcptTo.sort()).toEqual(['bob@dest.test', 'carol@dest.test']);
  });

  it('bounces on 5xx with a DSN delivered to the sender domain', async () => {
    h = await startHarness({ sink: { replies: { rcpt: { 'nobody@dest.test': '550 5.1.1 No such user' } } } });
    await h.send('alice@sender.test', ['nobody@dest.test']);
    const [dsn] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(dsn.envelope).toEqual({ mailFrom: '', rcptTo: ['alice@sender.test'] });
    const text = dsn.raw.toString();
    expect(text).toContain('multipart/report');
    expect(text).toMatch(/Final-Recipient: rfc822;\s*nobody@dest\.test/i);
    expect(text).toMatch(/Action: failed/);
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('defers on 4xx with the reason, then delivers once the backoff has passed', async () => {
    h = await startHarness();
    h.sink.setReplies({ rcpt: () => '451 4.3.0 Try again later' });
    const id = await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.engine.whenIdle();
    let [entry] = await h.engine.listQueue();
    expect(entry).toMatchObject({ id, state: 'deferred', attempts: 1 });
    expect(entry.reason).toMatch(/^Deferred: 451/);
    expect(entry.nextAttempt).toBe(h.clock.now() + 5 * MIN);

    // Not yet due: nothing happens.
    h.sink.setReplies({});
    h.clock.advance(4 * MIN);
    await h.engine.runDue();
    [entry] = await h.engine.listQueue();
    expect(entry.attempts).toBe(1);
    expect(h.sink.messages).toHaveLength(0);

    h.clock.advance(2 * MIN);
    await h.engine.runDue();
    expect(h.sink.messages).toHaveLength(1);
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('bounces at once for a null MX domain (RFC 7505)', async () => {
    h = await startHarness();
    await h.submit('alice@sender.test', ['bob@nullmx.test']);
    const [dsn] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(dsn.envelope.rcptTo).toEqual(['alice@sender.test']);
    expect(dsn.raw.toString()).toMatch(/Status: 5\.1\.10|Status: 5\.\d\.\d/);
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('sends through the smart host instead of the MX when one is set', async () => {
    const { startSink } = await import('../helpers/sink.ts');
    const smart = await startSink();
    try {
      h = await startHarness({ settings: () => ({ smartHost: { host: '[127.0.0.1]', port: smart.port, tls: 'none' } }) });
      await h.submit('alice@sender.test', ['bob@dest.test']);
      await smart.waitForMessages(1);
      await h.engine.whenIdle();
      expect(smart.messages[0].envelope.rcptTo).toEqual(['bob@dest.test']);
      expect(h.sink.messages).toHaveLength(0);
    } finally {
      await smart.close();
    }
  });
});

describe('recipients that resolve to no destination', () => {
  // Sendmail logs them like any bounce (`to=<…>, …, mailer=local, dsn=5.1.1, stat=User unknown`)
  // and `flush -v` prints them: both come from the maillog line and the delivery:result event.
  const cases = [
    { name: 'unknown local user', rcpt: 'nobody@localhost', address: 'nobody@localhost', mailer: 'local', dsn: '5.1.1', stat: 'User unknown' },
    { name: 'alias to a bad remote address', rcpt: 'ext@localhost', address: 'x<y@dest.test', mailer: 'esmtp', dsn: '5.3.5', stat: 'alias ext: bad address' },
  ];
  for (const c of cases) {
    it(`logs and reports ${c.name}`, async () => {
      h = await startHarness({ settings: () => ({ aliases: { ext: ['x<y@dest.test'] } }) });
      const id = await h.submit('alice@sender.test', [c.rcpt]);
      await h.engine.whenIdle();
      const log = await h.engine.tailLog(50, `${id}: to=`);
      const line = log.find((l) => l.includes(`to=<${c.address}>`));
      expect(line, log.join('\n')).toBeDefined();
      expect(line).toMatch(new RegExp(`${id}: to=<.+?>, delay=\\d\\d:\\d\\d:\\d\\d, xdelay=\\d\\d:\\d\\d:\\d\\d, mailer=${c.mailer}, pri=\\d+, dsn=${c.dsn}, stat=${c.stat}`));
      expect(line).not.toMatch(/relay=/);
      const got = h.events.find((e) => e.type === 'delivery:result' && e.id === id);
      expect(got).toMatchObject({ type: 'delivery:result', address: c.address, status: 'bounced' });
    });
  }
});
