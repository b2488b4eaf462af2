// The engine against things happening at the same time: an admin's "bounce now"
// while the message is being delivered, a stop() while a peer stalls, and the
// `mailstop sendmail` fallback writing the spool while the engine starts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createCleanup } from '../../engine/cleanup/index.ts';
import { SettingsSchema } from '../../engine/config/schema.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { createSpool, INLINE_MAX } from '../../engine/queue/spool.ts';
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
let peer: ScriptedSmtp | undefined;
let extra: Engine | undefined;
afterEach(async () => {
  await extra?.stop();
  extra = undefined;
  await h?.stop();
  h = undefined;
  await peer?.close();
  peer = undefined;
});

/** A promise and the function that resolves it. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

describe('bounceNow while the message is being delivered', () => {
  it('waits for the attempt: a delivered message is not also bounced', async () => {
    const reached = latch();
    const gate = latch();
    h = await startHarness({
      sink: {
        serverOptions: {
          onRcptTo(_address, _session, cb) {
            reached.open();
            void gate.promise.then(() => cb());
          },
        },
      },
    });
    const id = await h.submit('alice@sender.test', ['bob@dest.test']);
    await reached.promise; // the SMTP transaction is open, RCPT not yet answered

    const bounced = h.engine.bounceNow({ ids: [id] });
    gate.open();
    const result = await bounced;
    await h.engine.whenIdle();

    expect(result.changed).toEqual([]);
    expect(h.sink.messages.map((m) => m.envelope)).toEqual([{ mailFrom: 'alice@sender.test', rcptTo: ['bob@dest.test'] }]);
    expect(await h.engine.listQueue()).toEqual([]);
    expect(h.events.filter((e) => e.type === 'queue:removed')).toEqual([{ type: 'queue:removed', id, why: 'delivered' }]);
  });

  it('bounces what the attempt left pending, and only that', async () => {
    const reached = latch();
    const gate = latch();
    h = await startHarness({
      sink: {
        serverOptions: {
          onRcptTo(address, _session, cb) {
            reached.open();
            const refuse = address.address === 'carol@dest.test';
            void gate.promise.then(() => cb(refuse ? Object.assign(new Error('Try again later'), { responseCode: 451 }) : undefined));
          },
        },
      },
    });
    const id = await h.submit('alice@sender.test', ['bob@dest.test', 'carol@dest.test']);
    await reached.promise;
    const bounced = h.engine.bounceNow({ ids: [id] });
    gate.open();
    expect((await bounced).changed).toEqual([id]);
    await h.engine.whenIdle();

    const dsn = h.sink.messages.find((m) => m.envelope.mailFrom === '');
    expect(dsn?.raw.toString()).toMatch(/Final-Recipient: rfc822;\s*carol@dest\.test/i);
    expect(dsn?.raw.toString()).not.toMatch(/Final-Recipient: rfc822;\s*bob@dest\.test/i);
    expect(h.sink.messages.filter((m) => m.envelope.mailFrom === 'alice@sender.test').map((m) => m.envelope.rcptTo)).toEqual([['bob@dest.test']]);
  });
});

describe('stop() with a delivery in flight', () => {
  it('cuts off a stalled peer after the grace period; the message stays queued and goes out after restart', async () => {
    const reached = latch();
    peer = await startScriptedSmtp({ on: { DOT: () => { reached.open(); return { hang: true }; } } });
    const route = (port: number) => [{ domain: 'dest.test', mailer: 'esmtp' as const, host: `[127.0.0.1]:${port}` }];
    h = await startHarness({ stopGraceMs: 100, settings: () => ({ routes: route(peer!.port) }) });
    const id = await h.submit('alice@sender.test', ['bob@dest.test']);
    await reached.promise; // the peer has the whole message and never answers

    await h.engine.stop(); // would wait for the peer's silence (minutes) without the cut-off
    const [queued] = await createSpool(path.join(h.home, 'spool')).list();
    expect(queued).toMatchObject({ id, attempts: 0, recipients: [{ address: 'bob@dest.test', status: 'pending' }] });
    expect(queued.nextAttempt).toBeLessThanOrEqual(h.clock.now());

    // Back up with a peer that answers: the message is delivered (at least once).
    extra = await createEngine({ home: h.home, settings: { ...h.settings, routes: route(h.sink.port) }, clock: h.clock, timers: false, passwdFile: '' });
    await extra.start();
    await h.sink.waitForMessages(1);
    await extra.whenIdle();
    expect(h.sink.messages[0].envelope.rcptTo).toEqual(['bob@dest.test']);
    expect(await extra.listQueue()).toEqual([]);
  });
});

describe('the sendmail fallback writing the spool while the engine starts', () => {
  it('keeps a message still being written at start-up, and delivers it once committed', async () => {
    h = await startHarness({ noStart: true });
    const spoolDir = path.join(h.home, 'spool');
    await fs.mkdir(spoolDir, { recursive: true });
    // The CLI's own cleanup + spool (another process in real life).
    const settings = SettingsSchema.parse({ hostname: 'laptop.test' });
    const cli = createCleanup({ spool: createSpool(spoolDir), settings: () => settings, onQueued: () => {} });
    const stdin = new PassThrough();
    const accepted = cli.accept(
      { sender: 'alice@sender.test', recipients: [{ address: 'bob@dest.test' }] },
      { address: '', protocol: 'local', daemon: 'cli' }, stdin, { lineEndings: 'lf' },
    );
    // A small message has no file until its commit; one past INLINE_MAX streams to its df as it comes.
    stdin.write('Subject: written slowly\n\n' + `${'x'.repeat(76)}\n`.repeat(Math.ceil(INLINE_MAX / 76)));
    await waitFor(async () => (await fs.readdir(spoolDir)).some((n) => n.startsWith('df')));

    await h.engine.start(); // recover() runs now, beside the half-written df
    stdin.end('the rest of the message\n');
    const entry = await accepted;
    expect((await h.engine.listQueue()).map((e) => e.id)).toEqual([]); // committed after the engine's scan

    const summary = await h.engine.flush(); // `sendmail -q` looks at the spool again
    await h.engine.whenIdle();
    expect(summary.sent).toBe(1);
    expect(h.sink.messages.map((m) => m.envelope.rcptTo)).toEqual([['bob@dest.test']]);
    expect(h.sink.messages[0].raw.toString()).toContain('the rest of the message');
    expect(await h.engine.listCorrupt()).toEqual([]);
    expect((await h.engine.tailLog(50)).join('\n')).toContain(`${entry.id}: picked up from the spool`);
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not reached');
}
