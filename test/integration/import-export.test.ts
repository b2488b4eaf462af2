// Moving in and out, end to end with the real command: `mailstop export sendmail`
// writes a sendmail.mc that Sendmail's own m4 macros build (Debian's sendmail-cf),
// `mailstop import sendmail --apply` reads it back into the same settings, and
// `mailstop sendmail -bv` resolves every address the same way before and after.
// Then the seeds' TrinityOS setup is imported and its addresses checked with -bv
// against what that configuration meant; a plan with a refused line saves nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings, saveSettings, settingsFrom } from '../../engine/config/load.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { runCli, startServe } from '../engine/cli/subprocess.ts';
import { haveSeeds, mailertableRecipe, SEEDS, trinityMc } from '../engine/import/seeds.ts';

const CF_M4 = '/usr/share/sendmail/cf/m4/cf.m4';
let dir: string;
/** Real TLS files: settings naming a certificate are checked for what it is (issue 11 §4). */
const TLS_DIR = path.join(tmpdir(), `mailstop-move-tls-${process.pid}`);
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailstop-move-'));
  await mkdir(TLS_DIR, { recursive: true });
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mail.office.test',
    '-keyout', path.join(TLS_DIR, 'mail.key'), '-out', path.join(TLS_DIR, 'mail.pem')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl req: ${made.stderr}`);
  await writeFile(path.join(TLS_DIR, 'ca.pem'), await readFile(path.join(TLS_DIR, 'mail.pem')));
});
afterAll(async () => { await rm(TLS_DIR, { recursive: true, force: true }); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function newHome(name: string, users: string[]): Promise<string> {
  const home = path.join(dir, name);
  for (const u of users) await mkdir(path.join(home, 'mail', u, 'new'), { recursive: true });
  return home;
}

const office: SettingsInput = {
  hostname: 'mail.office.test',
  listen: { address: '127.0.0.1', smtp: 2525, submission: 2587, smtps: false },
  domains: { local: ['office.test'], relay: ['192.168.10.0/24', 'partner.test'] },
  aliases: { postmaster: ['root'], root: ['alice'], team: ['alice', 'bob'] },
  forwards: { bob: ['\\bob, bob@elsewhere.test'] },
  virtual: {
    'info@shop.test': ['alice'], 'sales@shop.test': ['bob', 'alice'],
    '@shop.test': ['error:nouser No such user here'], '@catch.test': ['%1@office.test'],
  },
  routes: [
    { domain: 'old.test', mailer: 'esmtp', host: '[192.0.2.7]' },
    { domain: '.corp.test', mailer: 'relay', host: 'gw.corp.test' },
    { domain: 'closed.test', mailer: 'error', host: '5.7.1:550 This domain no longer takes mail' },
    { domain: 'legacy.test', mailer: 'local', host: 'alice' },
  ],
  smartHost: { host: 'smtp.provider.test', port: 587, auth: { user: 'office', pass: 'pa55word' } },
  delivery: { mode: 'deferred', queueWarn: '4h', queueReturn: '5d', doubleBounce: 'dev-null' },
  rewrite: { masqueradeAs: 'office.test', masqueradeEntireDomain: true, masqueradeEnvelope: true, alwaysAddDomain: true, generics: { web1_user1: 'user1@office.test' } },
  access: [{ key: 'Connect:192.168.10.5', action: 'RELAY' }, { key: 'From:spammer@bad.test', action: 'REJECT' }, { key: 'Srv_Features:', action: 'V' }],
  antispam: {
    dnsbl: [
      { zone: 'zen.spamhaus.org', message: 'Rejected: $&{client_addr} is listed' },
      { zone: 'bl.example.test', message: 'Listed', tempfail: true, enhanced: true, match: ['127.0.0.2', '127.0.1.'] },
    ],
    delayChecks: 'friend',
  },
  smtp: { greeting: '$j ESMTP', privacy: ['novrfy', 'noexpn', 'needmailhelo'], help: false, maxMessageSize: 10485760, maxRcptsPerMessage: 50, badRcptThrottle: 3, maxDaemonChildren: 15, maxHeadersLength: 32000, minFreeBlocks: 2000 },
  tls: { cert: path.join(TLS_DIR, 'mail.pem'), key: path.join(TLS_DIR, 'mail.key'), ca: path.join(TLS_DIR, 'ca.pem'), ciphers: 'HIGH:!aNULL' },
  localDelivery: { agent: 'pipe', command: '/usr/bin/procmail -d $u', luserRelay: 'local:spamtrap', readHomeForward: false },
};

const ADDRESSES = [
  'info@shop.test', 'Sales@shop.test', 'nobody@shop.test', 'anyone@catch.test', 'team@office.test', 'bob@office.test',
  'stranger@office.test', 'user@old.test', 'x@a.corp.test', 'y@closed.test', 'z@legacy.test', 'someone@example.org',
];

/** `sendmail -bv` for each address, with the data directory's path taken out. */
async function verify(home: string, addresses: string[]): Promise<string> {
  const r = await runCli(home, ['sendmail', '-bv', ...addresses]);
  return (r.stdout + r.stderr).split(home).join('HOME');
}

describe('export sendmail → m4 → import sendmail', () => {
  it('builds with sendmail-cf and gives the same settings and the same address resolution back', async () => {
    const before = await newHome('before', ['alice', 'bob']);
    await saveSettings(before, settingsFrom(office));
    const out = path.join(dir, 'etc-mail');
    const exp = await runCli(before, ['export', 'sendmail', out]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toContain(`wrote ${path.join(out, 'sendmail.mc')}`);
    expect((await readFile(path.join(out, 'authinfo'), 'utf8'))).toContain('AuthInfo:smtp.provider.test\t"U:office" "I:office" "P:pa55word"');

    if (existsSync(CF_M4)) {
      const m4 = spawnSync('m4', [CF_M4, 'sendmail.mc'], { cwd: out, encoding: 'utf8' });
      expect(m4.status, m4.stderr).toBe(0);
      expect(m4.stderr).not.toMatch(/ERROR/);
      const cf = m4.stdout;
      for (const want of ['DSrelay:[smtp.provider.test]', 'Kvirtuser hash -o /etc/mail/virtusertable', 'Kmailertable hash -o /etc/mail/mailertable',
        'O DeliveryMode=deferred', 'O DaemonPortOptions=Port=2525, Addr=127.0.0.1, Name=MTA', 'O PrivacyOptions=novrfy,noexpn,needmailhelo',
        'O MaxMessageSize=10485760', 'O DoubleBounceAddress=dev-null', 'DMoffice.test', 'Djmail.office.test']) {
        expect(cf, want).toContain(want);
      }
      await writeFile(path.join(out, 'sendmail.cf'), cf);
    } else {
      console.warn(`skipping the m4 build: ${CF_M4} is missing (Debian package sendmail-cf)`);
    }

    const after = await newHome('after', ['alice', 'bob']);
    const imp = await runCli(after, ['import', 'sendmail', out, '--apply']);
    expect(imp.code, imp.stdout + imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/^skip +sendmail\.cf:0 .*generated from the \.mc/m);
    const a = settingsFrom(office);
    const b = await loadSettings(after);
    for (const key of ['hostname', 'listen', 'domains', 'aliases', 'forwards', 'virtual', 'routes', 'smartHost', 'delivery', 'rewrite', 'access', 'antispam', 'smtp', 'tls', 'localDelivery'] as const) {
      expect(b[key], key).toEqual(a[key]);
    }
    expect(await verify(after, ADDRESSES)).toBe(await verify(before, ADDRESSES));
  }, 120_000);
});

describe.skipIf(!haveSeeds)(`the seeds' TrinityOS setup, moved in (${SEEDS})`, () => {
  it('resolves addresses as the old configuration meant them, checked with sendmail -bv', async () => {
    const etc = path.join(dir, 'trinity');
    await mkdir(etc);
    await writeFile(path.join(etc, 'sendmail.mc'), `${trinityMc()}${mailertableRecipe()}\nFEATURE(\`virtusertable')dnl\n`);
    await writeFile(path.join(etc, 'local-host-names'), 'acme123.com\n');
    await writeFile(path.join(etc, 'mailertable'), '# the migration recipe\ndomain.tld esmtp:[192.0.2.10]\n');
    await writeFile(path.join(etc, 'virtusertable'), 'sales@acme123.com\tbob\n@shop.example\terror:nouser No such user here\ninfo@shop.example\talice\n');
    await writeFile(path.join(etc, 'aliases'), 'postmaster: root\nroot: alice\n');
    await writeFile(path.join(etc, 'access'), 'Connect:192.168.0\tRELAY\nTo:domain.tld RELAY\n');
    const home = await newHome('trinity-home', ['alice', 'bob']);
    const r = await runCli(home, ['import', 'sendmail', etc, '--apply']);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const check = async (address: string) => {
      const v = await runCli(home, ['sendmail', '-bv', address]);
      return { code: v.code, text: v.stdout + v.stderr };
    };
    // virtusertable: sales@ → bob; the catch-all error: refuses; info@ → alice.
    expect((await check('sales@acme123.com')).text).toMatch(/sales@acme123\.com\.\.\. deliverable: mailer local, user bob@/);
    expect(await check('info@shop.example')).toMatchObject({ code: 0, text: expect.stringMatching(/virtual: info@shop\.example → alice/) });
    expect(await check('anyone@shop.example')).toMatchObject({ code: 67, text: expect.stringMatching(/anyone@shop\.example\.\.\. 5\.1\.1 No such user here/) });
    // mailertable: the migrated domain goes to the new server by IP, no MX lookup.
    expect((await check('user@domain.tld')).text).toMatch(/user@domain\.tld\.\.\. deliverable: mailer esmtp, host \[192\.0\.2\.10\]/);
    // aliases: root's mail goes to alice; an unknown local user bounces.
    expect((await check('root@acme123.com')).text).toMatch(/deliverable: mailer local, user alice@/);
    expect((await check('ghost@acme123.com')).code).toBe(67);
  }, 120_000);
});

describe('apply with a refused line', () => {
  it('saves nothing, unless the refused lines are dropped explicitly', async () => {
    const etc = path.join(dir, 'refused');
    await mkdir(etc);
    await writeFile(path.join(etc, 'sendmail.mc'), "define(`confDELIVERY_MODE', `deferred')dnl\nFEATURE(`mailertable')dnl\n");
    await writeFile(path.join(etc, 'mailertable'), 'good.test esmtp:[192.0.2.1]\nbad!key esmtp:[192.0.2.2]\n');
    const home = await newHome('refused-home', []);
    const r = await runCli(home, ['import', 'sendmail', etc, '--apply']);
    expect(r.code).toBe(65);
    expect(r.stdout).toMatch(/^REFUSED mailertable:2 .*bad key "bad!key"/m);
    expect(r.stderr).toMatch(/nothing saved: 1 refused line/);
    expect(existsSync(path.join(home, 'config.json'))).toBe(false);

    const d = await runCli(home, ['import', 'sendmail', etc, '--apply', '--drop-refused']);
    expect(d.code, d.stderr).toBe(0);
    const s = await loadSettings(home);
    expect(s.delivery.mode).toBe('deferred');
    expect(s.routes).toEqual([{ domain: 'good.test', mailer: 'esmtp', host: '[192.0.2.1]' }]);
  }, 120_000);
});

describe('apply to a running engine', () => {
  it('goes through updateSettings: the engine answers with the imported virtual users at once', async () => {
    const home = await newHome('served', ['alice']);
    await writeFile(path.join(home, 'config.json'), JSON.stringify({
      hostname: 'mta.test', listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false }, console: { port: false },
      dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
    }));
    const served = await startServe(home);
    try {
      const etc = path.join(dir, 'served-etc');
      await mkdir(etc);
      await writeFile(path.join(etc, 'sendmail.mc'), "FEATURE(`virtusertable')dnl\n");
      await writeFile(path.join(etc, 'virtusertable'), 'info@shop.test alice\n@shop.test error:nouser No such user here\n');
      const r = await runCli(home, ['import', 'sendmail', etc, '--apply']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/saved 2 lines to the running engine/);
      const ok = await runCli(home, ['sendmail', '-bv', 'info@shop.test']);
      expect(ok.stdout).toMatch(/info@shop\.test\.\.\. deliverable: mailer local, user alice@/);
      const no = await runCli(home, ['sendmail', '-bv', 'nobody@shop.test']);
      expect(no).toMatchObject({ code: 67, stdout: expect.stringMatching(/5\.1\.1 No such user here/) });
      // The running engine saved it too: a restart keeps the virtual users.
      expect(JSON.parse(await readFile(path.join(home, 'config.json'), 'utf8')).virtual).toEqual({
        'info@shop.test': ['alice'], '@shop.test': ['error:nouser No such user here'],
      });
    } finally {
      await served.stop();
    }
  }, 120_000);
});
