// The administrator's tools, as subprocesses: the address tester (sendmail -bv,
// -bt) with and without a running engine, SMTP on stdin (sendmail -bs), the
// maillog (log, log -f), status, and newaliases from an aliases(5) file.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';

let world: World;
let served: Served | undefined;

beforeAll(async () => {
  world = await startWorld(() => ({
    delivery: { mode: 'queueonly' },
    domains: { local: ['mta.test'] },
    aliases: { postmaster: ['root'] },
    localDelivery: { luserRelay: '' },
  }));
});
afterAll(async () => {
  await served?.stop();
  await world.close();
});

describe('with no engine running', () => {
  it('sendmail -bv prints the resolution trace and the verdict line', async () => {
    const r = await runCli(world.home, ['sendmail', '-bv', 'someone@dest.test', 'postmaster@mta.test']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  input: someone@dest.test\n');
    expect(r.stdout).toContain('someone@dest.test... deliverable: mailer esmtp, host dest.test, user someone@dest.test\n');
    expect(r.stdout).toContain('  alias: postmaster → root\n');
    expect(r.stdout).toMatch(/postmaster@mta\.test\.\.\. deliverable: mailer local, user root@mta\.test\n/);
  });

  it('sendmail -bv with an unknown local user: exit 67 and the reason', async () => {
    const r = await runCli(world.home, ['sendmail', '-bv', 'no-such-user-here@mta.test']);
    expect(r.code).toBe(67);
    expect(r.stdout).toMatch(/^no-such-user-here@mta\.test\.\.\. 5\.\d\.\d+ .+$/m);
  });

  it('newaliases installs an aliases(5) file without errors, and reports a broken one by line', async () => {
    const file = path.join(world.home, 'aliases');
    await fs.writeFile(file, '# team\nteam: alice@dest.test,\n  bob@dest.test\npostmaster: root\n');
    const ok = await runCli(world.home, ['newaliases']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`${file}: 2 aliases, longest 30 bytes, 48 bytes total (installed in config.json)\n`);
    const got = await runCli(world.home, ['config', 'get', 'aliases.team']);
    expect(JSON.parse(got.stdout)).toEqual(['alice@dest.test', 'bob@dest.test']);

    await fs.writeFile(file, 'team: alice@dest.test\nbroken ./relative\nrel: ./mail/file\n');
    const bad = await runCli(world.home, ['sendmail', '-bi']);
    expect(bad.code).toBe(78);
    const lines = bad.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^mailstop: ${file}:2: error: missing ":"`));
    expect(lines[1]).toMatch(new RegExp(`^mailstop: ${file}:3: error: rel: relative path`));
    // Nothing installed from a file with errors.
    expect(JSON.parse((await runCli(world.home, ['config', 'get', 'aliases.team'])).stdout)).toEqual(['alice@dest.test', 'bob@dest.test']);
    await fs.rm(file);
  });
});

describe('with the engine running', () => {
  beforeAll(async () => { served = await startServe(world.home); });

  it('sendmail -bt answers one address per line from stdin', async () => {
    const r = await runCli(world.home, ['sendmail', '-bt'], 'x@dest.test\n3,0 postmaster@mta.test\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('x@dest.test... deliverable: mailer esmtp, host dest.test, user x@dest.test\n');
    expect(r.stdout).toContain('postmaster@mta.test... deliverable: mailer local, user root@mta.test\n');
  });

  it('sendmail -bs speaks SMTP on stdin/stdout and queues the message', async () => {
    const dialogue = 'EHLO me\r\nDATA\r\nMAIL FROM:<me@other.test>\r\nRCPT TO:<bs@dest.test>\r\nDATA\r\n' +
      'Subject: via -bs\r\n\r\n..leading dot\r\n.\r\nFROB\r\nQUIT\r\n';
    const r = await runCli(world.home, ['sendmail', '-bs'], dialogue);
    expect(r.code).toBe(0);
    const codes = r.stdout.split('\r\n').filter(Boolean).map((l) => l.slice(0, 4));
    expect(codes).toEqual(['220 ', '250-', '250-', '250-', '250-', '250-', '250-', '250 ', '503 ', '250 ', '250 ', '354 ', '250 ', '502 ', '221 ']);
    const id = /250 2\.0\.0 (\w{14}) /.exec(r.stdout)![1];
    const q = await runCli(world.home, ['mailq', '--json']);
    expect(q.stdout).toContain(`"queue_id":"${id}"`);
    await runCli(world.home, ['flush', '--id', id]);
    const [m] = await world.sink.waitForMessages(1, 10_000);
    expect(m.envelope).toEqual({ mailFrom: 'me@other.test', rcptTo: ['bs@dest.test'] });
    expect(m.raw.toString()).toContain('\r\n.leading dot\r\n');
  });

  it('status and log show the running engine', async () => {
    const s = await runCli(world.home, ['status']);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain(`listening: smtp 127.0.0.1:${served!.ports.smtp}\n`);
    expect(s.stdout).toMatch(/^mode: +Queue only: send at queue runs \(delivery\.mode queueonly\)$/m);
    const log = await runCli(world.home, ['log', '-n', '50', '--filter', 'bs@dest.test']);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/: to=<bs@dest\.test>, .*stat=Sent/);
  });

  it('log -f prints new maillog lines as they are written, until interrupted', async () => {
    const child = spawn(process.execPath, [BIN, 'log', '-f', '-n', '1', '--filter', 'dest.test'],
      { cwd: REPO, env: { ...process.env, MAILSTOP_HOME: world.home } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    // The subscription is live before the last line is printed: once that line is out, it follows.
    for (let i = 0; i < 100 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/bs@dest\.test/);
    await runCli(world.home, ['sendmail', 'follow@dest.test'], 'Subject: follow\n\nx\n');
    await runCli(world.home, ['flush', '--recipient', 'follow@']);
    for (let i = 0; i < 50 && !/to=<follow@dest\.test>/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/: to=<follow@dest\.test>, .*stat=Sent/);
    for (const line of out.trim().split('\n')) expect(line).toContain('dest.test');
  });
});
