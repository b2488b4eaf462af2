// The command dispatcher in-process: usage errors, --help, commands that need
// the engine when none runs, and config editing while stopped.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMain } from './in-process.ts';

let home: string;
beforeEach(async () => { home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-main-')); });
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

const run = (argv: string[], stdin = '', env: NodeJS.ProcessEnv = {}) => runMain(argv, { MAILSTOP_HOME: home, ...env }, stdin);

describe('main', () => {
  const usageCases: { argv: string[]; want: { code: number; first: string } }[] = [
    { argv: ['frobnicate'], want: { code: 64, first: 'mailstop: unknown command: frobnicate' } },
    { argv: ['mailq', '--nope'], want: { code: 64, first: 'mailstop: unknown option: --nope' } },
    { argv: ['log', '-n', 'ten'], want: { code: 64, first: 'mailstop: --lines wants a whole number, got "ten"' } },
    { argv: ['move', 'ID1'], want: { code: 64, first: 'mailstop: --group is required (e.g. --group slow)' } },
    { argv: ['config'], want: { code: 64, first: 'mailstop: config needs check, get or set' } },
    { argv: ['--home'], want: { code: 64, first: 'mailstop: option --home needs a value' } },
  ];
  for (const c of usageCases) {
    it(`usage error: ${c.argv.join(' ')}`, async () => {
      const got = await run(c.argv);
      expect(got.code).toBe(c.want.code);
      expect(got.stderr.split('\n')[0]).toBe(c.want.first);
    });
  }

  it('--help per command goes to stdout with exit 0', async () => {
    for (const name of ['serve', 'sendmail', 'mailq', 'flush', 'hold', 'move', 'status', 'log', 'newaliases', 'config']) {
      const got = await run([name, '--help']);
      expect(got.code, name).toBe(0);
      expect(got.stdout, name).toMatch(/^usage: mailstop /);
    }
    expect((await run([])).code).toBe(64);
  });

  it('commands that need the engine say it is not running (69)', async () => {
    for (const argv of [['flush'], ['hold', 'X'], ['status'], ['sendmail', '-q'], ['log', '-f']]) {
      const got = await run(argv);
      expect(got.code, argv.join(' ')).toBe(69);
      expect(got.stderr).toBe(`mailstop: engine not running for ${home} (start it with: mailstop serve --home ${home})\n`);
    }
  });

  it('--home before the command and after sendmail wins over MAILSTOP_HOME', async () => {
    const other = path.join(home, 'other');
    const got = await run(['--home', other, 'mailq']);
    expect(got.stdout).toBe(`${path.join(other, 'spool')} is empty\n\t\tTotal requests: 0\n`);
    const sm = await run(['sendmail', '-bp', '--home', other]);
    expect(sm.stdout).toBe(got.stdout);
  });

  it('config set while stopped: validated, saved, read back; a bad value is refused with the field', async () => {
    expect(await run(['config', 'set', 'delivery.mode', 'deferred'])).toMatchObject({ code: 0, stdout: 'delivery.mode = "deferred"\n' });
    expect((await run(['config', 'get', 'delivery.mode'])).stdout).toBe('deferred\n');
    expect(await run(['config', 'set', 'hostname', '12345'])).toMatchObject({ code: 0, stdout: 'hostname = "12345"\n' });
    const bad = await run(['config', 'set', 'listen.smtp', '99999']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/^mailstop: listen\.smtp: /);
    expect((await run(['config', 'check'])).stdout).toBe('config.json: ok\n');
    // Like `postconf -e`: the file holds what was set, not every default; `get` shows the effective value.
    const saved = JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8'));
    expect(saved).toEqual({ delivery: { mode: 'deferred' }, hostname: '12345' });
    expect((await run(['config', 'get', 'listen.smtp'])).stdout).toBe('2525\n');
  });

  it('config set while stopped applies the routing checks updateSettings applies; nothing is written', async () => {
    const before = await fs.readFile(path.join(home, 'config.json'), 'utf8').catch(() => null);
    const loop = await run(['config', 'set', 'aliases', '{"a":["b"],"b":["a"],"postmaster":["root"]}']);
    expect(loop.code).toBe(78);
    expect(loop.stderr).toMatch(/^mailstop: aliases\.[ab]: alias loop: /m);
    expect(await fs.readFile(path.join(home, 'config.json'), 'utf8').catch(() => null)).toBe(before);
  });

  it('config check: broken JSON and unknown keys, one line each', async () => {
    await fs.writeFile(path.join(home, 'config.json'), '{ "delivery": { "mode": "deferred", }');
    const json = await run(['config', 'check']);
    expect(json.code).toBe(78);
    expect(json.stderr).toMatch(/^mailstop: config\.json: not valid JSON: /);
    await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ delivry: {}, listen: { smpt: 25 } }));
    const keys = await run(['config', 'check']);
    expect(keys.code).toBe(78);
    expect(keys.stderr.split('\n').filter(Boolean).sort()).toEqual([
      'mailstop: config.json: delivry: unknown setting',
      'mailstop: config.json: listen.smpt: unknown setting',
    ]);
  });

  it('sendmail while stopped queues into the spool and prints nothing without -v', async () => {
    const got = await run(['sendmail', '-f', 'root', 'x@dest.test'], 'Subject: s\n\nbody\n');
    expect(got).toEqual({ code: 0, stdout: '', stderr: '' });
    const json = await run(['mailq', '--json']);
    // queue_name agrees with the text listing: nothing is active while stopped.
    expect(JSON.parse(json.stdout)).toMatchObject({ queue_name: 'deferred', sender: 'root@localhost', recipients: [{ address: 'x@dest.test' }] });
    // Stopped: nothing is "being delivered", whatever state the control file holds.
    expect((await run(['mailq'])).stdout).toMatch(/^\w{14}  +\d+ .* <root@localhost>\n {17}\(Deferred: mailstop is not running\)\n/m);
  });

  it('sendmail: a message the spool refuses (552) is exit 65 with the reply; nothing is queued', async () => {
    await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ smtp: { maxMessageSize: 1024 } }));
    const got = await run(['sendmail', 'x@dest.test'], `Subject: big\n\n${'x'.repeat(70)}\n`.repeat(30));
    expect(got.code).toBe(65);
    expect(got.stderr).toMatch(/^mailstop: 552 5\.3\.4 .+\n$/);
    expect((await run(['mailq', '--json'])).stdout).toBe('');
  });

  it('an unexpected failure is one line naming it, exit 70; the stack only with MAILSTOP_DEBUG', async () => {
    // A file where the spool directory should be: nothing a usage check foresees.
    await fs.writeFile(path.join(home, 'spool'), 'not a directory');
    const got = await run(['mailq']);
    expect(got.code).toBe(70);
    expect(got.stderr).toMatch(/^mailstop: internal error: .*ENOTDIR.*\n$/);
    const debug = await run(['mailq'], '', { MAILSTOP_DEBUG: '1' });
    expect(debug.stderr).toMatch(/\n {4}at /);
  });

  it('serve that cannot start says why in one line (no stack) and releases its lock', async () => {
    await fs.writeFile(path.join(home, 'config.json'),
      JSON.stringify({ listen: { smtp: 0, submission: 0, smtps: 0 }, console: { port: false } }));
    const got = await run(['serve']);
    // Refused as configuration (issue 11 §4): the same check as config set and the UI.
    expect(got.code).toBe(78);
    expect(got.stderr).toBe(`mailstop: ${path.join(home, 'config.json')}: listen.smtps: implicit TLS needs tls.cert and tls.key (or set it to false)\n`);
    await expect(fs.access(path.join(home, 'run', 'engine.pid'))).rejects.toThrow();
  });

  it('sendmail with a broken config.json still queues, with a warning', async () => {
    await fs.writeFile(path.join(home, 'config.json'), '{"delivery":{"mode":"sometimes"}}');
    const got = await run(['sendmail', 'x@dest.test'], 'Subject: s\n\nbody\n');
    expect(got.code).toBe(0);
    expect(got.stderr).toMatch(/^mailstop: warning: .*delivery\.mode: .*; queued with default settings\n$/);
  });
});
