// Security settings that reach updateSettings / start-up: each bad entry is
// reported with its field, good ones produce nothing.
import { expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { hashPassword } from '../../../engine/policy/auth-users.ts';
import { validateSecuritySettings } from '../../../engine/config/security-checks.ts';

it('names every bad field and passes good ones', async () => {
  const settings = SettingsSchema.parse({
    domains: { relay: ['192.168.0.0/24', '10.0.0.5', '2001:db8::/32', 'partner.example', '10.0.0.0/40', '300.1.2.3', 'not a domain'] },
    access: [{ key: 'Connect:192.168.1', action: 'RELAY' }, { key: 'Connect:192.168.1.0/33', action: 'OK' }],
    antispam: { dnsbl: [{ zone: 'bl.test', match: ['127.0.0.2', '127.0.0.', 'listed'] }] },
    users: [{ name: 'alice', passwordHash: await hashPassword('x', { N: 1024, r: 8, p: 1 }) }, { name: 'bob', passwordHash: 'secret' }],
  });
  expect(validateSecuritySettings(settings).map((e) => `${e.path}: ${e.message}`)).toEqual([
    'access[1].key: "192.168.1.0/33" has a bad prefix length "/33" (0–32)',
    'domains.relay[4]: "10.0.0.0/40" has a bad prefix length "/40" (0–32)',
    'domains.relay[5]: "300.1.2.3" is not an IP address, a network (CIDR) or a domain',
    'domains.relay[6]: "not a domain" is not an IP address, a network (CIDR) or a domain',
    'antispam.dnsbl[0].match[2]: "listed" is not an answer code such as 127.0.0.2 or a prefix such as 127.0.0.',
    'users[1].passwordHash: not a scrypt$N$r$p$salt$hash value; set the password again',
  ]);
  expect(validateSecuritySettings(SettingsSchema.parse({}))).toEqual([]);
});
