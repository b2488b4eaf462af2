// Importing Sendmail configurations: the seeds' TrinityOS sendmail.mc and the
// tips pages' snippets with /etc/mail maps written here, then bad input (unknown
// syntax, bad map keys, a .db without its text, a path that does not exist),
// each named with file:line and a reason. Real files; the plans are the ones
// `mailstop import sendmail` prints.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { applyPatch } from '../../../engine/config/load.ts';
import { planImport, readImportSources, type ImportPlan } from '../../../engine/import/index.ts';
import { damagedMc, haveSeeds, mailertableRecipe, SEEDS, tipsMc, trinityMc } from './seeds.ts';

const defaults = SettingsSchema.parse({});
let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'mailstop-import-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function planOf(files: Record<string, string | Buffer>): Promise<ImportPlan> {
  const d = await mkdtemp(path.join(dir, 'etc-mail-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(d, name), text);
  return planImport('sendmail', d, await readImportSources('sendmail', d), defaults);
}
/** "file:line outcome" lines, to find one item by where it came from. */
const at = (plan: ImportPlan, file: string, line: number) => plan.items.filter((i) => i.file === file && i.line === line);
const settingsOf = (plan: ImportPlan) => {
  const r = applyPatch(defaults, plan.patch);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.settings;
};

describe.skipIf(!haveSeeds)(`the seeds (${SEEDS})`, () => {
  it("imports TrinityOS's sendmail.mc with its maps", async () => {
    // The mailertable recipe of the tips page says to add its FEATURE line to the .mc; so does this test.
    const mc = `${trinityMc()}${mailertableRecipe()}\nFEATURE(\`virtusertable')dnl\n`;
    const plan = await planOf({
      'sendmail.mc': mc,
      'local-host-names': '# our domains\nacme123.com\nmail.acme123.com\n',
      access: '# backup MX for a friend (Section 25.14)\nConnect:192.168.0\tRELAY\nTo:friend.example RELAY\nFrom:spammer@bad.example\tREJECT\n',
      'relay-domains': 'friend.example\n192.168.1\n',
      mailertable: 'domain.tld esmtp:[192.0.2.10]\n.corp.acme123.com\trelay:[10.0.0.5]\n',
      virtusertable: 'info@acme123.com\talice\n@shop.example\terror:nouser No such user here\n',
      aliases: 'postmaster: root\nroot: alice\n',
    });
    expect(plan.refused).toBe(0);
    const s = settingsOf(plan);
    expect(s.rewrite).toMatchObject({ masqueradeAs: 'acme123.com', masqueradeEntireDomain: true, masqueradeEnvelope: true, alwaysAddDomain: true });
    expect(s.antispam.dnsbl.map((l) => l.zone)).toEqual(['bl.spamcop.net', 'unconfirmed.dsbl.org', 'relays.ordb.org']);
    expect(s.antispam.dnsbl[0].message).toBe('Mail rejected - Open spam relay - see http://spamcop.net/bl.shtml? $&{client_addr}');
    expect(s.smtp.privacy).toEqual(['authwarnings', 'noexpn', 'novrfy', 'needmailhelo', 'noetrn']);
    expect(s.smtp.greeting).toBe('$j');
    expect(s.localDelivery).toMatchObject({ agent: 'pipe', command: '/usr/bin/procmail -d $u' });
    expect(s.domains.local).toEqual(['acme123.com', 'mail.acme123.com']);
    expect(s.domains.relay).toEqual(['friend.example', '192.168.1.0/24']);
    expect(s.access).toEqual([
      { key: 'Connect:192.168.0', action: 'RELAY' }, { key: 'To:friend.example', action: 'RELAY' }, { key: 'From:spammer@bad.example', action: 'REJECT' },
    ]);
    expect(s.routes).toEqual([{ domain: 'domain.tld', mailer: 'esmtp', host: '[192.0.2.10]' }, { domain: '.corp.acme123.com', mailer: 'relay', host: '[10.0.0.5]' }]);
    expect(s.virtual).toEqual({ 'info@acme123.com': ['alice'], '@shop.example': ['error:nouser No such user here'] });
    expect(s.aliases).toEqual({ postmaster: ['root'], root: ['alice'] });
    // What is not carried over says why, on its own line.
    const line = (re: RegExp) => plan.items.find((i) => re.test(i.text))!;
    expect(line(/FEATURE\(nouucp/)).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/nothing to do/) });
    expect(line(/FEATURE\(relay_mail_from\)/)).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/forge/) });
    expect(line(/^OSTYPE/).line).toBe(mc.split('\n').findIndex((l) => l.startsWith('OSTYPE')) + 1);
  });

  it("imports the tips pages' snippets: each define and FEATURE becomes a setting or says why not", async () => {
    const plan = await planOf({ 'sendmail.mc': tipsMc(), mailertable: 'domain.tld esmtp:[192.0.2.10]\n' });
    const s = settingsOf(plan);
    expect(s.delivery.mode).toBe('deferred');
    expect(s.localDelivery.readHomeForward).toBe(false);
    expect(s.localDelivery.luserRelay).toBe('local:user');
    expect(s.antispam.dnsbl[0]).toMatchObject({ zone: 'sbl.spamhaus.org', enhanced: true, tempfail: true, match: ['127.0.0.2'] });
    expect(s.antispam.dnsbl.slice(1).map((l) => l.zone)).toEqual(['bl.spamcop.net', 'zen.spamhaus.org', 'dul.dnsbl.sorbs.net']);
    expect(s.antispam.dnsbl[1].message).toBe('Spam blocked - see http://spamcop.net/bl.shtml?$&{client_addr}');
    expect(s.antispam.delayChecks).toBe('friend');
    expect(s.smtp).toMatchObject({ maxDaemonChildren: 20, greeting: '$j Sendmail; $b', minFreeBlocks: 4000, maxHeadersLength: 32000, badRcptThrottle: 4, maxRcptsPerMessage: 10 });
    expect(s.delivery.doubleBounce).toBe('dev-null');
    expect(s.rewrite.masqueradeEnvelope).toBe(true);
    expect(s.routes).toEqual([{ domain: 'domain.tld', mailer: 'esmtp', host: '[192.0.2.10]' }]);
    const why = (re: RegExp) => plan.items.find((i) => re.test(i.text));
    expect(why(/confTO_IDENT/)).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/ident/) });
    expect(why(/FEATURE\(`msp'/)).toMatchObject({ outcome: 'skip' });
    // The page's placeholder "{smtprelay.domain.tld}" is no host: refused, with its line.
    expect(why(/SMART_HOST/)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/not a host name/) });
    expect(plan.refused).toBe(1);
  });

  it('refuses the lines the page garbled, each with its file:line', async () => {
    for (const bad of damagedMc()) {
      const plan = await planOf({ 'sendmail.mc': `FEATURE(\`nouucp')\n${bad}\n` });
      const refused = plan.items.filter((i) => i.outcome === 'refused');
      expect(refused, bad).toHaveLength(1);
      expect(refused[0]).toMatchObject({ file: 'sendmail.mc', line: 2 });
    }
  });
});

describe('bad input', () => {
  it('names unknown .mc syntax, unknown macros and custom rulesets with their lines', async () => {
    const plan = await planOf({
      'sendmail.mc': [
        "define(`confMAX_MESSAGE_SIZE', `15728640')dnl", // 1
        'this is not m4', // 2
        "FROBNICATE(`x')dnl", // 3
        "define(`confTO_QUEUEWARN', `soon')dnl", // 4
        "define(`confPRIVACY_FLAGS',dnl", // 5: Debian's style, the value on the next line
        "`goaway,restrictexpand')dnl", // 6
        'LOCAL_RULESETS', // 7
        'SLocal_check_rcpt', // 8
        'R$*\t$#error $: 553 no', // 9
      ].join('\n'),
    });
    expect(at(plan, 'sendmail.mc', 1)[0]).toMatchObject({ outcome: 'set', becomes: ['smtp.maxMessageSize = 15728640'] });
    expect(at(plan, 'sendmail.mc', 2)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/not \.mc syntax/) });
    expect(at(plan, 'sendmail.mc', 3)[0]).toMatchObject({ outcome: 'refused', reason: 'unknown .mc macro FROBNICATE(...)' });
    expect(at(plan, 'sendmail.mc', 4)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/not a time/) });
    expect(at(plan, 'sendmail.mc', 5)[0]).toMatchObject({ outcome: 'set', becomes: ['smtp.privacy = ["goaway"]'], reason: expect.stringMatching(/restrictexpand/) });
    expect(at(plan, 'sendmail.mc', 7)[0]).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/custom ruleset.*2 more lines.*not supported/) });
    expect(plan.items.some((i) => i.line === 8 || i.line === 9)).toBe(false);
    expect(plan.patch).toEqual({ smtp: { maxMessageSize: 15728640, privacy: ['goaway'] } });
  });

  it('refuses a bad map key, a .db with no text source, and binary content', async () => {
    const plan = await planOf({
      'sendmail.mc': "FEATURE(`mailertable')dnl\nFEATURE(`virtusertable')dnl\nFEATURE(`access_db')dnl\n",
      mailertable: '# routes\nexample.org\tesmtp:[192.0.2.1]\nbad!key\tesmtp:[192.0.2.2]\nexample.net\tuucp:host\n',
      virtusertable: 'info@shop.example alice\nnot-an-address alice\n@shop.example error:whatever\n',
      access: 'Connect:300.1.2.3\tRELAY\n',
      'access.db': Buffer.from([0, 97, 0]),
      'virtusertable.db': Buffer.from([0, 1, 2]),
      'genericstable.db': Buffer.from([0, 1, 2]),
    });
    expect(at(plan, 'mailertable', 2)[0].outcome).toBe('set');
    expect(at(plan, 'mailertable', 3)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/bad key "bad!key"/) });
    expect(at(plan, 'mailertable', 4)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/uucp/) });
    expect(at(plan, 'virtusertable', 2)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/bad key "not-an-address"/) });
    expect(at(plan, 'virtusertable', 3)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/use error:nouser text/) });
    // The access map's own check (the one updateSettings runs) refuses the address, traced to its line.
    expect(at(plan, 'access', 1)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^access\[0\]\.key: /) });
    expect(at(plan, 'access.db', 0)[0]).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/built from access/) });
    expect(at(plan, 'virtusertable.db', 0)[0]).toMatchObject({ outcome: 'skip' });
    expect(at(plan, 'genericstable.db', 0)[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/no text source.*makemap -u hash genericstable/) });
    expect(plan.patch).toEqual({ routes: [{ domain: 'example.org', mailer: 'esmtp', host: '[192.0.2.1]' }], virtual: { 'info@shop.example': ['alice'] } });
  });

  it('reads no map the .mc does not enable, as Sendmail would not', async () => {
    const plan = await planOf({ 'sendmail.mc': "OSTYPE(`linux')dnl\n", mailertable: 'example.org esmtp:[192.0.2.1]\n' });
    expect(at(plan, 'mailertable', 0)[0]).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/FEATURE\(mailertable\) is not in the \.mc/) });
    expect(plan.patch).toEqual({});
  });

  it('names a path that does not exist', async () => {
    const missing = path.join(dir, 'no-such-dir');
    const plan = planImport('sendmail', missing, await readImportSources('sendmail', missing), defaults);
    expect(plan.items).toEqual([expect.objectContaining({ file: missing, line: 0, outcome: 'refused', reason: `${missing} does not exist` })]);
  });
});

describe("users' own ~/.forward (opt-in)", () => {
  it('reads the .forward of ordinary accounts and names each by its user', async () => {
    const { readHomeForwards } = await import('../../../engine/import/index.ts');
    const homes = await mkdtemp(path.join(dir, 'homes-'));
    const { mkdir } = await import('node:fs/promises');
    for (const u of ['dave', 'erin', 'daemon']) await mkdir(path.join(homes, u));
    await writeFile(path.join(homes, 'dave', '.forward'), '# dave\n\\dave, dave@elsewhere.example\n');
    await writeFile(path.join(homes, 'daemon', '.forward'), 'root\n');
    const passwd = path.join(homes, 'passwd');
    await writeFile(passwd, [
      `daemon:x:1:1:daemon:${path.join(homes, 'daemon')}:/usr/sbin/nologin`,
      `dave:x:1001:1001:Dave:${path.join(homes, 'dave')}:/bin/sh`,
      `erin:x:1002:1002:Erin:${path.join(homes, 'erin')}:/bin/sh`,
    ].join('\n') + '\n');
    const files = await readHomeForwards(passwd);
    expect(files.map((f) => f.name)).toEqual(['~dave/.forward']);
    const plan = planImport('sendmail', homes, files, defaults);
    expect(plan.items).toEqual([expect.objectContaining({ file: '~dave/.forward', line: 2, outcome: 'set', becomes: ['forwards.dave = ["\\\\dave, dave@elsewhere.example"]'] })]);
  });
});

describe('# lines', () => {
  it('are comments, except where m4 would still act on them (cf.m4 turns m4 comments off)', async () => {
    const plan = await planOf({ 'sendmail.mc': "# plain comment, it's fine\n# FEATURE(nouucp) is still expanded\n# don`t\nOSTYPE(`linux')dnl\n" });
    expect(plan.items.map((i) => [i.line, i.outcome])).toEqual([[2, 'refused'], [3, 'refused'], [4, 'skip']]);
    expect(plan.items[0].reason).toMatch(/macro call here is still expanded.*use dnl/);
  });
});
