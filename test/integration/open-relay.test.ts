// The open-relay suite (issue 6): a whole engine on loopback, probed the way
// nmap's smtp-open-relay script does — its 16 MAIL/RCPT combinations — plus the
// percent hack, bang path, source route, quoted and double-@ forms. From a
// stranger (a client bound to 127.0.0.2) nothing may relay; from a relay network
// (127.0.0.3) or after AUTH inside TLS the plain forms relay.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.ts';
import { hashPassword } from '../../engine/policy/auth-users.ts';
import { generateSelfSigned } from '../../engine/tls/generate.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { codeOf, plainAuth, SmtpClient } from './tls-client.ts';

const DOMAIN = 'example.org';
const IP = '127.0.0.1';
const EXT = 'nmap.scanme.org';

/** nmap smtp-open-relay.nse's combinations, with DOMAIN our local domain and IP our address. */
const NMAP: [string, string][] = [
  ['<>', `<relaytest@${EXT}>`],
  [`<antispam@${EXT}>`, `<relaytest@${EXT}>`],
  [`<antispam@${DOMAIN}>`, `<relaytest@${EXT}>`],
  [`<antispam@[${IP}]>`, `<relaytest@${EXT}>`],
  [`<antispam@[${IP}]>`, `<relaytest%${EXT}@[${IP}]>`],
  [`<antispam@[${IP}]>`, `<relaytest%${EXT}@${DOMAIN}>`],
  [`<antispam@[${IP}]>`, `<"relaytest@${EXT}">`],
  [`<antispam@[${IP}]>`, `<"relaytest%${EXT}">`],
  [`<antispam@[${IP}]>`, `<relaytest@${EXT}@[${IP}]>`],
  [`<antispam@[${IP}]>`, `<"relaytest@${EXT}"@[${IP}]>`],
  [`<antispam@[${IP}]>`, `<relaytest@${EXT}@${DOMAIN}>`],
  [`<antispam@[${IP}]>`, `<@[${IP}]:relaytest@${EXT}>`],
  [`<antispam@[${IP}]>`, `<@${DOMAIN}:relaytest@${EXT}>`],
  [`<antispam@[${IP}]>`, `<${EXT}!relaytest>`],
  [`<antispam@[${IP}]>`, `<${EXT}!relaytest@[${IP}]>`],
  [`<antispam@[${IP}]>`, `<${EXT}!relaytest@${DOMAIN}>`],
];

/** The forms issue 6 names besides nmap's: percent, bang, source route, quoted, IP literal, double @. */
const EXTRA: [string, string][] = [
  ['<a@example.net>', `<victim%${EXT}@${DOMAIN}>`],
  ['<a@example.net>', `<${EXT}!victim@${DOMAIN}>`],
  ['<a@example.net>', `<@${DOMAIN},@relay.example:victim@${EXT}>`],
  ['<a@example.net>', `<"victim@${EXT}"@${DOMAIN}>`],
  ['<a@example.net>', `<"victim%${EXT}"@${DOMAIN}>`],
  ['<a@example.net>', `<"victim!x"@${DOMAIN}>`],
  ['<a@example.net>', '<victim@[192.0.2.1]>'],
  ['<a@example.net>', `<victim@${EXT}@${DOMAIN}>`],
  ['<a@example.net>', `<VICTIM@${EXT.toUpperCase()}.>`],
  ['<a@example.net>', `<victim@sub.${DOMAIN}>`],
];

/** The plain forms a relay client must be able to use. */
const PLAIN: [string, string][] = [NMAP[0], NMAP[1], NMAP[2], NMAP[3]];

let home: string;
let engine: Engine;
let dns: DnsServer;
let ports: Record<string, number>;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-relay-'));
  dns = await startDnsServer({});
  await generateSelfSigned({ hostname: 'mx.example.org', certFile: join(home, 'tls/cert.pem'), keyFile: join(home, 'tls/key.pem') });
  engine = await createEngine({
    home, timers: false, passwdFile: '',
    settings: {
      hostname: 'mx.example.org',
      listen: { address: IP, smtp: 0, submission: 0, smtps: false },
      domains: { local: [DOMAIN], relay: ['127.0.0.3'] },
      // bob is a local mailbox (an alias to itself): unknown local users are refused at RCPT.
      aliases: { bob: ['bob'] },
      users: [{ name: 'alice', passwordHash: await hashPassword('wonderland', { N: 1024, r: 8, p: 1 }) }],
      tls: { cert: 'tls/cert.pem', key: 'tls/key.pem' },
      delivery: { mode: 'queueonly' },
      // Every probe is a refusal; the session must outlive them (the default closes after 10).
      smtp: { maxErrors: 1000 },
      dns: { servers: [dns.server], timeout: '1s' },
    },
  });
  await engine.start();
  ports = Object.fromEntries((await engine.status()).listeners.map((l) => [l.name, l.port]));
});

afterAll(async () => {
  await engine?.stop();
  await dns?.stop();
  await rm(home, { recursive: true, force: true });
});

/** Run MAIL/RCPT pairs on one session; return each RCPT's reply code. */
async function probe(client: SmtpClient, pairs: [string, string][]): Promise<string[]> {
  const got: string[] = [];
  for (const [from, to] of pairs) {
    await client.cmd('RSET');
    const mail = await client.cmd(`MAIL FROM:${from}`);
    if (!mail?.startsWith('250')) { got.push(`MAIL ${codeOf(mail)}`); continue; }
    got.push(codeOf(await client.cmd(`RCPT TO:${to}`)));
  }
  return got;
}

async function session(port: number, localAddress: string): Promise<SmtpClient> {
  const c = await SmtpClient.connect(port, { localAddress });
  await c.reply();
  expect(codeOf(await c.cmd('EHLO probe.example'))).toBe('250');
  return c;
}

describe('from a stranger (127.0.0.2)', () => {
  it('none of nmap\'s 16 combinations relays', async () => {
    const c = await session(ports.smtp, '127.0.0.2');
    const got = await probe(c, NMAP);
    c.end();
    const relayed = NMAP.filter((_, i) => got[i].startsWith('250'));
    expect(relayed).toEqual([]);
    expect(got.length).toBe(16);
  });

  it('none of the percent / bang / source-route / quoted / literal / double-@ forms relays', async () => {
    const c = await session(ports.smtp, '127.0.0.2');
    const got = await probe(c, EXTRA);
    c.end();
    expect(EXTRA.filter((_, i) => got[i].startsWith('250'))).toEqual([]);
    // Each refusal is a policy refusal (5.7.1) or a syntax refusal, never a temporary one.
    for (const g of got) expect(g).toMatch(/^(550 5\.7\.1|501|553)/);
  });

  it('the same on the submission port without AUTH', async () => {
    const c = await session(ports.submission, '127.0.0.2');
    const got = await probe(c, [...NMAP, ...EXTRA]);
    c.end();
    expect(got.filter((g) => g.startsWith('250'))).toEqual([]);
  });

  it('mail to a local domain is still accepted from anywhere', async () => {
    const c = await session(ports.smtp, '127.0.0.2');
    expect(await probe(c, [['<a@example.net>', `<bob@${DOMAIN}>`], ['<>', '<postmaster>']])).toEqual(['250 2.1.5', '250 2.1.5']);
    c.end();
  });
});

describe('from a relay network (127.0.0.3)', () => {
  it('the plain forms relay', async () => {
    const c = await session(ports.smtp, '127.0.0.3');
    expect(await probe(c, PLAIN)).toEqual(PLAIN.map(() => '250 2.1.5'));
    c.end();
  });
});

describe('after AUTH inside TLS (from 127.0.0.2)', () => {
  it('the plain forms relay, and the message is queued', async () => {
    const c = await session(ports.submission, '127.0.0.2');
    expect(codeOf(await c.cmd('STARTTLS'))).toMatch(/^220/);
    await c.upgrade();
    expect(codeOf(await c.cmd('EHLO probe.example'))).toBe('250');
    expect(codeOf(await c.cmd(`AUTH PLAIN ${plainAuth('alice', 'wonderland')}`))).toBe('235 2.7.0');
    expect(await probe(c, PLAIN)).toEqual(PLAIN.map(() => '250 2.1.5'));
    expect(codeOf(await c.cmd('DATA'))).toBe('354');
    expect(codeOf(await c.cmd('Subject: relayed\r\n\r\nhello\r\n.'))).toBe('250 2.0.0');
    c.end();
    const queued = await engine.listQueue();
    expect(queued.map((e) => [e.sender, e.recipients.map((r) => r.address), e.client.user])).toContainEqual(
      [`antispam@[${IP}]`, [`relaytest@${EXT}`], 'alice']);
  });
});
