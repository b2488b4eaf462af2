// Several queued messages over one pipelined connection to the smart host, with a
// temporary failure in the middle (issue 13, "Tests that must exist"): whatever
// the delivery path does for speed — connections kept open, PIPELINING (RFC 2920),
// results committed in batches — a 4xx for one message (or one recipient) must
// defer exactly that one, with the server's reply in mailq, while every other
// message is delivered once and only once; a 421 that ends the session defers
// that message and the rest continue on a new connection.
//
// Real parts: `mailstop serve` as a child process, the CLI's `flush` and `mailq`,
// and a loopback smtp-server as the smart host that counts connections, sees
// whether the envelope was pipelined on the wire (relay-sink.ts), and counts every
// copy of every Message-ID it accepts.
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';
import { startRelaySink, type RelayMessage, type RelaySink } from '../helpers/relay-sink.ts';

// The smart host holds each MAIL FROM reply this long to judge pipelining (relay-sink.ts).
const HOLD_MAIL_MS = 20;

let world: World;
let relay: RelaySink;
let served: Served;

beforeAll(async () => {
  relay = await startRelaySink({ holdMailMs: HOLD_MAIL_MS });
  world = await startWorld(() => ({
    smartHost: { host: '[127.0.0.1]', port: relay.port, tls: 'none' },
    // Queued until the test flushes; one delivery at a time, so the messages can
    // only share a connection by being sent one after another on it.
    delivery: { mode: 'deferred', concurrency: 1, queueRun: [] },
  }));
  served = await startServe(world.home);
});
afterAll(async () => {
  await served?.stop();
  await relay?.close();
  await world?.close();
});

interface Outgoing { id: string; to: string[] }

/**
 * Submits the messages over one SMTP session to the engine; each must get its 250.
 * Each test has its own sender and flushes and lists only its own mail, so one
 * test's failure leaves nothing in the next one's way.
 */
async function submit(from: string, list: Outgoing[]): Promise<void> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port: served.ports.smtp, ignoreTLS: true, name: 'client.test' });
  await new Promise<void>((resolve, reject) => conn.connect((e?: Error) => (e ? reject(e) : resolve())));
  try {
    for (const m of list) {
      const raw = `From: <${from}>\r\nTo: ${m.to.map((t) => `<${t}>`).join(', ')}\r\nSubject: ${m.id}\r\n` +
        `Message-ID: <${m.id}>\r\n\r\nbody of ${m.id}\r\n`;
      const info = await new Promise<{ response?: string }>((resolve, reject) =>
        conn.send({ from, to: m.to }, raw, (e, i) => (e ? reject(e) : resolve(i as { response?: string }))));
      expect(info.response).toMatch(/^250 /);
    }
  } finally {
    conn.quit();
  }
}

interface QueuedJson { queue_id: string; sender: string; recipients: { address: string; delay_reason?: string }[] }

async function mailqJson(from: string): Promise<QueuedJson[]> {
  const r = await runCli(world.home, ['mailq', '--json']);
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as QueuedJson).filter((q) => q.sender === from);
}

async function flush(from: string): Promise<string> {
  const r = await runCli(world.home, ['flush', '--sender', from]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Copies the smart host accepted of each (Message-ID, recipient) pair. */
function copies(of: RelayMessage[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const m of of) for (const r of m.rcptTo) n.set(`${m.messageId} ${r}`, (n.get(`${m.messageId} ${r}`) ?? 0) + 1);
  return n;
}

const acceptedCopies = () => copies(relay.messages.filter((m) => m.accepted));

describe('several messages over one pipelined connection', () => {
  it('a 451 for the third message of six defers that one only, with the reply in mailq; the rest arrive once', async () => {
    const from = 'data451@sender.test';
    const ids = [1, 2, 3, 4, 5, 6].map((i) => `data451-${i}@sender.test`);
    const victim = ids[2];
    relay.setOptions({
      holdMailMs: HOLD_MAIL_MS,
      dataReply: (m) => (m.messageId === victim ? '451 4.3.0 Queue full here, try again later (test 13)' : undefined),
    });
    await submit(from, ids.map((id, i) => ({ id, to: [`r${i + 1}@dest.test`] })));
    const before = relay.messages.length;

    expect(await flush(from)).toMatch(/flush: 6 attempted, 5 sent, 1 deferred, 0 bounced/);
    const round = relay.messages.slice(before);
    expect(round.map((m) => m.messageId), 'one transaction per message, in queue order').toEqual(ids);

    // Over one connection: a refused final "." ends that transaction, not the session.
    const used = new Set(round.map((m) => m.connection));
    expect(used.size).toBe(1);
    // PIPELINING: each transaction's DATA was on the wire before the server answered its MAIL FROM.
    const judged = [...used].flatMap((c) => relay.connections[c].pipelined);
    expect(judged.length).toBeGreaterThanOrEqual(ids.length);
    expect(judged.every(Boolean), `pipelined per transaction: ${judged.join(' ')}`).toBe(true);

    // Exactly the refused one waits, with the smart host's reply.
    const queued = await mailqJson(from);
    expect(queued.map((q) => q.recipients.map((r) => r.address))).toEqual([['r3@dest.test']]);
    expect(queued[0].recipients[0].delay_reason).toMatch(/^451 .*Queue full here, try again later \(test 13\)/);
    expect((await runCli(world.home, ['mailq'])).stdout).toMatch(/\(Deferred: 451 4\.3\.0 Queue full here/);

    // The smart host takes it now: it arrives, and nothing else is sent again.
    relay.setOptions({ holdMailMs: HOLD_MAIL_MS });
    expect(await flush(from)).toMatch(/flush: 1 attempted, 1 sent, 0 deferred/);
    const got = acceptedCopies();
    for (const [i, id] of ids.entries()) expect(got.get(`${id} r${i + 1}@dest.test`), id).toBe(1);
    expect(await mailqJson(from)).toEqual([]);
  }, 30_000);

  it('a 421 (server closing) after the third message\'s "." defers that one; the rest go on a new connection, once each', async () => {
    const from = 'close421@sender.test';
    const ids = [1, 2, 3, 4, 5, 6].map((i) => `close421-${i}@sender.test`);
    relay.setOptions({
      holdMailMs: HOLD_MAIL_MS,
      // smtp-server hangs up after a 421 (RFC 5321 §3.8).
      dataReply: (m) => (m.messageId === ids[2] ? '421 4.3.2 Shutting down for maintenance (test 13)' : undefined),
    });
    await submit(from, ids.map((id, i) => ({ id, to: [`c${i + 1}@dest.test`] })));
    const before = relay.messages.length;

    expect(await flush(from)).toMatch(/flush: 6 attempted, 5 sent, 1 deferred, 0 bounced/);
    const round = relay.messages.slice(before);
    expect(round.map((m) => m.messageId)).toEqual(ids);
    const [first, second] = [round[0].connection, round[3].connection];
    expect(round.map((m) => m.connection), 'the closed session is not used again').toEqual([first, first, first, second, second, second]);
    expect(second).not.toBe(first);

    const queued = await mailqJson(from);
    expect(queued.map((q) => q.recipients.map((r) => r.address))).toEqual([['c3@dest.test']]);
    expect(queued[0].recipients[0].delay_reason).toMatch(/^421 .*Shutting down for maintenance \(test 13\)/);

    relay.setOptions({ holdMailMs: HOLD_MAIL_MS });
    expect(await flush(from)).toMatch(/flush: 1 attempted, 1 sent, 0 deferred/);
    const got = acceptedCopies();
    for (const [i, id] of ids.entries()) expect(got.get(`${id} c${i + 1}@dest.test`), id).toBe(1);
  }, 30_000);

  it('a 452 for one recipient of three defers that recipient only; the retry carries it alone', async () => {
    const from = 'rcpt452@sender.test';
    const list: Outgoing[] = [
      { id: 'rcpt452-1@sender.test', to: ['one@dest.test'] },
      { id: 'rcpt452-2@sender.test', to: ['a@dest.test', 'busy@dest.test', 'c@dest.test'] },
      { id: 'rcpt452-3@sender.test', to: ['three@dest.test'] },
    ];
    relay.setOptions({
      holdMailMs: HOLD_MAIL_MS,
      rcptReply: (address) => (address === 'busy@dest.test' ? '452 4.2.2 Mailbox busy (test 13)' : undefined),
    });
    await submit(from, list);
    const before = relay.messages.length;

    expect(await flush(from)).toMatch(/flush: 3 attempted, 2 sent, 1 deferred, 0 bounced/);
    const round = relay.messages.slice(before);
    expect(round.map((m) => [m.messageId, m.rcptTo])).toEqual([
      ['rcpt452-1@sender.test', ['one@dest.test']],
      ['rcpt452-2@sender.test', ['a@dest.test', 'c@dest.test']],
      ['rcpt452-3@sender.test', ['three@dest.test']],
    ]);
    // A refused RCPT is no reason to leave the connection: all three rode one.
    expect(new Set(round.map((m) => m.connection)).size).toBe(1);
    const judged = relay.connections[round[0].connection].pipelined.slice(-3);
    expect(judged).toEqual([true, true, true]);

    const queued = await mailqJson(from);
    expect(queued.map((q) => q.recipients.map((r) => r.address))).toEqual([['busy@dest.test']]);
    expect(queued[0].recipients[0].delay_reason).toMatch(/^452 .*Mailbox busy \(test 13\)/);

    relay.setOptions({ holdMailMs: HOLD_MAIL_MS });
    expect(await flush(from)).toMatch(/flush: 1 attempted, 1 sent, 0 deferred/);
    const retry = relay.messages.slice(before + round.length);
    expect(retry.map((m) => [m.messageId, m.rcptTo])).toEqual([['rcpt452-2@sender.test', ['busy@dest.test']]]);
    const got = acceptedCopies();
    for (const m of list) for (const r of m.to) expect(got.get(`${m.id} ${r}`), `${m.id} ${r}`).toBe(1);
  }, 30_000);
});

describe('the smart host\'s pipelining judgement', () => {
  it('can fail: to a server without PIPELINING the client waits for each reply, and the sink says so', async () => {
    const plain = await startRelaySink({ holdMailMs: HOLD_MAIL_MS, pipelining: false });
    try {
      const conn = new SMTPConnection({ host: '127.0.0.1', port: plain.port, ignoreTLS: true, name: 'client.test' });
      await new Promise<void>((resolve, reject) => conn.connect((e?: Error) => (e ? reject(e) : resolve())));
      for (const n of [1, 2]) {
        await new Promise((resolve, reject) => conn.send({ from: 'a@sender.test', to: ['b@dest.test', 'c@dest.test'] },
          `Message-ID: <plain-${n}@sender.test>\r\n\r\nbody\r\n`, (e, i) => (e ? reject(e) : resolve(i))));
      }
      conn.quit();
      expect(plain.messages.map((m) => m.messageId)).toEqual(['plain-1@sender.test', 'plain-2@sender.test']);
      expect(plain.connections.map((c) => c.pipelined)).toEqual([[false, false]]);
    } finally {
      await plain.close();
    }
  });
});
