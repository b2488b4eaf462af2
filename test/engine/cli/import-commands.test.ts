// `mailstop import` / `mailstop export` in-process: usage errors, exit codes of a
// plan with and without refused lines, --json with the password masked, and the
// export's files (authinfo readable by its owner only).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMain } from './in-process.ts';

let home: string;
let etc: string;
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-importcmd-'));
  etc = path.join(home, 'etc');
  await fs.mkdir(etc);
});
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

const run = (argv: string[]) => runMain(argv, { MAILSTOP_HOME: path.join(home, 'data') });

describe('mailstop import', () => {
  const usage = [
    { argv: ['import'], want: 'mailstop: import needs sendmail or postfix' },
    { argv: ['import', 'exim'], want: 'mailstop: cannot import "exim": sendmail or postfix' },
    { argv: ['import', 'sendmail', '/x', '--drop-refused'], want: 'mailstop: --drop-refused goes with --apply' },
    { argv: ['import', 'postfix', '/x', '--home-forwards'], want: 'mailstop: --home-forwards goes with import sendmail' },
    { argv: ['export', 'sendmail'], want: 'mailstop: export sendmail needs a directory' },
    { argv: ['export', 'postfix', '/x'], want: 'mailstop: export writes sendmail only' },
  ];
  it.each(usage)('usage: $argv', async ({ argv, want }) => {
    const r = await run(argv);
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe(want);
  });

  it('prints the plan; exit 0 when nothing is refused, 65 when a line is, and nothing is written without --apply', async () => {
    await fs.writeFile(path.join(etc, 'main.cf'), 'myhostname = mail.example.org\nrelayhost = [smtp.example.net]:587\nsmtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n');
    await fs.writeFile(path.join(etc, 'sasl_passwd'), '[smtp.example.net]:587 me:secret-pw\n');
    const ok = await run(['import', 'postfix', etc]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^import  main\.cf:1  myhostname = mail\.example\.org  → hostname = "mail\.example\.org"$/m);
    expect(ok.stdout).not.toContain('secret-pw');
    const json = await run(['import', 'postfix', etc, '--json']);
    expect(JSON.parse(json.stdout).patch.smartHost.auth).toEqual({ user: 'me', pass: '…' });
    await expect(fs.stat(path.join(home, 'data', 'config.json'))).rejects.toThrow();

    await fs.appendFile(path.join(etc, 'main.cf'), 'mydestination = $mystery\n');
    const bad = await run(['import', 'postfix', etc]);
    expect(bad.code).toBe(65);
    expect(bad.stdout).toMatch(/^REFUSED main\.cf:4 .*\$mystery/m);
  });
});

describe('mailstop export', () => {
  it('writes the .mc and maps; authinfo is readable by its owner only', async () => {
    await fs.mkdir(path.join(home, 'data'));
    await fs.writeFile(path.join(home, 'data', 'config.json'), JSON.stringify({ smartHost: { host: 'smtp.example.net', auth: { user: 'me', pass: 'pw' } }, virtual: { 'a@b.example': ['alice'] } }));
    const out = path.join(home, 'out');
    const r = await run(['export', 'sendmail', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.readdir(out)).sort()).toEqual(['access', 'aliases', 'authinfo', 'genericstable', 'local-host-names', 'mailertable', 'relay-domains', 'sendmail.mc', 'virtusertable']);
    expect((await fs.stat(path.join(out, 'authinfo'))).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path.join(out, 'virtusertable'), 'utf8')).toContain('a@b.example\talice');
    expect(r.stderr).toMatch(/note: localDelivery.agent maildir/);
  });
});
