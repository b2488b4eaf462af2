// deliverSmtp over loopback with real peers: a dns2 DNS server for MX/A, smtp-server
// sinks as the MX hosts and the smart host. Every MX name points at a 127.x address
// and `delivery.remotePort` is the sink's port.
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { createDns } from '../../../engine/dns/resolver.ts';
import { deliverSmtp, type SmtpContext } from '../../../engine/transports/smtp.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';

const RAW = 'From: a@origin.test\r\nTo: b@dest.test\r\nSubject: hello\r\n\r\nbody line\r\n.leading dot\r\n';

function message(raw = RAW, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  const buf = Buffer.from(raw);
  return { id: 'Q0000000000001', sender: 'a@origin.test', open: () => Readable.from([buf]), size: buf.length, ...extra };
}

function dest(address: string, extra: Partial<Destination> = {}): Destination {
  const domain = address.split('@')[1];
  return { transport: 'smtp', nexthop: domain, mailer: 'esmtp', address, original: address, ...extra };
}

let dns: DnsServer;
const open: { close(): Promise<void> }[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((s) => s.close())); dns.clear(); });
beforeAll(async () => { dns = await startDnsServer(); });
afterAll(() => dns.stop());

function context(port: number, settings: SettingsInput = {}, extra: Partial<SmtpContext> = {}): SmtpContext & { lines: string[] } {
  const s = SettingsSchema.parse({
    hostname: 'mailstop.test',
    dns: { servers: [dns.server], timeout: '1s' },
    ...settings,
    delivery: { remotePort: port, connectTimeout: '2s', ...settings.delivery },
  });
  const lines: string[] = [];
  return { settings: s, dns: createDns(() => s.dns), hostname: 'mailstop.test', onTranscript: (l) => lines.push(l), lines, ...extra };
}

async function sink(opts: Parameters<typeof startSink>[0] = {}): Promise<Sink> {
  const s = await startSink(opts);
  open.push(s);
  return s;
}

describe('direct MX delivery', () => {
  it('one transaction carries every recipient; report says sent with relay and transcript', async () => {
    const mx = await sink();
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'mx.dest.test' }] });
    dns.set('mx.dest.test', { a: ['127.0.0.1'] });
    const ctx = context(mx.port);
    const got = await deliverSmtp(message(), [dest('b@dest.test'), dest('c@dest.test')], ctx);

    expect(got.results.map((r) => [r.address, r.status, r.dsnStatus])).toEqual([
      ['b@dest.test', 'sent', '2.6.0'], ['c@dest.test', 'sent', '2.6.0'],
    ]);
    expect(got.results[0].reply).toMatch(/^250 2\.6\.0 Ok: queued as sink1$/);
    expect(got.results[0].remoteMta).toBe('mx.dest.test');
    expect(got.relay).toBe('mx.dest.test. [127.0.0.1]');
    expect(mx.messages).toHaveLength(1);
    expect(mx.connections).toHaveLength(1);
    expect(mx.messages[0].envelope).toEqual({ mailFrom: 'a@origin.test', rcptTo: ['b@dest.test', 'c@dest.test'] });
    expect(mx.messages[0].raw.toString()).toBe(RAW);
    expect(mx.messages[0].helo).toBe('mailstop.test');
    expect(got.transcript).toContain('>>> MAIL FROM:<a@origin.test>');
    expect(got.transcript.join('\n')).not.toContain('body line'); // the message itself is never logged
    expect(got.transcript.some((l) => l.startsWith('<<< 250'))).toBe(true);
    expect(ctx.lines).toEqual(got.transcript); // live lines are the same lines
  });

  it('opportunistic STARTTLS with a self-signed certificate', async () => {
    const mx = await sink({ tls: true });
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'mx.dest.test' }] });
    dns.set('mx.dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(mx.port));
    expect(got.results[0].status).toBe('sent');
    expect(mx.messages[0].secure).toBe(true);
    expect(got.transcript).toContain('>>> STARTTLS');
    expect(got.transcript.some((l) => /^\*\*\* STARTTLS=client, relay=mx\.dest\.test\., version=TLSv1\.[23], verify=FAIL, cipher=\S+, bits=\d+\/\d+$/.test(l))).toBe(true);
  });

  it('MX preference: the most preferred host gets the message', async () => {
    const primary = await sink();
    const backup = await sink({ address: '127.0.0.3', port: primary.port });
    dns.set('dest.test', { mx: [{ priority: 20, exchange: 'backup.dest.test' }, { priority: 10, exchange: 'primary.dest.test' }] });
    dns.set('primary.dest.test', { a: ['127.0.0.1'] });
    dns.set('backup.dest.test', { a: ['127.0.0.3'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(primary.port));
    expect(got.results[0].status).toBe('sent');
    expect([primary.messages.length, backup.messages.length]).toEqual([1, 0]);
  });

  it('first MX refuses the connection → the second MX gets it', async () => {
    const backup = await sink();
    // Nothing listens on 127.0.0.2 at this port: connection refused.
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'down.dest.test' }, { priority: 20, exchange: 'up.dest.test' }] });
    dns.set('down.dest.test', { a: ['127.0.0.2'] });
    dns.set('up.dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(backup.port));
    expect(got.results[0].status).toBe('sent');
    expect(got.relay).toBe('up.dest.test. [127.0.0.1]');
    expect(backup.messages).toHaveLength(1);
    expect(got.transcript.filter((l) => l.startsWith('*** Connecting to'))).toEqual([
      `*** Connecting to down.dest.test [127.0.0.2]:${backup.port}`,
      `*** Connecting to up.dest.test [127.0.0.1]:${backup.port}`,
    ]);
  });

  it('an MX host whose name does not resolve is skipped', async () => {
    const mx = await sink();
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'ghost.dest.test' }, { priority: 20, exchange: 'mx.dest.test' }] });
    dns.set('mx.dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(mx.port));
    expect(got.results[0].status).toBe('sent');
  });

  it('implicit MX: no MX record → the domain\'s own A record', async () => {
    const mx = await sink();
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(mx.port));
    expect(got.results[0].status).toBe('sent');
    expect(got.relay).toBe('dest.test. [127.0.0.1]');
  });

  it('a bracketed nexthop skips DNS entirely and uses the route port', async () => {
    const mx = await sink();
    const got = await deliverSmtp(message(), [dest('b@dest.test', { nexthop: '[127.0.0.1]', port: mx.port, mailer: 'relay' })], context(1));
    expect(got.results[0].status).toBe('sent');
    expect(got.relay).toBe('[127.0.0.1] [127.0.0.1]');
    expect(dns.queries.filter((q) => q.name === 'dest.test')).toEqual([]);
  });

  it('DSN parameters go out per recipient (RFC 3461), with RET and ENVID', async () => {
    const mx = await sink();
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(
      message(RAW, { ret: 'HDRS', envid: 'QID+1=x' }),
      [
        dest('b@dest.test', { notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;list@origin.test' }),
        dest('c@dest.test', { notify: ['NEVER'] }),
        dest('d@dest.test'),
      ],
      context(mx.port),
    );
    expect(got.results.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    const m = mx.messages[0];
    expect(m.dsn).toEqual({ ret: 'HDRS', envid: 'QID+1=x' });
    expect(m.recipients.map((r) => [r.address, r.notify, r.orcpt])).toEqual([
      ['b@dest.test', ['FAILURE', 'DELAY'], 'rfc822;list@origin.test'],
      ['c@dest.test', ['NEVER'], undefined],
      ['d@dest.test', undefined, undefined],
    ]);
  });

  it('no DSN parameters to a server that does not offer DSN', async () => {
    const mx = await sink({ dsn: false });
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(RAW, { ret: 'FULL' }), [dest('b@dest.test', { notify: ['SUCCESS'] })], context(mx.port));
    expect(got.results[0].status).toBe('sent');
    expect(got.transcript.find((l) => l.startsWith('>>> RCPT TO'))).toBe('>>> RCPT TO:<b@dest.test>');
  });

  it('8BITMIME declared when the message needs it; the null sender <> stays null', async () => {
    const mx = await sink();
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const raw = 'Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0 vu\r\n';
    const got = await deliverSmtp(message(raw, { body: '8BITMIME', sender: '' }), [dest('b@dest.test')], context(mx.port));
    expect(got.results[0].status).toBe('sent');
    expect(mx.messages[0].bodyType).toBe('8bitmime');
    expect(mx.messages[0].envelope.mailFrom).toBe('');
    expect(mx.messages[0].raw.toString('utf8')).toBe(raw);
  });
});

describe('per-recipient replies in one transaction', () => {
  it('4xx → deferred, 5xx → bounced, others sent', async () => {
    const mx = await sink({ replies: { rcpt: { 'full@dest.test': '452 4.2.2 Mailbox full', 'gone@dest.test': '550 5.1.1 User unknown' } } });
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('ok@dest.test'), dest('full@dest.test'), dest('gone@dest.test')], context(mx.port));
    expect(got.results.map((r) => [r.address, r.status, r.dsnStatus, r.reply])).toEqual([
      ['ok@dest.test', 'sent', '2.6.0', '250 2.6.0 Ok: queued as sink1'],
      ['full@dest.test', 'deferred', '4.2.2', '452 4.2.2 Mailbox full'],
      ['gone@dest.test', 'bounced', '5.1.1', '550 5.1.1 User unknown'],
    ]);
    expect(mx.messages[0].envelope.rcptTo).toEqual(['ok@dest.test']);
  });

  it('every recipient refused → no DATA, each keeps its own reply', async () => {
    const mx = await sink({ replies: { rcpt: () => '550 5.1.1 No such user' } });
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('x@dest.test'), dest('y@dest.test')], context(mx.port));
    expect(got.results.map((r) => r.status)).toEqual(['bounced', 'bounced']);
    expect(mx.messages).toHaveLength(0);
  });

  it('MAIL FROM refused with 4xx → all deferred; DATA refused with 5xx → accepted ones bounced', async () => {
    const a = await sink({ replies: { mailFrom: '451 4.3.0 Try again later' } });
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('x@dest.test'), dest('y@dest.test')], context(a.port));
    expect(got.results.map((r) => [r.status, r.reply])).toEqual([
      ['deferred', '451 4.3.0 Try again later'], ['deferred', '451 4.3.0 Try again later'],
    ]);

    const b = await sink({ replies: { data: '554 5.6.0 Content rejected', rcpt: { 'later@dest.test': '450 4.2.1 Greylisted' } } });
    const got2 = await deliverSmtp(message(), [dest('x@dest.test'), dest('later@dest.test')], context(b.port));
    expect(got2.results.map((r) => [r.status, r.dsnStatus])).toEqual([['bounced', '5.6.0'], ['deferred', '4.2.1']]);
  });

  it('a message over the peer\'s SIZE limit bounces 5.3.4 without being sent', async () => {
    const mx = await sink({ size: 10 });
    dns.set('dest.test', { a: ['127.0.0.1'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(mx.port));
    expect(got.results[0]).toMatchObject({ status: 'bounced', dsnStatus: '5.3.4' });
    expect(mx.messages).toHaveLength(0);
  });
});

describe('smart host', () => {
  const auth = { user: 'laptop', pass: 'correct horse battery' };

  it('AUTH over STARTTLS; the transcript never holds the password', async () => {
    const relay = await sink({ tls: true, requireTls: true, auth });
    const ctx = context(25, { smartHost: { host: '[127.0.0.1]', port: relay.port, tls: 'starttls', auth, requireTls: true } });
    const got = await deliverSmtp(message(), [dest('b@far.test', { smartHost: true, nexthop: '[127.0.0.1]', mailer: 'relay' })], ctx);
    expect(got.results[0].status).toBe('sent');
    expect(relay.messages[0].user).toBe('laptop');
    expect(relay.messages[0].secure).toBe(true);
    expect(relay.auths).toEqual([{ user: 'laptop', ok: true, method: 'PLAIN' }]);
    const all = [...got.transcript, ...ctx.lines].join('\n');
    expect(all).toContain('>>> AUTH PLAIN ***');
    for (const secret of [auth.pass, Buffer.from(`\u0000laptop\u0000${auth.pass}`).toString('base64')]) {
      expect(all).not.toContain(secret);
    }
    // No MX lookup for a smart host in brackets.
    expect(dns.queries.some((q) => q.name === 'far.test')).toBe(false);
  });

  it('AUTH LOGIN continuation lines are masked too', async () => {
    const relay = await sink({ auth, serverOptions: { authMethods: ['LOGIN'] } });
    const ctx = context(25, { smartHost: { host: '[127.0.0.1]', port: relay.port, tls: 'none', auth } });
    const got = await deliverSmtp(message(), [dest('b@far.test', { smartHost: true })], ctx);
    expect(got.results[0].status).toBe('sent');
    expect(relay.auths[0]).toMatchObject({ method: 'LOGIN', ok: true });
    const client = got.transcript.filter((l) => l.startsWith('>>>'));
    expect(client.slice(client.indexOf('>>> AUTH LOGIN ***'), client.indexOf('>>> AUTH LOGIN ***') + 3)).toEqual(['>>> AUTH LOGIN ***', '>>> ***', '>>> ***']);
    expect(got.transcript.join('\n')).not.toContain(Buffer.from(auth.pass).toString('base64'));
  });

  it('a smart host named without brackets is looked up like a domain (MX, then A)', async () => {
    const relay = await sink();
    dns.set('relay.isp.test', { a: ['127.0.0.1'] });
    const ctx = context(25, { smartHost: { host: 'relay.isp.test', port: relay.port, tls: 'none' } });
    const got = await deliverSmtp(message(), [dest('b@far.test', { smartHost: true })], ctx);
    expect(got.results[0].status).toBe('sent');
    expect(got.relay).toBe('relay.isp.test. [127.0.0.1]');
    expect(dns.queries.map((q) => `${q.type} ${q.name}`)).toContain('MX relay.isp.test');
  });

  it('implicit TLS (SMTPS)', async () => {
    const relay = await sink({ secure: true });
    const ctx = context(25, { smartHost: { host: '[127.0.0.1]', port: relay.port, tls: 'implicit' } });
    const got = await deliverSmtp(message(), [dest('b@far.test', { smartHost: true })], ctx);
    expect(got.results[0].status).toBe('sent');
    expect(relay.messages[0].secure).toBe(true);
  });

  it('wrong password → deferred (an admin fixes credentials; the sender is not bounced)', async () => {
    const relay = await sink({ auth });
    const ctx = context(25, { smartHost: { host: '[127.0.0.1]', port: relay.port, tls: 'none', auth: { user: 'laptop', pass: 'wrong-password' } } });
    const got = await deliverSmtp(message(), [dest('b@far.test', { smartHost: true })], ctx);
    expect(got.results[0]).toMatchObject({ status: 'deferred', dsnStatus: '4.7.0' });
    expect(got.results[0].reply).toMatch(/^AUTH failure with 127\.0\.0\.1: 535/);
    expect(got.transcript.join('\n')).not.toContain('wrong-password');
    expect(relay.messages).toHaveLength(0);
  });
});
