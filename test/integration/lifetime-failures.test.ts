// Queue lifetime when a report cannot be queued (here: the DSN is larger than
// smtp.maxMessageSize, so cleanup refuses it): expired mail and a failed delay
// warning are tried again after the backoff, not at every heartbeat — the
// remote MX is not hammered once a second and the maillog says what happened.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, DAY, HOUR, MIN, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

// The original fits in 1024 octets (the smallest maxMessageSize); a DSN carrying it does not.
const BODY = 'x'.repeat(300);

async function tick(x: Harness, ms: number): Promise<void> {
  x.clock.advance(ms);
  await x.engine.runDue();
  await x.engine.whenIdle();
}

describe('a report that cannot be queued', () => {
  it('expired mail: the last attempt is repeated after the backoff, not every heartbeat', async () => {
    let rcpts = 0;
    h = await startHarness({
      settings: () => ({ smtp: { maxMessageSize: 1024 } }),
      sink: { replies: { rcpt: (a) => { if (a.endsWith('@dest.test')) { rcpts++; return '451 4.4.1 Mailbox busy'; } return undefined; } } },
    });
    await h.submit('alice@sender.test', ['bob@dest.test'], BODY);
    await h.engine.whenIdle();
    expect(rcpts).toBe(1);

    await tick(h, 5 * DAY + 1000); // past queueReturn: the last attempt, whose failure report is refused
    expect(rcpts).toBe(2);
    const [waiting] = await h.engine.listQueue();
    expect(waiting.reason).toMatch(/cannot queue a delivery status notification/);
    expect(waiting.nextAttempt).toBeGreaterThan(h.clock.now());

    const got: number[] = [];
    for (let i = 0; i < 3; i++) { await tick(h, 1000); got.push(rcpts); }
    expect(got).toEqual([2, 2, 2]);

    await tick(h, waiting.nextAttempt - h.clock.now()); // the backoff has passed: tried again
    expect(rcpts).toBe(3);
  });

  it('delay warning: logged, and tried again after the backoff (nextAttempt pushed)', async () => {
    h = await startHarness({
      settings: () => ({ smtp: { maxMessageSize: 1024 }, delivery: { mode: 'queueonly', queueRun: [], queueWarn: '30m', minBackoff: '1h', maxBackoff: '2h' } }),
    });
    const id = await h.submit('alice@sender.test', ['bob@dest.test'], BODY);
    const failures = async () => (await h!.engine.tailLog(200)).filter((l) => l.includes('delay warning not queued')).length;

    await tick(h, 31 * MIN);
    const failedAt = h.clock.now();
    expect(await failures()).toBe(1);
    const [entry] = await h.engine.listQueue({ ids: [id] });
    expect({ warned: !!entry.warned, nextAttempt: entry.nextAttempt }).toEqual({ warned: false, nextAttempt: failedAt + HOUR });

    for (let i = 0; i < 3; i++) await tick(h, 1000);
    expect(await failures()).toBe(1);

    await tick(h, failedAt + HOUR - h.clock.now());
    expect(await failures()).toBe(2);
    expect(h.sink.messages).toEqual([]);
  });
});
