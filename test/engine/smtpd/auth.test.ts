// smtpd's AUTH with the brute-force brake: after maxFailures failures from one
// address every AUTH gets 454 4.7.0, even with the right password; other
// addresses are unaffected. The failure pause is set to 0 here (it is the one
// second of Postfix's smtpd_error_sleep_time in production).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCleanup } from '../../../engine/cleanup/index.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { createMailLog } from '../../../engine/log/maillog.ts';
import { createAuthThrottle } from '../../../engine/policy/auth-throttle.ts';
import { hashPassword } from '../../../engine/policy/auth-users.ts';
import { createPolicy } from '../../../engine/policy/index.ts';
import { createSpool } from '../../../engine/queue/spool.ts';
import { createSmtpd, type Smtpd } from '../../../engine/smtpd/index.ts';
import { generateSelfSigned } from '../../../engine/tls/generate.ts';
import { codeOf, plainAuth, SmtpClient } from '../../integration/tls-client.ts';

let home: string;
let smtpd: Smtpd;
let port: number;
let closeLog: () => Promise<void>;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-smtpd-auth-'));
  await generateSelfSigned({ hostname: 'mx.example.org', certFile: join(home, 'cert.pem'), keyFile: join(home, 'key.pem') });
  const settings = SettingsSchema.parse({
    hostname: 'mx.example.org', domains: { local: ['example.org'] },
    users: [{ name: 'alice', passwordHash: await hashPassword('wonderland', { N: 1024, r: 8, p: 1 }) }],
    tls: { cert: 'cert.pem', key: 'key.pem' },
  });
  const spool = createSpool(join(home, 'spool'));
  const log = createMailLog({ file: join(home, 'maillog'), hostname: 'mx.example.org' });
  closeLog = () => log.close();
  smtpd = createSmtpd({
    settings: () => settings, spool, log, home, hostname: () => 'mx.example.org',
    cleanup: createCleanup({ spool, settings: () => settings, onQueued: () => undefined }),
    policy: createPolicy({ settings: () => settings }),
    authThrottle: createAuthThrottle({ maxFailures: 3, failureDelayMs: 0 }),
  });
  port = (await smtpd.listen('submission', '127.0.0.1', 0)).port;
});

afterAll(async () => {
  await smtpd?.close();
  await closeLog?.();
  await rm(home, { recursive: true, force: true });
});

async function secure(localAddress: string): Promise<SmtpClient> {
  const c = await SmtpClient.connect(port, { localAddress });
  await c.reply();
  await c.cmd('EHLO client.example');
  await c.cmd('STARTTLS');
  await c.upgrade();
  await c.cmd('EHLO client.example');
  return c;
}

it('locks an address out after maxFailures, even for the right password, and only that address', async () => {
  const c = await secure('127.0.0.7');
  const got: string[] = [];
  for (const pass of ['a', 'b', 'c', 'wonderland']) got.push(codeOf(await c.cmd(`AUTH PLAIN ${plainAuth('alice', pass)}`)));
  c.end();
  expect(got).toEqual(['535 5.7.8', '535 5.7.8', '535 5.7.8', '454 4.7.0']);
  // A new connection from the same address is still locked out.
  const again = await secure('127.0.0.7');
  expect(codeOf(await again.cmd(`AUTH PLAIN ${plainAuth('alice', 'wonderland')}`))).toBe('454 4.7.0');
  again.end();
  const other = await secure('127.0.0.8');
  expect(codeOf(await other.cmd(`AUTH PLAIN ${plainAuth('alice', 'wonderland')}`))).toBe('235 2.7.0');
  other.end();
});

it('a success resets the count', async () => {
  const c = await secure('127.0.0.11');
  const got: string[] = [];
  for (const pass of ['a', 'b', 'wonderland']) got.push(codeOf(await c.cmd(`AUTH PLAIN ${plainAuth('alice', pass)}`)));
  c.end();
  expect(got).toEqual(['535 5.7.8', '535 5.7.8', '235 2.7.0']);
  const d = await secure('127.0.0.11');
  got.length = 0;
  for (const pass of ['a', 'b']) got.push(codeOf(await d.cmd(`AUTH PLAIN ${plainAuth('alice', pass)}`)));
  d.end();
  expect(got).toEqual(['535 5.7.8', '535 5.7.8']);
});
