// kill -9 while relaying (issue 13: "batched commits under kill -9", "a worker/child
// boundary that is killed mid-delivery: no loss; duplicates only for in-flight
// messages"). kill9.test.ts kills the engine while the next hop refuses everything;
// here the next hop accepts, so the kills land among deliveries that are really
// happening and results that are being committed (removals of delivered mail).
//
// `mailstop serve` runs as a child process on a temp home; the smart host is a
// loopback smtp-server that records every copy of every Message-ID and holds each
// "." reply a moment (so deliveries are in flight whenever the test looks).
// SMTP clients feed the engine; each 250 they get is counted. The engine is
// SIGKILLed three times at three kinds of moment, restarted on the same home each
// time, and finally left to drain. Then:
// - every message that got a 250 reached the smart host at least once;
// - no copy within one engine's life is a second copy (that would be a duplicate
//   of a delivery already done and committed), and the copies repeated after a kill
//   are at most delivery.concurrency: the attempts that can be in flight at once;
// - the spool is empty: no queue file, no temporary file, nothing in corrupt/.
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, runCli, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';
import { startRelaySink, type RelayMessage, type RelaySink } from '../helpers/relay-sink.ts';

/** Attempts in flight at once: the most copies a kill can leave to be sent again. */
const CONCURRENCY = 2;
/** The smart host's pause before each "." reply: deliveries are in flight whenever the test looks. */
const HOLD_DATA_MS = 30;
/** Before the second kill: far slower than the engine accepts, so a backlog builds for the third. */
const SLOW_HOLD_MS = 100;
const CLIENTS = 4;
/** After a kill, time for bytes the dead engine wrote to reach the smart host (loopback: far less). */
const SETTLE_MS = 200;

let world: World;
let relay: RelaySink;
let served: Served | undefined;

beforeAll(async () => {
  relay = await startRelaySink({ holdDataMs: HOLD_DATA_MS });
  world = await startWorld(() => ({
    smartHost: { host: '[127.0.0.1]', port: relay.port, tls: 'none' },
    delivery: { mode: 'whenonline', concurrency: CONCURRENCY, queueRun: [] },
  }));
});
afterAll(async () => {
  await served?.stop();
  await relay?.close();
  await world?.close();
});

function body(tag: string, pad: number): string {
  return `From: <load@sender.test>\r\nTo: <rcpt@dest.test>\r\nSubject: ${tag}\r\nMessage-ID: <${tag}>\r\n\r\n` +
    `${'payload line\r\n'.repeat(pad)}end of ${tag}\r\n`;
}

interface Feed { acked: Set<string>; stop: boolean; clients: Promise<void>[] }

/** CLIENTS sessions sending back to back until told to stop or until their connection dies. */
function feed(port: number, life: number, acked: Set<string>): Feed {
  const f: Feed = { acked, stop: false, clients: [] };
  for (let n = 0; n < CLIENTS; n++) {
    f.clients.push((async () => {
      const conn = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, connectionTimeout: 10_000, socketTimeout: 10_000 });
      conn.on('error', () => {});
      try {
        await new Promise<void>((resolve, reject) => conn.connect((e?: Error) => (e ? reject(e) : resolve())));
        for (let i = 0; !f.stop; i++) {
          const tag = `k9r-${life}-${n}-${i}@sender.test`;
          await new Promise<void>((resolve, reject) => {
            conn.send({ from: 'load@sender.test', to: ['rcpt@dest.test'] }, body(tag, (i * 37) % 120), (e, info) => {
              if (e) return reject(e);
              if (/^250[ -]/.test(info.response ?? '')) acked.add(tag);
              resolve();
            });
          });
        }
        conn.quit();
      } catch {
        // The kill ended this session; what it got a 250 for is in acked.
      } finally {
        conn.close();
      }
    })());
  }
  return f;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(fn: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(2);
  }
}

describe('kill -9 while relaying to a smart host that accepts', () => {
  it('no acknowledged message is lost; repeats only for what was in flight at each kill; the spool ends empty', async () => {
    const acked = new Set<string>();
    /** Date.now() at each restart's spawn: a copy that arrived before boundary k was sent by an engine killed by kill k. */
    const boundaries: number[] = [];
    const lifeOf = (m: RelayMessage) => boundaries.filter((b) => m.at >= b).length;
    const receivedSince = (t: number) => relay.messages.filter((m) => m.at >= t).length;
    const backlog = () => {
      const got = new Set(relay.messages.map((m) => m.messageId));
      return [...acked].filter((id) => !got.has(id)).length;
    };
    const restart = async () => {
      // What the killed engine had already written may still be in our socket buffers:
      // let it arrive, so the copy counts for the life that sent it.
      await sleep(SETTLE_MS);
      boundaries.push(Date.now());
      served = await startServe(world.home);
      return boundaries[boundaries.length - 1];
    };

    // Life 0 — killed while a message sits at the smart host complete, its 250 not
    // yet sent: the engine cannot know it arrived, so it must send it again.
    served = await startServe(world.home);
    let f = feed(served.ports.smtp, 0, acked);
    await until(() => acked.size >= 20 && relay.messages.length >= 3 && relay.held > 0, 'a delivery awaiting its 250');
    await served.kill9();
    f.stop = true;
    await Promise.all(f.clients);

    // Life 1 — killed right after the smart host's 250 went out: delivered, and the
    // engine is about to commit that (remove the entry, or batch it).
    // The next hop slows down meanwhile, so a backlog builds whatever the disk's speed.
    relay.setOptions({ holdDataMs: SLOW_HOLD_MS });
    let since = await restart();
    f = feed(served.ports.smtp, 1, acked);
    await until(() => receivedSince(since) >= 5 && backlog() >= 30, 'deliveries in this life and a backlog');
    const child = served.child;
    const killedAt = new Promise<void>((resolve) => relay.setOptions({
      holdDataMs: HOLD_DATA_MS,
      onAccepted: () => { child.kill('SIGKILL'); resolve(); },
    }));
    await killedAt;
    relay.setOptions({ holdDataMs: HOLD_DATA_MS });
    await served.kill9();
    f.stop = true;
    await Promise.all(f.clients);
    expect(backlog(), 'acknowledged mail still queued for the third kill').toBeGreaterThan(10);

    // Life 2 — no more input: killed while it drains the backlog, mid-DATA or mid-reply.
    since = await restart();
    await until(() => receivedSince(since) >= 5 && relay.inData > 0, 'the drain under way');
    await served.kill9();

    // Life 3 — left to drain.
    await restart();
    await until(() => backlog() === 0, 'every acknowledged message at the smart host', 30_000);
    const spool = path.join(world.home, 'spool');
    const deadline = Date.now() + 15_000;
    while ((await filesUnder(spool)).length > 0 && Date.now() < deadline) await sleep(100);

    // Nothing invented, nothing cut short.
    for (const m of relay.messages) {
      expect(m.messageId).toMatch(/^k9r-\d-\d-\d+@sender\.test$/);
      expect(m.raw.toString()).toContain(`end of ${m.messageId}\r\n`);
    }
    // Repeats: never within one life; after each kill at most one per delivery slot.
    const lives = new Map<string, number[]>();
    for (const m of relay.messages) lives.set(m.messageId, [...(lives.get(m.messageId) ?? []), lifeOf(m)]);
    const withinOneLife = [...lives].filter(([, l]) => new Set(l).size !== l.length);
    expect(withinOneLife, 'a message sent twice by the same engine').toEqual([]);
    for (let life = 0; life < boundaries.length; life++) {
      const repeated = [...lives].filter(([, l]) => l.includes(life) && l.some((x) => x > life)).map(([id]) => id);
      expect(repeated.length, `sent before kill ${life + 1} and again after it: ${repeated.join(' ')}`).toBeLessThanOrEqual(CONCURRENCY);
    }
    // The first kill landed with a message complete at the smart host and unanswered: that one came again.
    expect([...lives].some(([, l]) => l.includes(0) && l.some((x) => x > 0))).toBe(true);

    // Drained: the queue is empty and so is the spool directory (no tf/df/qf, nothing in corrupt/).
    expect(await filesUnder(spool)).toEqual([]);
    expect((await runCli(world.home, ['mailq'])).stdout).toContain('is empty');
    expect(acked.size).toBeGreaterThan(50);
  }, 90_000);
});
