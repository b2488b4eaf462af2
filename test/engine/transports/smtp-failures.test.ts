// deliverSmtp when things go wrong: DNS answers that decide the recipients' fate,
// hosts that refuse, hang, drop the line mid-DATA or botch TLS — played by the
// raw scripted SMTP peer (exact replies) and the smtp-server sink, on loopback.
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { createDns } from '../../../engine/dns/resolver.ts';
import { deliverSmtp, type SmtpContext } from '../../../engine/transports/smtp.ts';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';
import { startScriptedSmtp, DEFAULT_EXTENSIONS, type ScriptedSmtpOptions } from '../../helpers/scripted-smtp.ts';
import { startSink, type SinkOptions } from '../../helpers/sink.ts';

const RAW = 'Subject: t\r\n\r\nhello\r\n';
const message = (extra: Partial<OutboundMessage> = {}): OutboundMessage =>
  ({ id: 'Q0000000000002', sender: 'a@origin.test', open: () => Readable.from([Buffer.from(RAW)]), size: RAW.length, ...extra });
const dest = (address: string, extra: Partial<Destination> = {}): Destination =>
  ({ transport: 'smtp', nexthop: address.split('@')[1], mailer: 'esmtp', address, original: address, ...extra });

let dns: DnsServer;
const open: { close(): Promise<void> }[] = [];
beforeAll(async () => { dns = await startDnsServer(); });
afterAll(() => dns.stop());
afterEach(async () => { await Promise.all(open.splice(0).map((s) => s.close())); dns.clear(); });

function context(port: number, settings: SettingsInput = {}): SmtpContext {
  const s = SettingsSchema.parse({
    hostname: 'mailstop.test',
    dns: { servers: [dns.server], timeout: '1s' },
    ...settings,
    delivery: { remotePort: port, connectTimeout: '1s', ...settings.delivery },
  });
  return { settings: s, dns: createDns(() => s.dns), hostname: 'mailstop.test' };
}
async function scripted(opts: ScriptedSmtpOptions) { const s = await startScriptedSmtp(opts); open.push(s); return s; }
async function sink(opts: SinkOptions = {}) { const s = await startSink(opts); open.push(s); return s; }
const oneMx = (ip = '127.0.0.1') => {
  dns.set('dest.test', { mx: [{ priority: 10, exchange: 'mx.dest.test' }] });
  dns.set('mx.dest.test', { a: [ip] });
};

describe('DNS decides', () => {
  const cases: { name: string; setup: () => void; want: { status: string; dsnStatus: string; reply: RegExp } }[] = [
    { name: 'NXDOMAIN → bounced 5.1.2', setup: () => {}, want: { status: 'bounced', dsnStatus: '5.1.2', reply: /^Host unknown \(Name server: dest\.test\.: host not found\)$/ } },
    { name: 'null MX → bounced 5.1.10', setup: () => dns.set('dest.test', { mx: [{ priority: 0, exchange: '.' }] }), want: { status: 'bounced', dsnStatus: '5.1.10', reply: /does not accept mail/ } },
    { name: 'no MX and no address → bounced 5.1.2', setup: () => dns.set('dest.test', { txt: ['x'] }), want: { status: 'bounced', dsnStatus: '5.1.2', reply: /^Host unknown/ } },
    { name: 'every MX name unknown → bounced 5.1.2', setup: () => dns.set('dest.test', { mx: [{ priority: 1, exchange: 'ghost.dest.test' }] }), want: { status: 'bounced', dsnStatus: '5.1.2', reply: /ghost\.dest\.test\.: host not found/ } },
    { name: 'SERVFAIL → deferred 4.4.3', setup: () => dns.fail('dest.test'), want: { status: 'deferred', dsnStatus: '4.4.3', reply: /host name lookup failure/ } },
    { name: 'DNS server silent → deferred 4.4.3', setup: () => dns.down(), want: { status: 'deferred', dsnStatus: '4.4.3', reply: /host name lookup failure/ } },
    { name: 'MX host name SERVFAIL → deferred', setup: () => { dns.set('dest.test', { mx: [{ priority: 1, exchange: 'mx.dest.test' }] }); dns.fail('mx.dest.test'); }, want: { status: 'deferred', dsnStatus: '4.4.3', reply: /mx\.dest\.test\.: host name lookup failure/ } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      c.setup();
      const got = await deliverSmtp(message(), [dest('b@dest.test'), dest('c@dest.test')], context(1));
      expect(got.results).toHaveLength(2);
      for (const r of got.results) {
        expect(r).toMatchObject({ status: c.want.status, dsnStatus: c.want.dsnStatus });
        expect(r.reply).toMatch(c.want.reply);
      }
    });
  }
});

describe('hosts that do not take the message', () => {
  it('all MX hosts refuse → deferred "Connection refused by <last host>"', async () => {
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'a.dest.test' }, { priority: 20, exchange: 'b.dest.test' }] });
    dns.set('a.dest.test', { a: ['127.0.0.2'] });
    dns.set('b.dest.test', { a: ['127.0.0.4'] });
    const s = await sink(); // only to own a port nothing listens on at 127.0.0.2/4
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0]).toMatchObject({ status: 'deferred', dsnStatus: '4.4.1', reply: 'Connection refused by b.dest.test.' });
    expect(got.relay).toBe('b.dest.test. [127.0.0.4]');
  });

  it('a literal that refuses → "Connection refused by 127.0.0.2"', async () => {
    const s = await sink();
    const got = await deliverSmtp(message(), [dest('b@dest.test', { nexthop: '[127.0.0.2]' })], context(s.port));
    expect(got.results[0]).toMatchObject({ status: 'deferred', reply: 'Connection refused by 127.0.0.2' });
  });

  it('a silent host (no greeting) → deferred "Connection timed out with <host>"', async () => {
    const s = await scripted({ greeting: { hang: true } });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0]).toMatchObject({ status: 'deferred', reply: 'Connection timed out with mx.dest.test.' });
  });

  it('421 greeting at the first MX → the next MX gets it (RFC 5321 §5.1)', async () => {
    const busy = await scripted({ greeting: '421 4.3.2 busy.dest.test Service not available' });
    const good = await sink({ address: '127.0.0.3', port: busy.port });
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'busy.dest.test' }, { priority: 20, exchange: 'good.dest.test' }] });
    dns.set('busy.dest.test', { a: ['127.0.0.1'] });
    dns.set('good.dest.test', { a: ['127.0.0.3'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(busy.port));
    expect(got.results[0].status).toBe('sent');
    expect(good.messages).toHaveLength(1);
    expect(got.transcript).toContain('<<< 421 4.3.2 busy.dest.test Service not available');
  });

  it('554 greeting → bounced with the reply', async () => {
    const s = await scripted({ greeting: '554 5.7.1 No SMTP service here' });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0]).toMatchObject({ status: 'bounced', dsnStatus: '5.7.1', reply: '554 5.7.1 No SMTP service here', remoteMta: 'mx.dest.test' });
  });

  it('554 greeting at the first MX → the next MX is still tried (Postfix smtp_skip_5xx_greeting)', async () => {
    const grumpy = await scripted({ greeting: '554 5.7.1 Not now' });
    const good = await sink({ address: '127.0.0.3', port: grumpy.port });
    dns.set('dest.test', { mx: [{ priority: 10, exchange: 'grumpy.dest.test' }, { priority: 20, exchange: 'good.dest.test' }] });
    dns.set('grumpy.dest.test', { a: ['127.0.0.1'] });
    dns.set('good.dest.test', { a: ['127.0.0.3'] });
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(grumpy.port));
    expect(got.results[0].status).toBe('sent');
    expect(good.messages).toHaveLength(1);
  });

  it('disconnect in the middle of DATA → deferred, nothing counted as sent', async () => {
    const s = await scripted({ on: { BODY: { close: true } } });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test'), dest('c@dest.test')], context(s.port));
    expect(got.results.map((r) => r.status)).toEqual(['deferred', 'deferred']);
    expect(got.results[0].reply).toMatch(/^Lost connection with mx\.dest\.test\. \[127\.0\.0\.1\]/);
    expect(s.messages).toHaveLength(0);
  });

  it('no reply after the final dot (connection dropped) → deferred', async () => {
    const s = await scripted({ on: { DOT: { close: true } } });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0].status).toBe('deferred');
  });

  it('exact enhanced codes survive: 452 4.5.3 on the second RCPT, 250 for the first', async () => {
    const s = await scripted({ on: { RCPT: (arg) => (arg.includes('c@') ? '452 4.5.3 Too many recipients' : undefined) } });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test'), dest('c@dest.test')], context(s.port));
    expect(got.results.map((r) => [r.status, r.dsnStatus])).toEqual([['sent', '2.0.0'], ['deferred', '4.5.3']]);
    expect(s.messages[0].rcptTo).toEqual(['b@dest.test']);
  });

  it('a reply without an enhanced code gets the class default', async () => {
    const s = await scripted({ extensions: ['PIPELINING'], on: { RCPT: '550 no such user here' } });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0]).toMatchObject({ status: 'bounced', dsnStatus: '5.0.0', reply: '550 no such user here' });
  });

  it('non-ASCII address to a host without SMTPUTF8 → bounced 5.6.7 (RFC 6531 §3.2)', async () => {
    const s = await scripted({ extensions: DEFAULT_EXTENSIONS.filter((e) => e !== 'SMTPUTF8') });
    oneMx();
    const got = await deliverSmtp(message({ sender: 'j\u00fcrgen@origin.test' }), [dest('b@dest.test')], context(s.port));
    expect(got.results[0]).toMatchObject({ status: 'bounced', dsnStatus: '5.6.7' });
    expect(s.log[0].some((l) => l.startsWith('C: MAIL'))).toBe(false);
  });

  it('non-ASCII address to a host with SMTPUTF8 → SMTPUTF8 on MAIL FROM', async () => {
    const s = await scripted({});
    oneMx();
    const got = await deliverSmtp(message({ sender: 'j\u00fcrgen@origin.test' }), [dest('b@dest.test')], context(s.port));
    expect(got.results[0].status).toBe('sent');
    expect(s.log[0].find((l) => l.startsWith('C: MAIL'))).toMatch(/SMTPUTF8/);
  });
});

describe('without PIPELINING', () => {
  it('commands go one at a time and DSN parameters still follow each recipient', async () => {
    const s = await scripted({ extensions: ['DSN', 'ENHANCEDSTATUSCODES'], on: { RCPT: (arg) => (arg.includes('c@') ? '550 5.1.1 Unknown' : undefined) } });
    oneMx();
    const got = await deliverSmtp(message(), [
      dest('b@dest.test', { notify: ['SUCCESS'], orcpt: 'rfc822;B@dest.test' }),
      dest('c@dest.test', { notify: ['FAILURE'] }),
    ], context(s.port));
    expect(got.results.map((r) => r.status)).toEqual(['sent', 'bounced']);
    expect(s.log[0].filter((l) => l.startsWith('C: RCPT'))).toEqual([
      'C: RCPT TO:<b@dest.test> NOTIFY=SUCCESS ORCPT=rfc822;B@dest.test',
      'C: RCPT TO:<c@dest.test> NOTIFY=FAILURE',
    ]);
  });
});

describe('TLS trouble', () => {
  it('STARTTLS handshake fails → same host again without TLS (Sendmail), noted in the transcript', async () => {
    const s = await scripted({
      extensions: [...DEFAULT_EXTENSIONS, 'STARTTLS'],
      on: { STARTTLS: { reply: '220 2.0.0 Ready to start TLS', raw: 'this is not a TLS server hello\r\n', close: true } },
    });
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0].status).toBe('sent');
    expect(s.connections).toBe(2);
    expect(s.log[1].some((l) => l === 'C: STARTTLS')).toBe(false);
    expect(got.transcript.some((l) => /^\*\*\* STARTTLS handshake with mx\.dest\.test\. \[127\.0\.0\.1\] failed .*; retrying without TLS$/.test(l))).toBe(true);
  });

  it('STARTTLS refused with 454 → continue in clear (opportunistic)', async () => {
    const s = await scripted({ extensions: [...DEFAULT_EXTENSIONS, 'STARTTLS'] }); // default STARTTLS reply is 454
    oneMx();
    const got = await deliverSmtp(message(), [dest('b@dest.test')], context(s.port));
    expect(got.results[0].status).toBe('sent');
    expect(s.connections).toBe(1);
  });

  it('smart host with requireTls but no STARTTLS offered → deferred, no MAIL FROM in clear', async () => {
    const s = await scripted({});
    const ctx = context(25, { smartHost: { host: '[127.0.0.1]', port: s.port, tls: 'starttls', requireTls: true } });
    const got = await deliverSmtp(message(), [dest('b@far.test', { smartHost: true })], ctx);
    expect(got.results[0].status).toBe('deferred');
    expect(s.log.flat().some((l) => l.startsWith('C: MAIL'))).toBe(false);
  });
});

describe('transcript bound', () => {
  it('stays within 200 lines with 300 recipients, keeping the start and the end', async () => {
    const s = await scripted({});
    oneMx();
    const rcpts = Array.from({ length: 300 }, (_, i) => dest(`u${i}@dest.test`));
    const got = await deliverSmtp(message(), rcpts, context(s.port));
    expect(got.results.every((r) => r.status === 'sent')).toBe(true);
    expect(got.transcript.length).toBeLessThanOrEqual(200);
    expect(got.transcript[0]).toMatch(/^\*\*\* Connecting to/);
    expect(got.transcript.some((l) => /^\*\*\* \d+ lines omitted$/.test(l))).toBe(true);
    expect(got.transcript[got.transcript.length - 1]).toMatch(/^<<< 221/);
  });
});
