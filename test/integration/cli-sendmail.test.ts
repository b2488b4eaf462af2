// `mailstop sendmail` as mutt, git send-email and cron use it, driven as a real
// subprocess: first with no engine running (the message goes into the spool
// itself, like Sendmail's clientmqueue, and exits 0), then `serve` starts and
// delivers it to the loopback sink MX.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpool } from '../../engine/queue/spool.ts';
import { runCli, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';

let world: World;
let served: Served | undefined;

beforeAll(async () => { world = await startWorld(); });
afterAll(async () => {
  await served?.stop();
  await world.close();
});

const spool = () => path.join(world.home, 'spool');

/** The stored message of the one queue entry whose recipients include `rcpt` (read in-process through the spool). */
async function storedFor(rcpt: string): Promise<{ id: string; text: string }> {
  const store = createSpool(spool());
  const entry = (await store.list()).find((e) => e.recipients.some((x) => x.address === rcpt));
  expect(entry, `queued for ${rcpt}`).toBeDefined();
  const chunks: Buffer[] = [];
  for await (const c of store.open(entry!.id)) chunks.push(c as Buffer);
  return { id: entry!.id, text: Buffer.concat(chunks).toString('utf8') };
}

describe('sendmail with no engine running', () => {
  it('-t -f: recipients from To/Cc/Bcc, Bcc removed, exit 0, listed by mailq', async () => {
    const msg = 'From: Alice <alice@sender.test>\nTo: to@dest.test\nCc: cc@dest.test\nBcc: secret@other.test\nSubject: offline-t\n\nHello from -t.\n';
    const r = await runCli(world.home, ['sendmail', '-t', '-f', 'alice@sender.test'], msg);
    expect(r).toMatchObject({ code: 0, stdout: '' });

    const q = await runCli(world.home, ['mailq']);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/<alice@sender\.test>\n {17}\(.*\)\n {41}<to@dest\.test>\n {41}<cc@dest\.test>\n {41}<secret@other\.test>\n/);

    const { text } = await storedFor('secret@other.test');
    expect(text).toContain('Subject: offline-t');
    expect(text).not.toMatch(/^Bcc:/im);
    expect(text).toContain('\r\n'); // sendmail's LF lines are stored as CRLF
    // Sendmail's submitting process logs the from= line itself; no engine was there to do it.
    const { id } = await storedFor('secret@other.test');
    const log = await readFile(path.join(world.home, 'log', 'maillog'), 'utf8');
    expect(log).toMatch(new RegExp(`${id}: from=<alice@sender\\.test>, size=\\d+, class=0, nrcpts=3, msgid=<[^>]+>, relay=\\w+@localhost`));
  });

  it('explicit recipients; without -i a lone dot ends the message', async () => {
    const r = await runCli(world.home, ['sendmail', 'dot@dest.test'], 'Subject: dot-ends\n\nbefore\n.\nafter\n');
    expect(r.code).toBe(0);
    const { text } = await storedFor('dot@dest.test');
    expect(text).toContain('before');
    expect(text).not.toContain('after');
  });

  it('-i (and -oi) keep reading past a lone dot', async () => {
    for (const flag of ['-i', '-oi']) {
      const rcpt = `keep${flag}@dest.test`;
      const r = await runCli(world.home, ['sendmail', flag, rcpt], 'Subject: dot-kept\n\nbefore\n.\nafter\n');
      expect(r.code).toBe(0);
      const { text } = await storedFor(rcpt);
      expect(text).toMatch(/before\r\n\.\r\nafter/);
    }
  });

  it('mailq --json carries postqueue -j fields', async () => {
    const r = await runCli(world.home, ['mailq', '--json']);
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const e = entries.find((x: { recipients: { address: string }[] }) => x.recipients[0].address === 'to@dest.test');
    expect(Object.keys(e)).toEqual(expect.arrayContaining(
      ['queue_name', 'queue_id', 'arrival_time', 'message_size', 'sender', 'recipients', 'attempts', 'next_attempt']));
    expect(e).toMatchObject({ sender: 'alice@sender.test', attempts: 0 });
    expect(e.queue_id).toMatch(/^[0-9A-Za-z]{14}$/);
    expect(e.message_size).toBeGreaterThan(0);
  });

  it('errors: no recipients is a usage error (64); an unknown flag too', async () => {
    const none = await runCli(world.home, ['sendmail'], 'Subject: x\n\n');
    expect(none.code).toBe(64);
    expect(none.stderr.split('\n')[0]).toBe('mailstop: no recipients given');
    const bad = await runCli(world.home, ['sendmail', '-Z', 'a@dest.test'], 'x\n');
    expect(bad.code).toBe(64);
    expect(bad.stderr.split('\n')[0]).toBe('mailstop: unknown option: -Z');
  });

  it('serve picks the spooled messages up and delivers them to the MX', async () => {
    served = await startServe(world.home);
    // offline-t goes out in two transactions (dest.test, other.test), plus the three others.
    const got = await world.sink.waitForMessages(5, 20_000);
    const t = got.find((m) => m.raw.toString().includes('Subject: offline-t'))!;
    expect(t.envelope.mailFrom).toBe('alice@sender.test');
    // Blind copy: delivered to its own domain's MX, and never visible in the header.
    const all = got.flatMap((m) => m.envelope.rcptTo);
    expect(all).toEqual(expect.arrayContaining(['to@dest.test', 'cc@dest.test', 'secret@other.test', 'dot@dest.test']));
    for (const m of got) expect(m.raw.toString()).not.toMatch(/^Bcc:/im);
  });

  it('through the running engine: sendmail -t reaches the sink; mailq shows an empty queue after', async () => {
    const before = world.sink.messages.length;
    const r = await runCli(world.home, ['sendmail', '-t', '-v'], 'To: live@dest.test\nSubject: live\n\nvia the engine\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9A-Za-z]{14}: queued\n$/);
    const got = await world.sink.waitForMessages(before + 1, 20_000);
    expect(got.at(-1)!.envelope.rcptTo).toEqual(['live@dest.test']);
    let q = '';
    for (let i = 0; i < 50 && !q.includes('is empty'); i++) {
      q = (await runCli(world.home, ['mailq'])).stdout;
      if (!q.includes('is empty')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(q).toBe(`${path.join(world.home, 'spool')} is empty\n\t\tTotal requests: 0\n`);
  });
});
