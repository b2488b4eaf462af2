// The routing pages' engine questions: checkRouting names the exact row a problem
// is on (so the UI can show it there), parseAliases reports pasted text line by
// line, previewRewrite shows what cleanup would do with a draft of the settings.
import { describe, expect, it } from 'vitest';
import { SettingsSchema, type Settings } from '../../engine/config/schema.ts';
import type { SettingsPatch } from '../../engine/api.ts';
import { createRoutingApi } from '../../engine/routing-api.ts';

const base: Settings = SettingsSchema.parse({ hostname: 'mail.example.com', domains: { local: ['example.com'] } });
const api = createRoutingApi({ settings: () => base });

describe('checkRouting', () => {
  const cases: { name: string; patch: SettingsPatch; want: { path: string; message: RegExp }[] }[] = [
    { name: 'saved defaults are fine', patch: {}, want: [] },
    { name: 'relative path in an alias', patch: { aliases: { bob: ['alice', 'mail/bob'] } },
      want: [{ path: 'aliases.bob[1]', message: /relative path/ }] },
    { name: 'alias loop', patch: { aliases: { a: ['b'], b: ['a'] } }, want: [{ path: 'aliases.a', message: /alias loop: a → b → a/ }] },
    { name: 'missing program', patch: { aliases: { p: ['|/nonexistent/prog -x'] } }, want: [{ path: 'aliases.p[0]', message: /\/nonexistent\/prog cannot be run \(ENOENT\)/ }] },
    { name: 'forward with a relative path, after \\user', patch: { forwards: { alice: ['\\alice', '~/mbox'] } },
      want: [{ path: 'forwards.alice[1]', message: /relative path/ }] },
    { name: 'unknown route mailer comes from the schema', patch: { routes: [{ domain: 'x.example', mailer: 'uucp' as 'esmtp', host: 'h' }] },
      want: [{ path: 'routes[0].mailer', message: /./ }] },
    // A host that cannot be connected to is the schema's to refuse (issue 11 §4), before routing looks.
    { name: 'bad route host', patch: { routes: [{ domain: 'a.example', mailer: 'esmtp', host: '[10.0.0.5' }, { domain: 'A.example', mailer: 'relay', host: '' }] },
      want: [{ path: 'routes[0].host', message: /bad host/ }] },
    { name: 'a duplicate, and relay without a host', patch: { routes: [{ domain: 'a.example', mailer: 'esmtp', host: '[10.0.0.5]' }, { domain: 'A.example', mailer: 'relay', host: '' }] },
      want: [{ path: 'routes[1].domain', message: /duplicate/ }, { path: 'routes[1].host', message: /needs a host/ }] },
    { name: 'catch-all with an unknown mailer', patch: { localDelivery: { luserRelay: 'uucp:spamtrap' } },
      want: [{ path: 'localDelivery.luserRelay', message: /unknown mailer "uucp"/ }] },
    { name: 'generic that is not a full address', patch: { rewrite: { generics: { web1: 'user1' } } },
      want: [{ path: 'rewrite.generics.web1', message: /not a full address/ }] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = await api.checkRouting(c.patch);
      expect(got).toHaveLength(c.want.length);
      c.want.forEach((w, i) => {
        expect(got[i].path).toBe(w.path);
        expect(got[i].message).toMatch(w.message);
      });
    });
  }

  it('the seeds\' migration route and a keep-a-copy forward pass', async () => {
    const got = await api.checkRouting({
      routes: [{ domain: 'old.example', mailer: 'esmtp', host: '[192.0.2.10]' }],
      forwards: { alice: ['\\alice', 'alice@elsewhere.example'] },
      localDelivery: { luserRelay: 'local:spamtrap' },
    });
    expect(got).toEqual([]);
  });
});

describe('parseAliases', () => {
  it('keeps the good entries and reports each bad line', async () => {
    const got = await api.parseAliases([
      '# comment',
      'postmaster: root',
      'dev-null: /dev/null',
      'team: alice,',
      '  bob',
      'broken alice',
      'rel: mail/x',
      'list: :include:/nonexistent/list',
    ].join('\n'));
    expect(got.aliases).toEqual({ postmaster: ['root'], 'dev-null': ['/dev/null'], team: ['alice', 'bob'] });
    expect(got.entries.map((e) => e.name)).toEqual(['postmaster', 'dev-null', 'team']);
    expect(got.problems.map((p) => [p.line, p.severity])).toEqual([[6, 'error'], [7, 'error'], [8, 'error']]);
    expect(got.problems[0].message).toMatch(/missing ":"/);
    expect(got.problems[1].message).toMatch(/relative path/);
    expect(got.problems[2].message).toMatch(/\/nonexistent\/list cannot be read \(ENOENT\)/);
  });
});

describe('previewRewrite', () => {
  const cases: { name: string; address: string; patch?: SettingsPatch; want: { envelope: string; headerSender: string; headerRecipient: string } }[] = [
    { name: 'unqualified name, saved settings', address: 'alice',
      want: { envelope: 'alice@mail.example.com', headerSender: 'alice@mail.example.com', headerRecipient: 'alice@mail.example.com' } },
    { name: 'masquerade, header only', address: 'alice@mail.example.com', patch: { rewrite: { masqueradeAs: 'example.com' } },
      want: { envelope: 'alice@mail.example.com', headerSender: 'alice@example.com', headerRecipient: 'alice@mail.example.com' } },
    { name: 'masquerade envelope too; generics win', address: 'web1', patch: { rewrite: { masqueradeAs: 'example.com', masqueradeEnvelope: true, generics: { web1: 'user1@example.com' } } },
      want: { envelope: 'user1@example.com', headerSender: 'user1@example.com', headerRecipient: 'web1@example.com' } },
    { name: 'someone else\'s address is left alone', address: 'bob@other.example', patch: { rewrite: { masqueradeAs: 'example.com' } },
      want: { envelope: 'bob@other.example', headerSender: 'bob@other.example', headerRecipient: 'bob@other.example' } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const got = await api.previewRewrite(c.address, c.patch);
      expect(got).toEqual({ ok: true, address: c.address, ...c.want });
    });
  }

  it('a bad draft answers with the field error instead', async () => {
    const got = await api.previewRewrite('alice', { rewrite: { alwaysAddDomain: 'yes' as unknown as boolean } });
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.errors[0].path).toBe('rewrite.alwaysAddDomain');
  });
});
