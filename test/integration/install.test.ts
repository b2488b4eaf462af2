// `mailstop install --root DIR` lays out a working system instance in a scratch
// root; then any local user — here `nobody`, with an empty environment (env -i)
// — submits through the installed /usr/sbin/sendmail, with an identity taken
// from the kernel (the maildrop file's owner) that the message cannot forge;
// forged or garbage drop files are refused; mutt works through it; privileged
// commands stay with root; `mailstop uninstall` puts back what was there.
// Needs root (to act as nobody with setpriv), as CI runs.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { runCli, spawnCaptured, startServe, type CliResult, type Served } from '../engine/cli/subprocess.ts';

const NOBODY = 65534;
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');

/** Runs argv as nobody with an empty environment plus `env`. */
function asNobody(argv: string[], stdin = '', env: Record<string, string> = {}, cwd = '/'): Promise<CliResult> {
  return spawnCaptured('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', '-i',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], { cwd }, stdin);
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let root: string;
let home: string;
let work: string;
let dns: DnsServer;
let sink: Sink;
let served: Served | null = null;
const ORIGINAL_SENDMAIL = '#!/bin/sh\necho "the original sendmail"\n';
const maillog = () => fs.readFile(path.join(home, 'log', 'maillog'), 'utf8').catch(() => '');
const sendmail = () => path.join(root, 'usr/sbin/sendmail');

beforeAll(async () => {
  if (!canRun) return;
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-root-'));
  await fs.chmod(root, 0o755); // mkdtemp's 0700 would keep every other user out
  home = path.join(root, 'var/lib/mailstop');
  work = path.join(root, 'home-nobody');
  await fs.mkdir(work);
  await fs.chown(work, NOBODY, NOBODY);
  // What was there before: a file and a symlink, to be put back exactly.
  await fs.mkdir(path.join(root, 'usr/sbin'), { recursive: true });
  await fs.mkdir(path.join(root, 'usr/bin'), { recursive: true });
  await fs.writeFile(sendmail(), ORIGINAL_SENDMAIL, { mode: 0o755 });
  await fs.symlink('../sbin/sendmail', path.join(root, 'usr/bin/mailq'));
  dns = await startDnsServer({ 'dest.test': { mx: [{ priority: 10, exchange: 'mx.dest.test' }] }, 'mx.dest.test': { a: ['127.0.0.1'] } });
  sink = await startSink();
});

afterAll(async () => {
  if (!canRun) return;
  await served?.stop();
  await sink.close();
  await dns.stop();
  await fs.rm(root, { recursive: true, force: true });
});

describe.runIf(canRun)('mailstop install into a scratch root', () => {
  it('lays out the system instance and the commands, keeping what was there', async () => {
    const r = await runCli(home, ['install', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await fs.stat(path.join(home, 'maildrop'))).mode & 0o7777).toBe(0o1733);
    expect((await fs.stat(path.join(home, 'run'))).mode & 0o777).toBe(0o700);
    for (const c of ['usr/sbin/sendmail', 'usr/bin/mailq', 'usr/bin/newaliases']) {
      expect(await fs.readFile(path.join(root, c), 'utf8')).toContain(`--home '${home}' sendmail`);
    }
    const unit = await fs.readFile(path.join(root, 'etc/systemd/system/mailstop.service'), 'utf8');
    expect(unit).toMatch(new RegExp(`^ExecStart=.* serve --home "${home}"$`, 'm'));
    // A second install would lose track of the originals: refused.
    expect((await runCli(home, ['install', '--root', root])).code).toBe(64);

    await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
      hostname: 'mta.test',
      listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
      console: { port: false },
      dns: { servers: [dns.server], timeout: '2s' },
      delivery: { remotePort: sink.port, connectTimeout: '5s' },
      smtp: { privacy: ['novrfy', 'noexpn', 'authwarnings'] },
    }), { mode: 0o600 });
    served = await startServe(home);
    expect(served.output()).toContain(`local users' socket at ${path.join(home, 'public', 'mailstop.sock')}`);
  }, 60_000);

  it('takes mail from nobody with env -i; the login comes from the kernel, -f for someone else is marked', async () => {
    const r = await asNobody([sendmail(), '-f', 'boss@example.org', '-t'],
      'To: ops@dest.test\nFrom: The Boss <boss@example.org>\nSubject: from nobody\n\nhello\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [m] = await sink.waitForMessages(1, 30_000);
    const raw = m.raw.toString();
    expect(raw).toMatch(/^Received: \(from nobody@localhost\)\r\n\tby mta\.test \(Mailstop\)/);
    expect(raw).toContain('X-Authentication-Warning: mta.test: nobody set sender to boss@example.org using -f');
    expect(m.envelope.mailFrom).toBe('boss@example.org');
    const log = await maillog();
    expect(log).toMatch(/from=<boss@example\.org>, .*relay=nobody@localhost/);
    expect(log).toContain('picked up from the maildrop (uid 65534, nobody)');
    // Nothing left behind in the maildrop.
    expect(await fs.readdir(path.join(home, 'maildrop'))).toEqual([]);
  }, 60_000);

  it('never believes an identity written in the drop file', async () => {
    sink.reset();
    const drop = path.join(home, 'maildrop', `${Date.now().toString(36)}-${'a'.repeat(32)}`);
    const forged = 'MAILSTOP-DROP 1\n' + JSON.stringify({ sender: 'root@mta.test', user: 'root', recipients: [{ address: 'ops@dest.test' }] }) +
      '\nSubject: forged\n\nI am root\n';
    // Written as sendmail does: a dot name first, renamed into place once complete.
    const tmp = path.join(home, 'maildrop', '.forged');
    const w = await asNobody(['sh', '-c', `cat > '${tmp}' && chmod 644 '${tmp}' && mv '${tmp}' '${drop}'`], forged);
    expect(w.code).toBe(0);
    const [m] = await sink.waitForMessages(1, 30_000);
    expect(m.raw.toString()).toMatch(/^Received: \(from nobody@localhost\)/);
    expect(m.raw.toString()).toContain('X-Authentication-Warning: mta.test: nobody set sender to root@mta.test using -f');
  }, 60_000);

  it('refuses a symlink, a hard link and garbage in the maildrop, keeps them aside, and goes on', async () => {
    const name = (c: string) => `${Date.now().toString(36)}-${c.repeat(32)}`;
    const drop = path.join(home, 'maildrop');
    const valid = 'MAILSTOP-DROP 1\n' + JSON.stringify({ sender: 'nobody', recipients: [{ address: 'ops@dest.test' }] }) + '\nSubject: x\n\nx\n';
    await fs.writeFile(path.join(work, 'mine'), valid);
    await fs.chown(path.join(work, 'mine'), NOBODY, NOBODY);
    const names = { symlink: name('b'), hardlink: name('c'), garbage: name('d') };
    const r = await asNobody(['sh', '-c', [
      `ln -s /etc/shadow '${drop}/${names.symlink}'`,
      `ln '${work}/mine' '${drop}/${names.hardlink}'`,
      `printf 'hello\\n' > '${drop}/.g' && mv '${drop}/.g' '${drop}/${names.garbage}'`,
    ].join(' && ')]);
    expect(r.stderr).toBe('');
    const refused = path.join(home, 'maildrop-refused');
    await until('three refusals', async () => (await fs.readdir(refused).catch(() => [])).length === 3);
    expect((await fs.readdir(refused)).sort()).toEqual(Object.values(names).sort());
    const log = await maillog();
    expect(log).toContain(`maildrop: refused ${names.symlink}: a symbolic link`);
    expect(log).toContain(`maildrop: refused ${names.hardlink}: 2 hard links`);
    expect(log).toContain(`maildrop: refused ${names.garbage}: not a maildrop file (bad first line)`);
    // Still serving: the next message goes through.
    sink.reset();
    expect((await asNobody([sendmail(), 'ops@dest.test'], 'Subject: still here\n\nok\n')).code).toBe(0);
    const [m] = await sink.waitForMessages(1, 30_000);
    expect(m.raw.toString()).toContain('Subject: still here');
  }, 60_000);

  it('mutt run by nobody sends through the installed sendmail', async () => {
    sink.reset();
    const muttrc = path.join(work, 'muttrc');
    await fs.writeFile(muttrc, `set sendmail="${sendmail()} -oem -oi"\nset from="nobody@mta.test"\nset use_from=yes\n`, { mode: 0o644 });
    const r = await asNobody(['mutt', '-n', '-F', muttrc, '-s', 'sent by mutt', 'ops@dest.test'], 'Body from mutt.\n',
      { PATH: '/usr/bin:/bin', HOME: work, TERM: 'dumb' }, work);
    expect(r.code).toBe(0);
    const [m] = await sink.waitForMessages(1, 30_000);
    expect(m.raw.toString()).toContain('Subject: sent by mutt');
    expect(m.raw.toString()).toMatch(/^Received: \(from nobody@localhost\)/);
    expect(m.envelope.mailFrom).toBe('nobody@mta.test');
  }, 60_000);

  it('lets nobody list the queue and run it, but not hold, delete or change settings', async () => {
    // Run from the sources, as every test does (vitest.config.ts); env -i would drop the variable.
    const bin = ['/usr/bin/env', 'MAILSTOP_FROM_SOURCE=1', process.execPath, path.resolve('bin/mailstop.js'), '--home', home];
    const mailq = await asNobody([path.join(root, 'usr/bin/mailq')]);
    expect(mailq.code).toBe(0);
    expect(mailq.stdout).toMatch(/is empty|Total requests/);
    expect((await asNobody([...bin, 'status'])).stdout).toContain(`home ${home})`);
    expect((await asNobody([...bin, 'flush'])).code).toBe(0);
    for (const args of [['hold', 'X'], ['delete', 'X'], ['config', 'set', 'delivery.mode', 'deferred']]) {
      const r = await asNobody([...bin, ...args]);
      expect(r.code).toBe(77);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mailstop: permission denied/);
    }
    // restrictmailq / restrictqrun close listing and queue runs to others (the owner sets them).
    expect((await runCli(home, ['config', 'set', 'smtp.privacy', '["authwarnings","restrictmailq","restrictqrun"]'])).code).toBe(0);
    const listed = await asNobody([path.join(root, 'usr/bin/mailq')]);
    expect([listed.code, listed.stderr]).toEqual([77, 'mailstop: permission denied: the queue may only be listed by root and its owner (smtp.privacy restrictmailq)\n']);
    const run = await asNobody([...bin, 'flush']);
    expect(run.code).toBe(77);
    expect(run.stderr).toContain('restrictqrun');
    // Submission stays open to everyone.
    expect((await asNobody([sendmail(), 'ops@dest.test'], 'Subject: still allowed\n\nok\n')).code).toBe(0);
  }, 60_000);

  it('uninstall puts back what was there and keeps the data directory', async () => {
    expect(await served!.stop()).toBe(0);
    served = null;
    const r = await runCli(home, ['uninstall', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fs.readFile(sendmail(), 'utf8')).toBe(ORIGINAL_SENDMAIL);
    expect((await fs.stat(sendmail())).mode & 0o777).toBe(0o755);
    expect(await fs.readlink(path.join(root, 'usr/bin/mailq'))).toBe('../sbin/sendmail');
    expect(existsSync(path.join(root, 'usr/bin/newaliases'))).toBe(false);
    expect(existsSync(path.join(root, 'etc/systemd/system/mailstop.service'))).toBe(false);
    expect(existsSync(path.join(home, 'spool'))).toBe(true);
    expect((await runCli(home, ['uninstall', '--root', root])).code).toBe(66);
  }, 60_000);
});
