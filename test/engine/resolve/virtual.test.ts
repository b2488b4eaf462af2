// Virtual users in the resolve stage: golden traces (as `sendmail -bv` prints
// them) for exact entries, +detail, the catch-all with %1, error: entries (5xx
// bounce, 4xx stays queued), a virtual-only domain's unknown user, and an entry
// that names itself; and the error: syntax table.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { createResolver, formatTrace } from '../../../engine/resolve/index.ts';
import { isOurDomain } from '../../../engine/config/our-domains.ts';
import { parseVirtualError } from '../../../engine/resolve/virtual.ts';
import { routingErrors } from '../../../engine/routing-api.ts';

let home: string;
const settings = SettingsSchema.parse({
  hostname: 'mail.example.com',
  domains: { local: ['example.com'] },
  aliases: { postmaster: ['root'], root: ['alice'] },
  virtual: {
    'info@shop.example': ['alice'],
    'sales@shop.example': ['bob', 'carol@other.example'],
    '@shop.example': ['error:nouser No such user here'],
    '@catch.example': ['%1@other.example'],
    'busy@shop.example': ['error:4.3.2 Try again tomorrow'],
    'self@self.example': ['self@self.example'],
    'help@example.com': ['root'],
  },
});

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-virtual-'));
  for (const u of ['alice', 'bob']) await mkdir(join(home, 'mail', u, 'new'), { recursive: true });
});
afterAll(async () => { await rm(home, { recursive: true, force: true }); });

const trace = async (address: string) => formatTrace((await createResolver({ settings, home, passwdFile: '' }).resolve(address)).trace);

describe('virtual users (virtusertable)', () => {
  const cases: { got: string; want: string[] }[] = [
    { got: 'info@shop.example', want: ['input: info@shop.example', 'virtual: info@shop.example → alice', 'local: alice is a local user (mailbox)', 'verdict: deliver via local to mailbox alice'] },
    { got: 'info+news@shop.example', want: ['input: info+news@shop.example', 'virtual: info@shop.example → alice', 'local: alice is a local user (mailbox)', 'verdict: deliver via local to mailbox alice'] },
    { got: 'anyone@catch.example', want: ['input: anyone@catch.example', 'virtual: @catch.example → %1@other.example (catch-all for anyone@catch.example)', 'mx: other.example: MX lookup at delivery', 'verdict: deliver via smtp to other.example (esmtp) for anyone@other.example'] },
    { got: 'ghost@shop.example', want: ['input: ghost@shop.example', 'virtual: @shop.example → error:nouser No such user here (catch-all for ghost@shop.example)', 'verdict: bounce ghost@shop.example: 5.1.1 No such user here'] },
    { got: 'busy@shop.example', want: ['input: busy@shop.example', 'virtual: busy@shop.example → error:4.3.2 Try again tomorrow', 'verdict: defer: 4.3.2:Try again tomorrow'] },
    { got: 'other@self.example', want: ['input: other@self.example', 'verdict: bounce other@self.example: 5.1.1 User unknown (no virtual user other@self.example and no catch-all @self.example)'] },
    // Virtual before aliases: help@ → root, then the alias root → alice.
    { got: 'help@example.com', want: ['input: help@example.com', 'virtual: help@example.com → root', 'alias: root → alice', 'local: alice is a local user (mailbox)', 'verdict: deliver via local to mailbox alice'] },
  ];
  it.each(cases)('$got', async ({ got, want }) => { expect(await trace(got)).toEqual(want); });

  it('an entry that names itself is not looked up again (no loop), and the domain has no such mailbox', async () => {
    const t = await trace('self@self.example');
    expect(t.slice(0, 2)).toEqual(['input: self@self.example', 'virtual: self@self.example → self@self.example']);
    expect(t.at(-1)).toMatch(/^verdict: bounce self@self\.example: 5\.1\.1 /);
  });

  it('makes the domains it names ours, and no others', () => {
    expect(isOurDomain('shop.example', settings)).toBe(true);
    expect(isOurDomain('Catch.Example.', settings)).toBe(true);
    expect(isOurDomain('other.example', settings)).toBe(false);
  });
});

describe('error: targets', () => {
  const table = [
    { got: 'error:nouser No such user', want: { status: '5.1.1', text: 'No such user' } },
    { got: 'error:5.7.1:550 Go away', want: { status: '5.7.1', text: 'Go away' } },
    { got: 'error:4.3.2 Later', want: { status: '4.3.2', text: 'Later' } },
    { got: 'error:550 Nope', want: { status: '5.0.0', text: 'Nope' } },
    { got: 'error:whatever', want: { invalid: expect.stringMatching(/use error:nouser text/) } },
    { got: 'alice', want: null },
  ];
  it.each(table)('$got', ({ got, want }) => { expect(parseVirtualError(got)).toEqual(want); });

  it('the routing check names a bad error: entry and one mixed with other targets', () => {
    const s = SettingsSchema.parse({ virtual: { 'a@x.example': ['error:whatever'], 'b@x.example': ['alice', 'error:nouser no'] } });
    expect(routingErrors(s)).toEqual([
      { path: 'virtual.a@x.example[0]', message: expect.stringMatching(/use error:nouser/) },
      { path: 'virtual.b@x.example[1]', message: 'an error: entry must be the only target' },
    ]);
  });

  it('the schema refuses a key that is not user@domain or @domain, and an entry without targets', () => {
    const r = SettingsSchema.safeParse({ virtual: { 'no-domain': ['alice'], '@x.example': [] } });
    expect(r.success).toBe(false);
  });
});
