// Importing a Postfix main.cf with maps: continuation lines, $variable expansion
// (named on the line), an undefined $variable refused with file:line, map files
// read as their text sources (hash:/path → /path), and a .db with no text refused.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { applyPatch } from '../../../engine/config/load.ts';
import { planImport, readImportSources } from '../../../engine/import/index.ts';

const defaults = SettingsSchema.parse({});
let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'mailstop-postfix-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function write(d: string, files: Record<string, string | Buffer>): Promise<void> {
  await mkdir(d, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(d, name), text);
}

describe('postfix main.cf with maps', () => {
  it('reads parameters, continuation lines and the maps they name', async () => {
    const etc = path.join(dir, 'etc-postfix');
    const aliases = path.join(dir, 'etc-aliases'); // alias_maps outside the directory, as /etc/aliases is
    await write(etc, {
      'main.cf': [
        '# main.cf of a small office', // 1
        'myhostname = mail.office.example', // 2
        'mydestination = $myhostname, office.example,', // 3
        '    localhost.$mydomain, localhost', // 4 (continuation)
        'mynetworks = 127.0.0.0/8 [::1]/128 192.168.10.0/24', // 5
        'relayhost = [smtp.provider.example]:587', // 6
        'smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd', // 7
        'transport_maps = hash:/etc/postfix/transport', // 8
        'virtual_alias_maps = hash:/etc/postfix/virtual', // 9
        'virtual_alias_domains = shop.example', // 10
        'sender_canonical_maps = hash:/etc/postfix/canonical', // 11
        `alias_maps = hash:${aliases}`, // 12
        'masquerade_domains = office.example', // 13
        'smtpd_tls_cert_file = /etc/ssl/certs/mail.pem', // 14
        'smtpd_tls_key_file = /etc/ssl/private/mail.key', // 15
        'message_size_limit = 20480000', // 16
        'maximal_queue_lifetime = 3d', // 17
        'delay_warning_time = 4h', // 18
        'inet_interfaces = all', // 19
        'smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated,', // 20
        '    reject_unauth_destination, reject_rbl_client zen.spamhaus.org=127.0.0.2, check_policy_service unix:private/policy', // 21
        'compatibility_level = 3.6', // 22
        'smtpd_banner = $myhostname ESMTP $mail_name', // 23
        'myorigin = /etc/mailname', // 24
        'header_checks = regexp:/etc/postfix/header_checks', // 25
        'mailbox_size_limit = $unknown_thing', // 26
      ].join('\n') + '\n',
      sasl_passwd: '[smtp.provider.example]:587 office@provider.example:s3cret\n',
      transport: '# transport(5)\nold.example\tsmtp:[192.0.2.7]:2525\n.corp.example relay:[10.0.0.5]\nclosed.example error:5.7.1 This domain no longer takes mail\nbad!key smtp:[192.0.2.8]\n',
      virtual: 'shop.example\tanything\ninfo@shop.example\talice\n@shop.example\tbob, carol@office.example\n',
      canonical: 'web1_user1\tuser1@office.example\n',
    });
    await writeFile(aliases, 'postmaster: root\nroot: alice\n');
    const files = await readImportSources('postfix', etc);
    const plan = planImport('postfix', etc, files, defaults);
    const at = (file: string, line: number) => plan.items.find((i) => i.file.endsWith(file) && i.line === line)!;

    expect(at('main.cf', 3)).toMatchObject({ outcome: 'set', becomes: ['domains.local += "office.example"', 'domains.local += "localhost.office.example"'], reason: 'expanded $myhostname → mail.office.example; $mydomain → office.example' });
    expect(at('main.cf', 26)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/\$unknown_thing.*does not define/) });
    expect(at('main.cf', 21 - 1)).toMatchObject({ outcome: 'set', reason: 'not carried over: check_policy_service, unix:private/policy' });
    expect(at('main.cf', 22)).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/no Mailstop equivalent/) });
    expect(at('transport', 5)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/bad key "bad!key"/) });
    expect(at('virtual', 1)).toMatchObject({ outcome: 'skip', reason: expect.stringMatching(/virtual alias domain/) });
    // The password never shows in the plan.
    expect(JSON.stringify(plan.items.map((i) => [i.text, i.becomes]))).not.toContain('s3cret');

    const r = applyPatch(defaults, plan.patch);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const s = r.settings;
    expect(s.hostname).toBe('mail.office.example');
    expect(s.domains.local).toEqual(['office.example', 'localhost.office.example']);
    expect(s.domains.relay).toEqual(['127.0.0.0/8', '::1/128', '192.168.10.0/24']);
    expect(s.smartHost).toMatchObject({ host: 'smtp.provider.example', port: 587, auth: { user: 'office@provider.example', pass: 's3cret' } });
    expect(s.routes).toEqual([
      { domain: 'old.example', mailer: 'esmtp', host: '[192.0.2.7]', port: 2525 },
      { domain: '.corp.example', mailer: 'relay', host: '[10.0.0.5]' },
      { domain: 'closed.example', mailer: 'error', host: '5.7.1:This domain no longer takes mail' },
    ]);
    expect(s.virtual).toEqual({ 'info@shop.example': ['alice'], '@shop.example': ['bob', 'carol@office.example'] });
    expect(s.rewrite).toMatchObject({ generics: { web1_user1: 'user1@office.example' }, masqueradeAs: 'office.example', masqueradeEntireDomain: true });
    expect(s.aliases).toEqual({ postmaster: ['root'], root: ['alice'] });
    expect(s.tls).toMatchObject({ cert: '/etc/ssl/certs/mail.pem', key: '/etc/ssl/private/mail.key' });
    expect(s.smtp).toMatchObject({ maxMessageSize: 20480000, greeting: '$j ESMTP Mailstop' });
    expect(s.delivery).toMatchObject({ queueReturn: '3d', queueWarn: '4h' });
    expect(s.listen.address).toBe('0.0.0.0');
    expect(s.antispam.dnsbl).toEqual([expect.objectContaining({ zone: 'zen.spamhaus.org', match: ['127.0.0.2'] })]);
  });

  it('refuses a map with only its .db, and a main.cf that is not there', async () => {
    const etc = path.join(dir, 'etc-postfix-db');
    await write(etc, { 'main.cf': 'transport_maps = hash:/etc/postfix/transport\n', 'transport.db': Buffer.from([0, 1, 2, 3]) });
    const plan = planImport('postfix', etc, await readImportSources('postfix', etc), defaults);
    expect(plan.items.find((i) => i.file.endsWith('transport.db'))).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/binary map with no text source.*postmap -s/) });
    expect(plan.patch).toEqual({});

    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const none = planImport('postfix', empty, await readImportSources('postfix', empty), defaults);
    expect(none.items).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'no main.cf here' })]);
  });
});
