// The queue commands as an administrator and Sendmail-era scripts use them,
// driven as real subprocesses against a running `mailstop serve` (queueonly
// mode, so messages wait until a flush) with a loopback DNS and sink MX.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runShell, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';

let world: World;
let served: Served | undefined;
const ids: Record<string, string> = {}; // subject → queue id

beforeAll(async () => {
  world = await startWorld(() => ({
    delivery: { mode: 'queueonly' },
    aliases: { postmaster: ['root'], loopy: ['loopier'], loopier: ['loopy'], broken: ['./relative/file'] },
  }));
  served = await startServe(world.home);
});
afterAll(async () => {
  await served?.stop();
  await world.close();
});

/** Sends over SMTP to the engine (fast, in-process); returns the queue id from the 250 reply. */
async function smtpSend(to: string, subject: string): Promise<void> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port: served!.ports.smtp, ignoreTLS: true });
  await new Promise<void>((resolve, reject) => conn.connect((e?: Error) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve, reject) => conn.send({ from: 'sender@other.test', to: [to] },
    `From: <sender@other.test>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n\r\nbody\r\n`, (e) => (e ? reject(e) : resolve())));
  conn.quit();
}

async function queueIds(): Promise<Map<string, string[]>> {
  const r = await runCli(world.home, ['mailq', '--json']);
  const out = new Map<string, string[]>();
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { queue_id: string; recipients: { address: string }[] };
    for (const rc of e.recipients) out.set(rc.address, [...(out.get(rc.address) ?? []), e.queue_id]);
  }
  return out;
}

describe('queue commands against the running engine', () => {
  it('mailq keeps Sendmail\'s layout: the seeds\' top-recipients one-liner works', async () => {
    const plan: [string, number][] = [['a@dest.test', 3], ['b@dest.test', 2], ['c@dest.test', 1]];
    for (const [to, n] of plan) for (let i = 0; i < n; i++) await smtpSend(to, `${to}-${i}`);
    const r = await runShell(world.home, `$MAILSTOP mailq | sed -n '5~3p' | sort | uniq -c | sort -nr | head`);
    expect(r.code).toBe(0);
    const got = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(got).toEqual([['3', '<a@dest.test>'], ['2', '<b@dest.test>'], ['1', '<c@dest.test>']]);
    // And sendmail -bp prints the same listing.
    const bp = await runCli(world.home, ['sendmail', '-bp']);
    const mq = await runCli(world.home, ['mailq']);
    expect(bp.stdout).toBe(mq.stdout);
    expect(mq.stdout).toMatch(/\(6 requests\)\n-----Q-ID----- --Size-- -----Q-Time----- -+Sender\/Recipient-+\n/);
  });

  it('hold / release / delete by id; an unknown id is exit 66 with a line', async () => {
    const q = await queueIds();
    const [a0] = q.get('a@dest.test')!;
    ids.a0 = a0;
    const hold = await runCli(world.home, ['hold', a0]);
    expect(hold).toMatchObject({ code: 0, stdout: `${a0}: held\n` });
    expect((await runCli(world.home, ['mailq'])).stdout).toContain(`${a0}X`);
    const rel = await runCli(world.home, ['release', a0]);
    expect(rel).toMatchObject({ code: 0, stdout: `${a0}: released\n` });
    expect((await runCli(world.home, ['mailq'])).stdout).not.toContain(`${a0}X`);
    const del = await runCli(world.home, ['delete', a0, 'NoSuchId000000']);
    expect(del.code).toBe(66);
    expect(del.stdout).toBe(`${a0}: deleted\n`);
    expect(del.stderr).toBe('mailstop: NoSuchId000000: not in the queue\n');
    expect((await queueIds()).get('a@dest.test')).toHaveLength(2);
    const none = await runCli(world.home, ['hold']);
    expect(none.code).toBe(64);
  });

  it('flush --id delivers exactly that message', async () => {
    const [a1] = (await queueIds()).get('a@dest.test')!;
    const r = await runCli(world.home, ['flush', '--id', a1]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flush: 1 attempted, 1 sent, 0 deferred, 0 bounced/);
    await world.sink.waitForMessages(1, 10_000);
    expect(world.sink.messages.map((m) => m.envelope.rcptTo)).toEqual([['a@dest.test']]);
    expect((await queueIds()).get('a@dest.test')).toHaveLength(1);
  });

  it('flush -v --recipient prints the deliveries as they happen', async () => {
    const r = await runCli(world.home, ['flush', '-v', '--recipient', 'B@DEST']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/<b@dest\.test>\.\.\. Sent \(/);
    expect(r.stdout).toMatch(/flush: 2 attempted, 2 sent/);
    expect((await queueIds()).has('b@dest.test')).toBe(false);
    expect((await queueIds()).has('c@dest.test')).toBe(true);
  });

  it('sendmail -qR flushes by recipient substring', async () => {
    const r = await runCli(world.home, ['sendmail', '-qRc@dest']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    const q = await queueIds();
    expect([...q.keys()]).toEqual(['a@dest.test']);
  });

  it('sendmail -v -qI flushes by a piece of the queue id, printing the delivery', async () => {
    const [a2] = (await queueIds()).get('a@dest.test')!;
    const r = await runCli(world.home, ['sendmail', '-v', `-qI${a2.slice(3, 10)}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Running ${a2}\n`);
    expect(r.stdout).toMatch(/<a@dest\.test>\.\.\. Sent \(/);
    expect((await queueIds()).size).toBe(0);
  });

  it('config get / set go through the running engine; a bad value names the field', async () => {
    expect((await runCli(world.home, ['config', 'get', 'delivery.mode'])).stdout).toBe('queueonly\n');
    const set = await runCli(world.home, ['config', 'set', 'delivery.queueWarn', '6h']);
    expect(set.code).toBe(0);
    expect((await runCli(world.home, ['config', 'get', 'delivery.queueWarn'])).stdout).toBe('6h\n');
    const bad = await runCli(world.home, ['config', 'set', 'delivery.mode', 'sometimes']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/^mailstop: delivery\.mode: .+\n$/);
    const unknown = await runCli(world.home, ['config', 'set', 'delivery.mdoe', 'deferred']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr.split('\n')[0]).toBe('mailstop: no such setting: delivery.mdoe');
  });

  it('newaliases reports each problem on its own line', async () => {
    const r = await runCli(world.home, ['newaliases']);
    expect(r.code).toBe(78);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^mailstop: aliases\.broken: relative path/),
      expect.stringMatching(/^mailstop: aliases\.loopier: alias loop: loopier → loopy → loopier$/),
    ]));
    expect(r.stdout).toMatch(/^config\.json aliases: 4 aliases, longest \d+ bytes, \d+ bytes total\n$/);
  });

  it('a second serve on the same home refuses', async () => {
    const r = await runCli(world.home, ['serve']);
    expect(r.code).toBe(75);
    expect(r.stderr).toBe(`mailstop: an engine is already running for ${world.home} (pid ${served!.child.pid})\n`);
  });

  it('mailq while the engine is stopped reads the spool', async () => {
    await smtpSend('z@dest.test', 'waits');
    expect(await served!.stop()).toBe(0);
    served = undefined;
    const r = await runCli(world.home, ['mailq']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(1 request\)\n/);
    expect(r.stdout).toContain('<z@dest.test>');
    const flush = await runCli(world.home, ['flush']);
    expect(flush.code).toBe(69);
    expect(flush.stderr).toMatch(/^mailstop: engine not running for /);
  });
});

describe('usage and configuration errors', () => {
  it('unknown command or flag: exit 64, one line, then the usage', async () => {
    const r = await runCli(world.home, ['frobnicate']);
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe('mailstop: unknown command: frobnicate');
    expect(r.stderr).toContain('usage: mailstop');
    const f = await runCli(world.home, ['mailq', '--bogus']);
    expect(f.code).toBe(64);
    expect(f.stderr.split('\n')[0]).toBe('mailstop: unknown option: --bogus');
  });

  it('a bad config value stops serve with one line naming the field', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-badcfg-'));
    try {
      await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ listen: { smtp: 0 }, delivery: { mode: 'sometimes' } }));
      const r = await runCli(home, ['serve']);
      expect(r.code).toBe(78);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mailstop: .*config\.json: delivery\.mode: /);
      const check = await runCli(home, ['config', 'check']);
      expect(check.code).toBe(78);
      expect(check.stderr).toMatch(/^mailstop: config\.json: delivery\.mode: /);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
