// Sender rewriting tables: genericstable, masquerading (plain, entire domain,
// envelope), always_add_domain, for the envelope and for headers.
import { describe, expect, it } from 'vitest';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import { rewriteAddressList, rewriteHeaders, rewriteSender } from '../../../engine/cleanup/rewrite.ts';

const seeds: SettingsInput = {
  hostname: 'somehost.acme123.com',
  domains: { local: ['acme123.com'] },
  rewrite: { masqueradeAs: 'acme123.com', masqueradeEntireDomain: true, masqueradeEnvelope: true, alwaysAddDomain: true,
    generics: { web1_user1: 'user1@domain.tld', 'web1_user2@acme123.com': 'user2@domain.tld' } },
};
const settings = (over: SettingsInput = {}) => SettingsSchema.parse({ ...seeds, ...over, rewrite: { ...seeds.rewrite, ...over.rewrite } });

describe('rewriteSender (envelope)', () => {
  const cases: { name: string; over?: SettingsInput; got: string; want: string }[] = [
    { name: 'null sender is never rewritten', got: '', want: '' },
    { name: 'generics by login', got: 'web1_user1', want: 'user1@domain.tld' },
    { name: 'generics by login at our host', got: 'web1_user1@somehost.acme123.com', want: 'user1@domain.tld' },
    { name: 'generics by full address', got: 'web1_user2@acme123.com', want: 'user2@domain.tld' },
    { name: 'masquerade the host name', got: 'greg@somehost.acme123.com', want: 'greg@acme123.com' },
    { name: 'masquerade_entire_domain takes any subdomain', got: 'greg@ws7.lan.acme123.com', want: 'greg@acme123.com' },
    { name: 'without entire domain, other subdomains stay', over: { rewrite: { masqueradeEntireDomain: false } }, got: 'greg@ws7.acme123.com', want: 'greg@ws7.acme123.com' },
    { name: 'unqualified gets the masquerade domain', got: 'greg', want: 'greg@acme123.com' },
    { name: 'root stays exposed', got: 'root@somehost.acme123.com', want: 'root@somehost.acme123.com' },
    { name: 'unqualified root gets the host name', got: 'root', want: 'root@somehost.acme123.com' },
    { name: 'foreign addresses are untouched', got: 'Bob@Other.Example', want: 'Bob@Other.Example' },
    { name: 'no masquerade_envelope: host kept', over: { rewrite: { masqueradeEnvelope: false } }, got: 'greg@somehost.acme123.com', want: 'greg@somehost.acme123.com' },
    { name: 'no masquerade_envelope: no generics either', over: { rewrite: { masqueradeEnvelope: false } }, got: 'web1_user1', want: 'web1_user1@somehost.acme123.com' },
    { name: 'no masquerading: qualify with the host name', over: { rewrite: { masqueradeAs: '', generics: {} } }, got: 'greg', want: 'greg@somehost.acme123.com' },
  ];
  it.each(cases)('$name', ({ over, got, want }) => {
    expect(rewriteSender(got, settings(over))).toBe(want);
  });
});

describe('rewriteHeaders', () => {
  it('rewrites sender headers fully, recipient headers only by qualifying, keeps everything else', () => {
    const got = rewriteHeaders([
      'Received: from x by somehost.acme123.com',
      'From: "Greg, the admin" <greg@somehost.acme123.com>',
      'Sender: web1_user1 (web app)',
      'Reply-To: root',
      'To: alice, Bob <bob@other.example>,',
      ' carol@ws1.acme123.com',
      'Cc: team: dave, erin@somehost.acme123.com;',
      'Subject: From greg@somehost.acme123.com',
      '',
      '',
    ].join('\r\n'), settings());
    expect(got).toBe([
      'Received: from x by somehost.acme123.com',
      'From: "Greg, the admin" <greg@acme123.com>',
      'Sender: user1@domain.tld (web app)',
      'Reply-To: root@somehost.acme123.com',
      'To: alice@acme123.com, Bob <bob@other.example>,',
      ' carol@ws1.acme123.com',
      'Cc: team: dave@acme123.com, erin@somehost.acme123.com;',
      'Subject: From greg@somehost.acme123.com',
      '',
      '',
    ].join('\r\n'));
  });

  it('leaves unqualified header addresses alone without always_add_domain', () => {
    const s = settings({ rewrite: { alwaysAddDomain: false } });
    expect(rewriteHeaders('To: alice\nFrom: greg\n', s)).toBe('To: alice\nFrom: greg@acme123.com\n');
  });

  it('does not touch a block without address headers', () => {
    const block = 'Subject: hi\r\nX-Thing: <greg@somehost.acme123.com>\r\n';
    expect(rewriteHeaders(block, settings())).toBe(block);
  });
});

describe('rewriteAddressList', () => {
  const upper = (a: string): string => a.toUpperCase();
  const cases: { got: string; want: string }[] = [
    { got: ' a@b', want: ' A@B' },
    { got: ' Name <a@b>, c@d (Comment, with comma)', want: ' Name <A@B>, C@D (Comment, with comma)' },
    { got: ' "x <y@z>" <a@b>', want: ' "x <y@z>" <A@B>' },
    { got: ' <@relay:a@b>', want: ' <@relay:A@B>' },
    { got: ' undisclosed-recipients:;', want: ' undisclosed-recipients:;' },
    { got: ' Just A Name', want: ' Just A Name' },
    { got: ' a@[1.2.3.4], (c) b@c', want: ' A@[1.2.3.4], (c) B@C' },
  ];
  it.each(cases)('$got', ({ got, want }) => {
    expect(rewriteAddressList(got, upper)).toBe(want);
  });
});
