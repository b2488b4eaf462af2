// The promise behind every `250` (DESIGN.md "Promises", issue 2 item 3): an
// acknowledged message is on disk and survives `kill -9` at any moment.
//
// `mailstop serve` runs as a real subprocess. Several SMTP clients send at once
// while the engine also attempts deliveries (the sink MX answers 451 for now, so
// control files are being rewritten too). Every message that got its 250 is
// recorded; the engine is killed with SIGKILL mid-load; the sink starts
// accepting; the engine restarts, and every acknowledged message must arrive
// (matched by a unique header). Afterwards nothing is left in the spool: the
// half-written entries of the interrupted sessions were cleaned, not kept.
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, runCli, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';

/** Enough parallel sessions that some are always mid-DATA when the kill lands. */
const CLIENTS = 6;
/** Acknowledged messages before the kill: plenty of committed work, still well within the load. */
const ACKS_BEFORE_KILL = 40;

let world: World;
let served: Served | undefined;

beforeAll(async () => {
  world = await startWorld(() => ({ delivery: { mode: 'whenonline' } }));
  // Deliveries are attempted and deferred during the load (control files rewritten).
  world.sink.setReplies({ data: '451 4.3.0 Try again later' });
});
afterAll(async () => {
  await served?.stop();
  await world.close();
});

function body(tag: string, pad: number): string {
  return `From: <load@sender.test>\r\nTo: <rcpt@dest.test>\r\nSubject: ${tag}\r\nX-Kill9-Id: ${tag}\r\n\r\n` +
    `${'payload line\r\n'.repeat(pad)}end of ${tag}\r\n`;
}

/** One client: sends messages back to back on one connection until the connection dies. */
async function client(n: number, port: number, acked: Set<string>, sent: { count: number }, stop: () => boolean): Promise<'died' | 'stopped'> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, connectionTimeout: 10_000, socketTimeout: 10_000 });
  conn.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => conn.connect((e?: Error) => (e ? reject(e) : resolve())));
    for (let i = 0; !stop(); i++) {
      const tag = `k9-${n}-${i}`;
      sent.count++;
      await new Promise<void>((resolve, reject) => {
        // Sizes vary so the kill can land in every phase of a write.
        conn.send({ from: 'load@sender.test', to: ['rcpt@dest.test'] }, body(tag, (i * 37) % 200), (e, info) => {
          if (e) return reject(e);
          if (/^250[ -]/.test(info.response ?? '')) acked.add(tag);
          resolve();
        });
      });
    }
    conn.quit();
    return 'stopped';
  } catch {
    return 'died';
  } finally {
    conn.close();
  }
}

describe('kill -9 under load', () => {
  it('every message acknowledged with 250 is delivered after a restart', async () => {
    served = await startServe(world.home);
    const port = served.ports.smtp;
    const acked = new Set<string>();
    const sent = { count: 0 };
    let killed = false;
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n, port, acked, sent, () => killed));

    // Kill once enough messages are acknowledged, while every client is still sending.
    while (acked.size < ACKS_BEFORE_KILL) await new Promise((r) => setTimeout(r, 20));
    await served.kill9();
    killed = true;
    const outcomes = await Promise.all(clients);
    expect(outcomes.filter((o) => o === 'died').length, 'the kill landed mid-load').toBeGreaterThan(0);
    served = undefined;

    // The next hop comes back; the engine restarts on the same data directory.
    world.sink.setReplies({});
    served = await startServe(world.home);

    const want = [...acked];
    const deadline = Date.now() + 60_000;
    const delivered = () => new Set(world.sink.messages.map((m) => /X-Kill9-Id: (\S+)/.exec(m.raw.toString())?.[1]));
    while (want.some((t) => !delivered().has(t)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const got = delivered();
    expect(want.filter((t) => !got.has(t)), 'acknowledged but never delivered').toEqual([]);
    // Nothing delivered that was never sent, and every delivered message is whole.
    for (const m of world.sink.messages) {
      const tag = /X-Kill9-Id: (\S+)/.exec(m.raw.toString())?.[1];
      expect(tag).toMatch(/^k9-\d+-\d+$/);
      expect(m.raw.toString()).toContain(`end of ${tag}\r\n`);
    }

    // Once the queue drains, no file is left: half-written entries were removed, nothing went to corrupt.
    let q = '';
    for (let i = 0; i < 100 && !q.includes('is empty'); i++) {
      q = (await runCli(world.home, ['mailq'])).stdout;
      if (!q.includes('is empty')) await new Promise((r) => setTimeout(r, 300));
    }
    expect(q).toContain('is empty');
    expect(await filesUnder(path.join(world.home, 'spool'))).toEqual([]);
  }, 120_000);
});
