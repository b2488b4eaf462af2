// Golden traces for the resolve stage (Postfix smtpd_check.in/.ref style): each
// case is an address, the settings it is resolved under, and the exact lines the
// address tester prints. Real files: a temp data directory with Maildirs, a temp
// passwd file, :include: lists and ~/.forward files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import { createResolver, formatTrace } from '../../../engine/resolve/index.ts';

let home: string;
let passwd: string;
let list: string;

const base: SettingsInput = {
  hostname: 'mail.example.com',
  domains: { local: ['example.com', 'example.net'] },
  aliases: {
    postmaster: ['root'],
    'dev-null': ['/dev/null'],
    team: ['alice', 'staff'],
    staff: ['bob', 'carol@other.example'],
    a: ['b'],
    b: ['c'],
    c: ['a'],
    self: ['self', 'bob'],
    archive: ['/var/mail/archive'],
    ticket: ['"|/usr/local/bin/ticket --queue support"'],
    relpath: ['mail/inbox'],
  },
  routes: [
    { domain: '.corp.example', mailer: 'esmtp', host: '[10.0.0.5]', port: 25 },
    { domain: '.eng.corp.example', mailer: 'relay', host: 'gw.example' },
    { domain: 'old.example', mailer: 'esmtp', host: '[192.0.2.7]' },
    { domain: 'legacy.example', mailer: 'local', host: 'alice' },
    { domain: 'closed.example', mailer: 'error', host: '5.7.1:550 This domain no longer takes mail' },
  ],
};

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-resolve-'));
  for (const u of ['alice', 'bob', 'spamtrap']) await mkdir(join(home, 'mail', u, 'new'), { recursive: true });
  await mkdir(join(home, 'homes', 'dave'), { recursive: true });
  await mkdir(join(home, 'homes', 'erin'), { recursive: true });
  passwd = join(home, 'passwd');
  await writeFile(passwd, [
    'root:x:0:0:root:/root:/bin/sh',
    `dave:x:1001:1001:Dave:${join(home, 'homes', 'dave')}:/bin/sh`,
    `erin:x:1002:1002:Erin:${join(home, 'homes', 'erin')}:/bin/sh`,
  ].join('\n') + '\n');
  await writeFile(join(home, 'homes', 'dave', '.forward'), '# dave\n\\dave\ndave@elsewhere.example\n');
  await writeFile(join(home, 'homes', 'erin', '.forward'), 'erin@elsewhere.example\n');
  await chmod(join(home, 'homes', 'erin', '.forward'), 0o666);
  list = join(home, 'list');
  await writeFile(list, '# the list\nalice, bob\n"|/usr/bin/logger -t list"\n');
});
afterAll(async () => { await rm(home, { recursive: true, force: true }); });

interface Case { name: string; address: string; settings?: SettingsInput; want: string[] }

const cases: Case[] = [
  {
    name: 'local user with a Maildir',
    address: 'alice@example.com',
    want: [
      'input: alice@example.com',
      'local: example.com is a local domain',
      'local: alice is a local user (mailbox)',
      'verdict: deliver via local to mailbox alice',
    ],
  },
  {
    name: 'local parts and domains fold case',
    address: '<Alice@EXAMPLE.NET>',
    want: [
      'input: Alice@EXAMPLE.NET',
      'local: example.net is a local domain',
      'local: alice is a local user (mailbox)',
      'verdict: deliver via local to mailbox alice',
    ],
  },
  {
    name: 'unqualified address is local',
    address: 'bob',
    want: [
      'input: bob',
      'rewrite: bob → bob@mail.example.com (unqualified: local)',
      'local: bob is a local user (mailbox)',
      'verdict: deliver via local to mailbox bob',
    ],
  },
  {
    name: 'alias to a system user',
    address: 'postmaster@localhost',
    want: [
      'input: postmaster@localhost',
      'local: localhost is a local domain',
      'alias: postmaster → root',
      'local: root is a local user (system user)',
      'verdict: deliver via local to mailbox root',
    ],
  },
  {
    name: 'nested aliases reach local and remote',
    address: 'team@example.com',
    want: [
      'input: team@example.com',
      'local: example.com is a local domain',
      'alias: team → alice, staff',
      'local: alice is a local user (mailbox)',
      'alias: staff → bob, carol@other.example',
      'local: bob is a local user (mailbox)',
      'mx: other.example: MX lookup at delivery',
      'verdict: deliver via local to mailbox alice',
      'verdict: deliver via local to mailbox bob',
      'verdict: deliver via smtp to other.example (esmtp) for carol@other.example',
    ],
  },
  {
    name: 'alias loop fails with the cycle named',
    address: 'a@example.com',
    want: [
      'input: a@example.com',
      'local: example.com is a local domain',
      'alias: a → b',
      'alias: b → c',
      'alias: c → a',
      'verdict: bounce a@example.com: 5.4.6 alias loop: a → b → c → a',
    ],
  },
  {
    name: 'an alias naming itself means its own mailbox',
    address: 'self@example.com',
    want: [
      'input: self@example.com',
      'local: example.com is a local domain',
      'alias: self → self, bob',
      'alias: self names itself: deliver to its mailbox',
      'local: bob is a local user (mailbox)',
      'verdict: deliver via local to mailbox self',
      'verdict: deliver via local to mailbox bob',
    ],
  },
  {
    name: '/dev/null discards',
    address: 'dev-null@example.com',
    want: [
      'input: dev-null@example.com',
      'local: example.com is a local domain',
      'alias: dev-null → /dev/null',
      'verdict: discard (/dev/null)',
    ],
  },
  {
    name: 'alias to a file',
    address: 'archive@example.com',
    want: [
      'input: archive@example.com',
      'local: example.com is a local domain',
      'alias: archive → /var/mail/archive',
      'verdict: deliver via file to /var/mail/archive',
    ],
  },
  {
    name: 'alias to a program',
    address: 'ticket@example.com',
    want: [
      'input: ticket@example.com',
      'local: example.com is a local domain',
      'alias: ticket → "|/usr/local/bin/ticket --queue support"',
      'verdict: deliver via pipe to |/usr/local/bin/ticket --queue support',
    ],
  },
  {
    name: 'alias with a relative path is refused',
    address: 'relpath@example.com',
    want: [
      'input: relpath@example.com',
      'local: example.com is a local domain',
      'alias: relpath → mail/inbox',
      'verdict: bounce mail/inbox: 5.3.5 alias relpath: relative path "mail/inbox": use an absolute path such as /home/user/mail',
    ],
  },
  {
    name: 'forward keeps a local copy with \\user and forwards remotely',
    address: 'alice@example.com',
    settings: { forwards: { alice: ['\\alice', 'alice@elsewhere.example'] } },
    want: [
      'input: alice@example.com',
      'local: example.com is a local domain',
      'forward: alice → \\alice, alice@elsewhere.example',
      'forward: \\alice: a copy to the mailbox of alice, no further aliasing',
      'mx: elsewhere.example: MX lookup at delivery',
      'verdict: deliver via local to mailbox alice',
      'verdict: deliver via smtp to elsewhere.example (esmtp) for alice@elsewhere.example',
    ],
  },
  {
    name: 'forwarding switched off delivers locally',
    address: 'alice@example.com',
    settings: { forwards: { alice: ['alice@elsewhere.example'] }, localDelivery: { forwardEnabled: false } },
    want: [
      'input: alice@example.com',
      'local: example.com is a local domain',
      'forward: alice: forwarding is switched off (localDelivery.forwardEnabled), settings ignored',
      'local: alice is a local user (mailbox)',
      'verdict: deliver via local to mailbox alice',
    ],
  },
  {
    name: 'forward loop between two users fails',
    address: 'alice@example.com',
    settings: { forwards: { alice: ['bob'], bob: ['alice@example.net'] } },
    want: [
      'input: alice@example.com',
      'local: example.com is a local domain',
      'forward: alice → bob',
      'forward: bob → alice@example.net',
      'local: example.net is a local domain',
      'verdict: bounce alice@example.net: 5.4.6 forwarding loop: alice → bob → alice',
    ],
  },
  {
    name: 'forward to a relative path is refused',
    address: 'bob@example.com',
    settings: { forwards: { bob: ['Mail/inbox, bob@elsewhere.example'] } },
    want: [
      'input: bob@example.com',
      'local: example.com is a local domain',
      'forward: bob → Mail/inbox, bob@elsewhere.example',
      'mx: elsewhere.example: MX lookup at delivery',
      'verdict: deliver via smtp to elsewhere.example (esmtp) for bob@elsewhere.example',
      'verdict: bounce Mail/inbox: 5.3.5 forward of bob: relative path "Mail/inbox": use an absolute path such as /home/user/mail',
    ],
  },
  {
    name: '~/.forward of a system user',
    address: 'dave@example.com',
    settings: { localDelivery: { readHomeForward: true } },
    want: [
      'input: dave@example.com',
      'local: example.com is a local domain',
      'forward: dave → \\dave, dave@elsewhere.example (HOME/homes/dave/.forward)',
      'forward: \\dave: a copy to the mailbox of dave, no further aliasing',
      'mx: elsewhere.example: MX lookup at delivery',
      'verdict: deliver via local to mailbox dave',
      'verdict: deliver via smtp to elsewhere.example (esmtp) for dave@elsewhere.example',
    ],
  },
  {
    name: 'a world-writable ~/.forward is ignored',
    address: 'erin@example.com',
    settings: { localDelivery: { readHomeForward: true } },
    want: [
      'input: erin@example.com',
      'local: example.com is a local domain',
      'forward: erin: HOME/homes/erin/.forward ignored: writable by group or others',
      'local: erin is a local user (system user)',
      'verdict: deliver via local to mailbox erin',
    ],
  },
  {
    name: ':include: list',
    address: 'list@example.com',
    settings: { aliases: { list: [':include:LIST'] } },
    want: [
      'input: list@example.com',
      'local: example.com is a local domain',
      'alias: list → :include:LIST',
      'alias: :include:LIST → alice, bob, "|/usr/bin/logger -t list"',
      'local: alice is a local user (mailbox)',
      'local: bob is a local user (mailbox)',
      'verdict: deliver via local to mailbox alice',
      'verdict: deliver via local to mailbox bob',
      'verdict: deliver via pipe to |/usr/bin/logger -t list',
    ],
  },
  {
    name: 'missing :include: file bounces naming it',
    address: 'list@example.com',
    settings: { aliases: { list: [':include:/nonexistent/list'] } },
    want: [
      'input: list@example.com',
      'local: example.com is a local domain',
      'alias: list → :include:/nonexistent/list',
      'verdict: bounce :include:/nonexistent/list: 5.3.5 alias list: cannot open :include: file /nonexistent/list (ENOENT)',
    ],
  },
  {
    name: 'unknown user',
    address: 'nobody@example.com',
    want: [
      'input: nobody@example.com',
      'local: example.com is a local domain',
      'verdict: bounce nobody@example.com: 5.1.1 User unknown',
    ],
  },
  {
    name: 'catch-all for unknown users',
    address: 'nobody@example.com',
    settings: { localDelivery: { luserRelay: 'local:spamtrap' } },
    want: [
      'input: nobody@example.com',
      'local: example.com is a local domain',
      'luser: nobody is not a local user → local:spamtrap',
      'local: spamtrap is a local user (mailbox)',
      'verdict: deliver via local to mailbox spamtrap',
    ],
  },
  {
    name: 'catch-all mailbox that does not exist yet',
    address: 'nobody@example.com',
    settings: { localDelivery: { luserRelay: 'trap' } },
    want: [
      'input: nobody@example.com',
      'local: example.com is a local domain',
      'luser: nobody is not a local user → trap',
      'local: trap has no mailbox yet: named by luserRelay, created on first delivery',
      'verdict: deliver via local to mailbox trap',
    ],
  },
  {
    name: 'catch-all does not catch known users',
    address: 'bob@example.com',
    settings: { localDelivery: { luserRelay: 'local:spamtrap' } },
    want: [
      'input: bob@example.com',
      'local: example.com is a local domain',
      'local: bob is a local user (mailbox)',
      'verdict: deliver via local to mailbox bob',
    ],
  },
  {
    name: 'catch-all to another host keeps the address',
    address: 'nobody@example.com',
    settings: { localDelivery: { luserRelay: 'relay:[10.1.1.1]:2525' } },
    want: [
      'input: nobody@example.com',
      'local: example.com is a local domain',
      'luser: nobody is not a local user → relay:[10.1.1.1]:2525',
      'verdict: deliver via smtp to [10.1.1.1]:2525 (relay) for nobody@example.com',
    ],
  },
  {
    name: 'subaddress falls back to the user',
    address: 'alice+lists@example.com',
    want: [
      'input: alice+lists@example.com',
      'local: example.com is a local domain',
      'local: alice+lists → alice (subaddress "lists")',
      'local: alice is a local user (mailbox)',
      'verdict: deliver via local to mailbox alice',
    ],
  },
  {
    name: 'subdomain route',
    address: 'pat@hq.corp.example',
    want: [
      'input: pat@hq.corp.example',
      'route: .corp.example → esmtp:[10.0.0.5]:25',
      'verdict: deliver via smtp to [10.0.0.5]:25 (esmtp) for pat@hq.corp.example',
    ],
  },
  {
    name: 'longest route match wins',
    address: 'pat@build.eng.corp.example',
    want: [
      'input: pat@build.eng.corp.example',
      'route: .eng.corp.example → relay:gw.example',
      'verdict: deliver via smtp to gw.example (relay) for pat@build.eng.corp.example',
    ],
  },
  {
    name: '.domain routes do not match the domain itself',
    address: 'pat@corp.example',
    want: [
      'input: pat@corp.example',
      'mx: corp.example: MX lookup at delivery',
      'verdict: deliver via smtp to corp.example (esmtp) for pat@corp.example',
    ],
  },
  {
    name: 'a route overrides the smart host (migration recipe)',
    address: 'pat@old.example',
    settings: { smartHost: { host: 'smtp.provider.example' } },
    want: [
      'input: pat@old.example',
      'route: old.example → esmtp:[192.0.2.7]',
      'verdict: deliver via smtp to [192.0.2.7] (esmtp) for pat@old.example',
    ],
  },
  {
    name: 'local: route',
    address: 'anyone@legacy.example',
    want: [
      'input: anyone@legacy.example',
      'route: legacy.example → local:alice',
      'local: alice is a local user (mailbox)',
      'verdict: deliver via local to mailbox alice',
    ],
  },
  {
    name: 'error: route bounces with its text',
    address: 'pat@closed.example',
    want: [
      'input: pat@closed.example',
      'route: closed.example → error:5.7.1:550 This domain no longer takes mail',
      'verdict: bounce pat@closed.example: 5.7.1 This domain no longer takes mail',
    ],
  },
  {
    name: 'smart host',
    address: 'friend@gmail.example',
    settings: { smartHost: { host: 'smtp.provider.example', port: 587 } },
    want: [
      'input: friend@gmail.example',
      'smarthost: smtp.provider.example:587 (no route for gmail.example)',
      'verdict: deliver via smtp to smtp.provider.example:587 (relay, smart host) for friend@gmail.example',
    ],
  },
  {
    name: 'address literal needs no MX',
    address: 'x@[192.0.2.9]',
    want: [
      'input: x@[192.0.2.9]',
      'mx: [192.0.2.9] is an address literal: no MX lookup',
      'verdict: deliver via smtp to [192.0.2.9] (esmtp) for x@[192.0.2.9]',
    ],
  },
  {
    name: 'our own address literal is local',
    address: 'postmaster@[127.0.0.1]',
    want: [
      'input: postmaster@[127.0.0.1]',
      'local: [127.0.0.1] is a local domain',
      'alias: postmaster → root',
      'local: root is a local user (system user)',
      'verdict: deliver via local to mailbox root',
    ],
  },
  {
    name: '~/.forward is not read with forwarding off',
    address: 'dave@example.com',
    settings: { localDelivery: { readHomeForward: true, forwardEnabled: false } },
    want: [
      'input: dave@example.com',
      'local: example.com is a local domain',
      'local: dave is a local user (system user)',
      'verdict: deliver via local to mailbox dave',
    ],
  },
  {
    name: 'bad syntax bounces',
    address: 'a b@example.com',
    want: [
      'input: a b@example.com',
      'verdict: bounce a b@example.com: 5.1.3 bad address syntax: bad local part "a b"',
    ],
  },
  {
    name: 'a quoted program as a recipient is only a name',
    address: '"|/bin/rm -rf /"@example.com',
    want: [
      'input: "|/bin/rm -rf /"@example.com',
      'local: example.com is a local domain',
      'verdict: bounce "|/bin/rm -rf /"@example.com: 5.1.1 User unknown',
    ],
  },
];

describe('resolve golden traces', () => {
  it.each(cases)('$name', async ({ address, settings: raw, want }) => {
    // "LIST" in a case stands for the temp :include: file, "HOME" for the data directory.
    const settings = raw && (JSON.parse(JSON.stringify(raw).split('LIST').join(list)) as SettingsInput);
    const merged = SettingsSchema.parse({ ...base, ...settings, aliases: { ...base.aliases, ...settings?.aliases } });
    const resolver = createResolver({ settings: () => merged, home, passwdFile: passwd });
    const got = formatTrace((await resolver.resolve(address)).trace)
      .map((l) => l.split(list).join('LIST').split(home).join('HOME'));
    expect(got).toEqual(want);
  });
});

// What qmgr and the transports consume: the exact Destination records.
describe('resolve destinations', () => {
  const resolverWith = (over: SettingsInput = {}) => createResolver({
    settings: SettingsSchema.parse({ ...base, ...over }), home, passwdFile: passwd,
  });

  it('carries transport, nexthop, port, mailer, final and original address', async () => {
    const r = resolverWith({ smartHost: { host: 'smtp.provider.example', port: 587 }, forwards: { alice: ['\\alice', 'alice@elsewhere.example'] } });
    expect((await r.resolve('Alice@Example.com')).destinations).toEqual([
      { transport: 'local', nexthop: 'alice', mailer: 'local', address: 'alice@example.com', original: 'Alice@Example.com' },
      { transport: 'smtp', nexthop: 'smtp.provider.example', port: 587, smartHost: true, mailer: 'relay', address: 'alice@elsewhere.example', original: 'Alice@Example.com' },
    ]);
    expect((await r.resolve('pat@x.corp.example')).destinations).toEqual([
      { transport: 'smtp', nexthop: '[10.0.0.5]', port: 25, mailer: 'esmtp', address: 'pat@x.corp.example', original: 'pat@x.corp.example' },
    ]);
    expect((await r.resolve('ticket@example.com')).destinations).toEqual([
      { transport: 'pipe', nexthop: '/usr/local/bin/ticket --queue support', mailer: 'prog', address: '|/usr/local/bin/ticket --queue support', original: 'ticket@example.com' },
    ]);
  });

  it('delivers once to a mailbox reached twice', async () => {
    const r = resolverWith({ aliases: { both: ['alice', 'ALICE@example.net', '\\alice'] } });
    const got = await r.resolve('both@example.com');
    expect(got.destinations.map((d) => d.nexthop)).toEqual(['alice']);
  });

  it('fails an error: route with its status and reason', async () => {
    const got = await resolverWith().resolve('pat@closed.example');
    expect(got.destinations).toEqual([]);
    expect(got.failures).toEqual([{ address: 'pat@closed.example', status: '5.7.1', reason: 'This domain no longer takes mail' }]);
  });

  it('an unreadable :include: waits (error destination with 4.3.0) instead of bouncing', async () => {
    const r = createResolver({ settings: SettingsSchema.parse({ ...base, aliases: { l: [`:include:${home}`] } }), home, passwdFile: passwd });
    const got = await r.resolve('l@example.com');
    expect(got.failures).toEqual([]);
    expect(got.destinations).toMatchObject([{ transport: 'error', mailer: 'error' }]);
    expect(got.destinations[0].nexthop).toMatch(/^4\.3\.0:alias l: cannot read :include: file .* \(EISDIR\)$/);
  });

  it('an alias that expands to nothing bounces rather than vanishing', async () => {
    const empty = join(home, 'empty-list');
    await writeFile(empty, '# nobody yet\n');
    const r = createResolver({ settings: SettingsSchema.parse({ ...base, aliases: { l: [`:include:${empty}`] } }), home, passwdFile: passwd });
    expect((await r.resolve('l@example.com')).failures).toEqual([{ address: 'l@example.com', status: '5.1.1', reason: 'expands to no recipients' }]);
  });

  it('never writes: resolving a system user creates no mailbox', async () => {
    await resolverWith().resolve('dave@example.com');
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(home, 'mail'))).sort()).toEqual(['alice', 'bob', 'spamtrap']);
  });

  it('reads settings on every call', async () => {
    let settings = SettingsSchema.parse(base);
    const r = createResolver({ settings: () => settings, home, passwdFile: passwd });
    expect((await r.resolve('pat@moved.example')).destinations[0].nexthop).toBe('moved.example');
    settings = SettingsSchema.parse({ ...base, routes: [{ domain: 'moved.example', mailer: 'esmtp', host: '[192.0.2.50]' }] });
    expect((await r.resolve('pat@moved.example')).destinations[0].nexthop).toBe('[192.0.2.50]');
  });
});
