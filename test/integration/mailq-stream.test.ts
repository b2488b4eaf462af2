// `mailq` over 10 000 queued messages, both ways it can list them: reading the
// spool itself (engine stopped) and asking the running engine, which makes the
// listing and sends it over the control socket in pieces. Both must print the
// same bytes as the formatter does for those entries, and a reader that stops
// early (`mailq | head -3`) must end both quietly — and leave the engine running.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../engine/contracts.ts';
import { encodeInlineHead } from '../../engine/queue/control-file.ts';
import { formatMailq } from '../../engine/queue/listing.ts';
import { newQueueId } from '../../engine/queue/queue-id.ts';
import { runCli, runShell, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';

const N = 10_000;
const STEP_MS = 1000;

let world: World;
let entries: QueueEntry[];
let expected: string;

/**
 * Writes N committed entries as the engine stores small messages (control file
 * version 2: the record, then the message). Every entry carries its reason: a
 * status line the listing works out (engine stopped: "next attempt in 5m"; running
 * in queueonly mode: "waiting for a queue run") would differ between the two ways
 * by design, and these listings must agree byte for byte.
 */
async function seed(spool: string): Promise<QueueEntry[]> {
  await fs.mkdir(spool, { recursive: true, mode: 0o700 });
  const start = Date.now() - N * STEP_MS;
  const out: QueueEntry[] = [];
  for (let i = 0; i < N; i++) {
    const at = start + i * STEP_MS;
    const message = Buffer.from(`From: <u${i}@other.test>\r\nSubject: ${i}\r\n\r\n${'x'.repeat(i % 700)}\r\n`);
    const e: QueueEntry = {
      id: newQueueId(at),
      sender: i % 97 === 0 ? '' : `u${i % 40}@other.test`,
      recipients: [
        { address: `r${i}@dest.test`, status: 'pending', lastReply: `451 4.3.0 try later (${i})` },
        ...(i % 10 === 0 ? [{ address: 'done@dest.test', status: 'sent' as const }, { address: `second${i}@dest.test`, status: 'pending' as const }] : []),
      ],
      arrivalTime: at,
      size: message.length,
      state: i % 50 === 0 ? 'hold' : 'deferred',
      ...(i % 50 === 0 ? { heldBy: 'admin' as const } : {}),
      group: 'default',
      attempts: i % 3 === 0 ? 1 : 0,
      nextAttempt: i % 3 === 0 ? Date.now() + 86_400_000 : 0,
      reason: i % 7 === 0 ? `Deferred: Connection refused by mx${i}.dest.test` : `Deferred: 451 4.3.0 try later (${i})`,
      client: { address: '127.0.0.1', protocol: 'ESMTP', daemon: 'smtp' },
      warned: true,
    };
    await fs.writeFile(path.join(spool, `qf${e.id}`), Buffer.concat([Buffer.from(encodeInlineHead(e)), message]), { mode: 0o600 });
    out.push(e);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

beforeAll(async () => {
  world = await startWorld(() => ({ delivery: { mode: 'queueonly', queueRun: '0 0 1 1 *' } }));
  const spool = path.join(world.home, 'spool');
  entries = await seed(spool);
  expected = formatMailq(entries, { spoolDir: spool });
}, 120_000);
afterAll(async () => { await world.close(); });

describe(`mailq over ${N} queued`, () => {
  it('with the engine stopped lists the spool exactly as the formatter does', async () => {
    const r = await runCli(world.home, ['mailq']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.length).toBe(expected.length);
    expect(r.stdout === expected).toBe(true);
  }, 60_000);

  it('with the engine stopped, `mailq | head -3` ends quietly after three lines', async () => {
    const r = await runShell(world.home, '$MAILSTOP mailq | head -3');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(expected.split('\n').slice(0, 3).join('\n') + '\n');
  }, 60_000);

  describe('with the engine running', () => {
    let served: Served;
    beforeAll(async () => { served = await startServe(world.home); }, 60_000);
    afterAll(async () => { await served?.stop(); });

    it('streams the same bytes from the engine', async () => {
      const r = await runCli(world.home, ['mailq']);


      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout.length).toBe(expected.length);
      expect(r.stdout === expected).toBe(true);
      // And `sendmail -bp` is the same listing.
      expect((await runCli(world.home, ['sendmail', '-bp'])).stdout === expected).toBe(true);
    }, 60_000);

    it('`mailq | head -3` ends quietly, and the engine carries on', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await runShell(world.home, '$MAILSTOP mailq | head -3');
        expect(r).toMatchObject({ code: 0, stderr: '' });
        expect(r.stdout).toBe(expected.split('\n').slice(0, 3).join('\n') + '\n');
      }
      // The engine saw three clients vanish in the middle of an answer and is still there.
      expect(served.child.exitCode).toBeNull();
      const status = await runCli(world.home, ['status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`queue:     ${N} total`);
      expect((await runCli(world.home, ['mailq'])).stdout === expected).toBe(true);
    }, 60_000);
  });
});
