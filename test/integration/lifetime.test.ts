// Queue lifetime over loopback with an injected clock: the delay warning once
// after queueWarn, the return after queueReturn (4.4.7), and the double-bounce
// rules — a failed bounce goes to delivery.doubleBounce, a failed double bounce
// is dropped with a log line instead of looping.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, DAY, HOUR, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

const tempfailDest = (address: string) => (address.endsWith('@dest.test') ? '451 4.4.1 Mailbox busy' : undefined);

describe('queue lifetime', () => {
  it('sends one delay warning after queueWarn, then returns the message after queueReturn', async () => {
    h = await startHarness({ sink: { replies: { rcpt: tempfailDest } } });
    const id = await h.submit('alice@sender.test', ['bob@dest.test']);
    await h.engine.whenIdle();
    const [first] = await h.engine.listQueue();
    expect(first.id).toBe(id);
    expect(first.warned).toBeFalsy();

    h.clock.advance(4 * HOUR + 1000);
    await h.engine.runDue();
    await h.engine.whenIdle();
    const warnings = () => h!.sink.messages.filter((m) => m.envelope.rcptTo[0] === 'alice@sender.test');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0].raw.toString()).toMatch(/Action: delayed/);
    expect((await h.engine.listQueue({ ids: [id] }))[0].warned).toBe(true);

    // Later attempts never warn again.
    h.clock.advance(2 * HOUR);
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(warnings()).toHaveLength(1);

    h.clock.advance(5 * DAY);
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(await h.engine.listQueue()).toEqual([]);
    const reports = warnings();
    expect(reports).toHaveLength(2);
    const failure = reports[1].raw.toString();
    expect(failure).toMatch(/Action: failed/);
    expect(failure).toMatch(/Status: [45]\.4\.7/);
    expect(failure).toContain('Message could not be delivered for 5 days');
  });

  it('sends a failed bounce to the double-bounce address, and drops a failed double bounce', async () => {
    // Everything to sender.test fails permanently: the bounce to alice fails too.
    h = await startHarness({
      sink: { replies: { rcpt: (a) => (a.endsWith('@sender.test') || a.startsWith('nobody@') ? '550 5.1.1 No such user' : undefined) } },
      settings: () => ({ delivery: { doubleBounce: 'postmaster@other.test' } }),
    });
    await h.submit('alice@sender.test', ['nobody@dest.test']);
    const [notice] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(notice.envelope).toEqual({ mailFrom: '', rcptTo: ['postmaster@other.test'] });
    expect(await h.engine.listQueue()).toEqual([]);

    // Now the postmaster's mailbox fails as well: the double bounce is dropped, not looped.
    h.sink.reset();
    h.sink.setReplies({ rcpt: () => '550 5.1.1 No such user' });
    await h.submit('alice@sender.test', ['nobody@dest.test']);
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(0);
    expect(await h.engine.listQueue()).toEqual([]);
    const log = await h.engine.tailLog(50);
    expect(log.some((l) => l.includes('bounce of a bounce dropped'))).toBe(true);
  });

  it('never sends a delay warning for a bounce (sender <>)', async () => {
    h = await startHarness({ sink: { replies: { rcpt: () => '451 4.4.1 busy' } } });
    const r = await h.engine.submit({
      envelope: { sender: '', recipients: [{ address: 'alice@dest.test' }] },
      messageBase64: Buffer.from('From: MAILER-DAEMON@mta.test\nSubject: bounce\n\nx\n').toString('base64'),
    });
    await h.engine.whenIdle();
    h.clock.advance(5 * HOUR);
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(0);
    expect((await h.engine.listQueue())[0].id).toBe(r.id);
  });
});
