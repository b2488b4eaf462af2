// DSNs as a mail reader and a DSN parser see them: built from a fixed queue entry
// with a fixed clock, compared against a golden report, and parsed back with
// mailparser (the library a user's client-side tooling is most likely to use).
import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import type { QueueEntry, RecipientState } from '../../../engine/contracts.ts';
import { buildDsn, dsnRecipients, MAX_RETURNED_BODY, shouldBounce, shouldDoubleBounce } from '../../../engine/bounce/dsn.ts';

const NOW = Date.UTC(2024, 8, 10, 22, 23, 41);
const HOUR = 3600e3;
const ORIGINAL = Buffer.from(
  'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hi\r\nMessage-ID: <m1@example.org>\r\n\r\nHello Bob\r\n',
);

function entry(over: Partial<QueueEntry> = {}): QueueEntry {
  return {
    id: 'AbCdEfGhIjKlMn', sender: 'alice@example.org', arrivalTime: NOW - HOUR, size: ORIGINAL.length,
    state: 'deferred', group: 'default', attempts: 2, nextAttempt: 0, lastAttempt: NOW - 60e3,
    client: { address: '192.0.2.10', hostname: 'client.example.org', helo: 'client', protocol: 'ESMTP', daemon: 'smtp' },
    recipients: [], ...over,
  };
}

const BOB: RecipientState = {
  address: 'bob@example.net', status: 'bounced', orcpt: 'rfc822;bob+2Bx@example.net',
  lastReply: '550 5.1.1 <bob@example.net>... User unknown', dsnStatus: '5.1.1', remoteMta: 'mx.example.net',
};
const CAROL_NEVER: RecipientState = {
  address: 'carol@example.net', status: 'bounced', notify: ['NEVER'], lastReply: '550 5.1.1 nope', dsnStatus: '5.1.1',
};

const GOLDEN_FAILURE = [
  'From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>',
  'To: <alice@example.org>',
  'Subject: Returned mail: see transcript for details',
  'Date: Tue, 10 Sep 2024 22:23:41 +0000',
  'Message-ID: <20240910222341.AbCdEfGhIjKlMn.failure@mail.example.com>',
  'Auto-Submitted: auto-replied',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  '\tboundary="AbCdEfGhIjKlMn.1726007021/mail.example.com"',
  'Content-Transfer-Encoding: 7bit',
  '',
  'This is a MIME-encapsulated message',
  '',
  '--AbCdEfGhIjKlMn.1726007021/mail.example.com',
  'Content-Type: text/plain; charset=us-ascii',
  'Content-Description: Notification',
  '',
  'The original message was received at Tue, 10 Sep 2024 21:23:41 +0000',
  'from client.example.org [192.0.2.10]',
  '',
  '   ----- The following addresses had permanent fatal errors -----',
  '<bob@example.net>',
  '    (reason: 550 5.1.1 <bob@example.net>... User unknown)',
  '',
  '   ----- Transcript of session follows -----',
  '... while talking to mx.example.net.:',
  '>>> RCPT TO:<bob@example.net>',
  '<<< 550 5.1.1 <bob@example.net>... User unknown',
  '',
  '--AbCdEfGhIjKlMn.1726007021/mail.example.com',
  'Content-Type: message/delivery-status',
  'Content-Description: Delivery report',
  '',
  'Reporting-MTA: dns; mail.example.com',
  'Original-Envelope-Id: ENV+1',
  'Received-From-MTA: dns; client.example.org',
  'Arrival-Date: Tue, 10 Sep 2024 21:23:41 +0000',
  '',
  'Original-Recipient: rfc822; bob+x@example.net',
  'Final-Recipient: rfc822; bob@example.net',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; mx.example.net',
  'Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>... User unknown',
  'Last-Attempt-Date: Tue, 10 Sep 2024 22:22:41 +0000',
  '',
  '--AbCdEfGhIjKlMn.1726007021/mail.example.com',
  'Content-Type: message/rfc822',
  'Content-Description: Undelivered Message',
  'Content-Transfer-Encoding: 7bit',
  '',
  'From: Alice <alice@example.org>',
  'To: bob@example.net',
  'Subject: Hi',
  'Message-ID: <m1@example.org>',
  '',
  'Hello Bob',
  '',
  '--AbCdEfGhIjKlMn.1726007021/mail.example.com--',
  '',
].join('\r\n');

/** The MIME parts of a multipart message, split on its boundary: [headers, body] each. */
function parts(message: Buffer, boundary: string): { headers: string; body: string }[] {
  const text = message.toString('utf8');
  const end = text.indexOf(`\r\n--${boundary}--`);
  return text.slice(0, end).split(`--${boundary}\r\n`).slice(1).map((p) => {
    const cut = p.indexOf('\r\n\r\n');
    return { headers: p.slice(0, cut), body: p.slice(cut + 4) };
  });
}

/** RFC 3464 §2.1: groups of "Name: value" fields separated by empty lines (folded lines joined). */
function statusGroups(body: string): Record<string, string>[] {
  return body.trim().split('\r\n\r\n').map((g) => {
    const fields: Record<string, string> = {};
    for (const line of g.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
      const colon = line.indexOf(':');
      fields[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return fields;
  });
}

async function parse(message: Buffer) {
  const mail = await simpleParser(message);
  const ct = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
  return { mail, ct, parts: parts(message, ct.params.boundary) };
}

describe('buildDsn failure report', () => {
  const e = entry({ envid: 'ENV+2B1', recipients: [BOB, CAROL_NEVER],
    transcript: ['... while talking to mx.example.net.:', '>>> RCPT TO:<bob@example.net>', '<<< 550 5.1.1 <bob@example.net>... User unknown'] });
  const dsn = buildDsn({ entry: e, recipients: e.recipients, kind: 'failure', reportingMta: 'mail.example.com', original: ORIGINAL, now: NOW });

  it('matches the golden report byte for byte', () => {
    expect(dsn.message.toString('utf8')).toBe(GOLDEN_FAILURE);
  });

  it('goes from <> to the original envelope sender', () => {
    expect(dsn.envelope).toEqual({ sender: '', recipients: [{ address: 'alice@example.org' }], body: '7BIT' });
  });

  it('parses as multipart/report with one status block per notified recipient', async () => {
    const { mail, ct, parts: p } = await parse(dsn.message);
    expect(ct.value).toBe('multipart/report');
    expect(ct.params['report-type']).toBe('delivery-status');
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.from?.value[0].address).toBe('MAILER-DAEMON@mail.example.com');
    expect(p.map((x) => /Content-Type: ([^;\r]+)/.exec(x.headers)?.[1]))
      .toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    const groups = statusGroups(p[1].body);
    expect(groups).toHaveLength(2); // per-message + bob; carol asked NOTIFY=NEVER
    expect(groups[1]).toMatchObject({
      'final-recipient': 'rfc822; bob@example.net', action: 'failed', status: '5.1.1',
      'diagnostic-code': 'smtp; 550 5.1.1 <bob@example.net>... User unknown',
    });
    expect(mail.text).not.toContain('carol@example.net');
    const attached = mail.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(attached?.content.toString()).toBe(ORIGINAL.toString());
  });
});

describe('buildDsn returned content', () => {
  const cases: { name: string; ret?: 'FULL' | 'HDRS'; size: number; want: string }[] = [
    { name: 'RET unspecified, small', size: 0, want: 'message/rfc822' },
    { name: 'RET=FULL, small', ret: 'FULL', size: 0, want: 'message/rfc822' },
    { name: 'RET=HDRS', ret: 'HDRS', size: 0, want: 'text/rfc822-headers' },
    { name: 'RET=FULL but over 1 MB', ret: 'FULL', size: MAX_RETURNED_BODY, want: 'text/rfc822-headers' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const body = 'x'.repeat(76) + '\r\n';
      const original = Buffer.concat([ORIGINAL, Buffer.from(body.repeat(Math.ceil(c.size / body.length)))]);
      const e = entry({ ret: c.ret, recipients: [BOB] });
      const { message } = buildDsn({ entry: e, recipients: [BOB], kind: 'failure', reportingMta: 'mail.example.com', original, now: NOW });
      const { parts: p } = await parse(message);
      const got = /Content-Type: ([^;\r]+)/.exec(p[2].headers)?.[1];
      expect(got).toBe(c.want);
      if (c.want === 'text/rfc822-headers') {
        expect(p[2].body).toBe('From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hi\r\nMessage-ID: <m1@example.org>\r\n');
        expect(message.length).toBeLessThan(4096);
      } else {
        expect(p[2].body).toBe(original.toString());
      }
    });
  }

  it('labels an 8-bit original 8bit and asks for BODY=8BITMIME', async () => {
    const original = Buffer.from('Subject: caf\u00e9\r\n\r\nna\u00efve body\r\n', 'utf8');
    const e = entry({ recipients: [BOB], body: '8BITMIME' });
    const dsn = buildDsn({ entry: e, recipients: [BOB], kind: 'failure', reportingMta: 'mail.example.com', original, now: NOW });
    expect(dsn.envelope.body).toBe('8BITMIME');
    const { parts: p } = await parse(dsn.message);
    expect(p[2].headers).toContain('Content-Transfer-Encoding: 8bit');
  });
});

describe('buildDsn delay warning', () => {
  const pending: RecipientState = { address: 'dave@example.net', status: 'pending', lastReply: '451 4.3.0 Try again later', dsnStatus: '4.3.0', remoteMta: 'mx.example.net' };
  const quiet: RecipientState = { address: 'erin@example.net', status: 'pending', notify: ['FAILURE'], lastReply: '451 4.3.0 busy' };
  const e = entry({ arrivalTime: NOW - 4 * HOUR, offlineMs: HOUR, recipients: [pending, quiet] });
  const dsn = buildDsn({ entry: e, recipients: e.recipients, kind: 'delay', reportingMta: 'mail.example.com', original: ORIGINAL, now: NOW });

  it('warns with the delayed action, Will-Retry-Until and headers only', async () => {
    const { mail, parts: p } = await parse(dsn.message);
    expect(mail.subject).toBe('Warning: could not send message for past 4 hours');
    expect(mail.text).toContain('   ----- The following addresses had transient non-fatal errors -----');
    expect(mail.text).toContain('Warning: message still undelivered after 4 hours');
    expect(mail.text).toContain('Will keep trying until message is 5 days old');
    const groups = statusGroups(p[1].body);
    expect(groups).toHaveLength(2); // erin's NOTIFY=FAILURE excludes delay notices
    // arrival + 1 h offline + 5 d
    expect(groups[1]).toMatchObject({ action: 'delayed', status: '4.3.0', 'will-retry-until': 'Sun, 15 Sep 2024 19:23:41 +0000' });
    expect(/Content-Type: ([^;\r]+)/.exec(p[2].headers)?.[1]).toBe('text/rfc822-headers');
  });

  it('follows configured warn and return times in its wording', async () => {
    const d = buildDsn({ entry: e, recipients: [pending], kind: 'delay', reportingMta: 'h', original: ORIGINAL, now: NOW,
      queueWarnMs: 30 * 60e3, queueReturnMs: 2 * 86400e3 });
    const { mail } = await parse(d.message);
    expect(mail.subject).toBe('Warning: could not send message for past 30 minutes');
    expect(mail.text).toContain('Will keep trying until message is 2 days old');
  });
});

describe('buildDsn output is safe on any SMTP hop', () => {
  const long = '550 5.7.1 ' + 'policy-text-'.repeat(150);
  const weird: RecipientState = {
    address: 'j\u00f6rg@example.net', status: 'bounced', dsnStatus: '5.1.1',
    lastReply: `${long}\r\nX-Injected: yes\r\n\u00fcber`,
  };
  const e = entry({ recipients: [weird], transcript: ['<<< ' + 'y'.repeat(1500)] });
  const dsn = buildDsn({ entry: e, recipients: [weird], kind: 'failure', reportingMta: 'mail.example.com', original: ORIGINAL, now: NOW });
  const text = dsn.message.toString('latin1');

  it('uses CRLF only and no line over 998 octets', () => {
    expect(text).not.toMatch(/[^\r]\n|\r[^\n]/);
    const tooLong = text.split('\r\n').filter((l) => l.length > 998);
    expect(tooLong).toEqual([]);
  });

  it('stays 7-bit and never lets a reply inject a field', async () => {
    expect(text).not.toMatch(/[^\x00-\x7f]/);
    expect(text).not.toMatch(/^X-Injected:/m);
    const { mail, parts: p } = await parse(dsn.message);
    expect(p[0].headers).toContain('Content-Transfer-Encoding: quoted-printable');
    expect(mail.text).toContain('<j\u00f6rg@example.net>'); // decoded back for the reader
    expect(statusGroups(p[1].body)[1]['final-recipient']).toBe('utf-8; j\\x{F6}rg@example.net');
  });
});

describe('who gets a DSN', () => {
  const r = (notify?: RecipientState['notify']): RecipientState => ({ address: 'x@example.net', status: 'bounced', notify });
  const table: { kind: 'failure' | 'delay' | 'success'; notify?: RecipientState['notify']; want: boolean }[] = [
    { kind: 'success', want: false }, // RFC 3461 §4.1: the default is FAILURE,DELAY
    { kind: 'success', notify: ['SUCCESS'], want: true },
    { kind: 'success', notify: ['SUCCESS', 'FAILURE'], want: true },
    { kind: 'success', notify: ['FAILURE', 'DELAY'], want: false },
    { kind: 'success', notify: ['NEVER'], want: false },
    { kind: 'failure', want: true },
    { kind: 'failure', notify: ['FAILURE'], want: true },
    { kind: 'failure', notify: ['NEVER'], want: false },
    { kind: 'failure', notify: ['SUCCESS', 'DELAY'], want: false },
    { kind: 'delay', want: true },
    { kind: 'delay', notify: ['DELAY'], want: true },
    { kind: 'delay', notify: ['FAILURE'], want: false },
    { kind: 'delay', notify: ['NEVER'], want: false },
  ];
  for (const c of table) {
    it(`${c.kind} with NOTIFY=${c.notify?.join(',') ?? '(unset)'}`, () => {
      const got = shouldBounce(entry(), c.kind, [r(c.notify)]);
      expect(got).toBe(c.want);
      expect(dsnRecipients(c.kind, [r(c.notify)]).length === 1).toBe(c.want);
    });
  }

  it('never for the null sender, and buildDsn refuses it', () => {
    const bounce = entry({ sender: '', recipients: [BOB] });
    expect(shouldBounce(bounce, 'failure', [BOB])).toBe(false);
    expect(() => buildDsn({ entry: bounce, recipients: [BOB], kind: 'failure', reportingMta: 'h', original: ORIGINAL, now: NOW }))
      .toThrow(/sender is <>/);
  });

  it('buildDsn refuses a report nobody asked for', () => {
    expect(() => buildDsn({ entry: entry(), recipients: [CAROL_NEVER], kind: 'failure', reportingMta: 'h', original: ORIGINAL, now: NOW }))
      .toThrow(/NOTIFY/);
  });

  it('a failed bounce goes once to the double-bounce address', async () => {
    const failedBounce = entry({ sender: '', recipients: [BOB], client: { address: '', protocol: 'local', daemon: 'bounce' } });
    expect(shouldDoubleBounce(failedBounce, 'postmaster')).toBe(true);
    expect(shouldDoubleBounce(failedBounce, '')).toBe(false); // empty = discard, like Sendmail
    expect(shouldDoubleBounce(entry({ recipients: [BOB] }), 'postmaster')).toBe(false); // not a bounce
    const toPostmaster = entry({ sender: '', recipients: [{ address: 'postmaster@mail.example.com', status: 'bounced' }] });
    expect(shouldDoubleBounce(toPostmaster, 'postmaster')).toBe(false); // would loop

    const dsn = buildDsn({ entry: failedBounce, recipients: [BOB], kind: 'failure', reportingMta: 'mail.example.com',
      original: ORIGINAL, now: NOW, to: 'postmaster' });
    expect(dsn.envelope.sender).toBe('');
    expect(dsn.envelope.recipients).toEqual([{ address: 'postmaster' }]);
    const { mail } = await parse(dsn.message);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].address : '').toBe('postmaster@mail.example.com');
    expect(mail.subject).toBe('Postmaster notify: see transcript for details');
  });
});

describe('buildDsn success report', () => {
  const DAVE: RecipientState & { action: 'delivered' } = {
    address: 'dave@example.org', status: 'sent', notify: ['SUCCESS', 'FAILURE'], action: 'delivered',
    lastReply: '250 2.0.0 delivered to maildir', dsnStatus: '2.0.0',
  };
  const ERIN: RecipientState & { action: 'relayed' } = {
    address: 'erin@example.net', status: 'sent', notify: ['SUCCESS'], orcpt: 'rfc822;erin@example.net', action: 'relayed',
    lastReply: '250 2.0.0 Ok: queued as 123', dsnStatus: '2.0.0', remoteMta: 'mx.example.net',
  };
  const FRANK_DEFAULT: RecipientState = { address: 'frank@example.net', status: 'sent', lastReply: '250 ok', dsnStatus: '2.0.0' };
  const e = entry({ recipients: [DAVE, ERIN, FRANK_DEFAULT] });
  const dsn = buildDsn({ entry: e, recipients: [DAVE, ERIN, FRANK_DEFAULT], kind: 'success', reportingMta: 'mail.example.com', original: ORIGINAL, now: NOW });

  it('reports delivered and relayed recipients that asked for SUCCESS, with headers only', async () => {
    const { mail, parts: p } = await parse(dsn.message);
    expect(dsn.envelope).toEqual({ sender: '', recipients: [{ address: 'alice@example.org' }], body: '7BIT' });
    expect(mail.subject).toBe('Successful Mail Delivery Report');
    expect(p.map((x) => /Content-Type: ([^;\r]+)/.exec(x.headers)?.[1]))
      .toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    const got = statusGroups(p[1].body).slice(1).map((g) => ({ to: g['final-recipient'], action: g.action, status: g.status, mta: g['remote-mta'] }));
    expect(got).toEqual([
      { to: 'rfc822; dave@example.org', action: 'delivered', status: '2.0.0', mta: undefined },
      { to: 'rfc822; erin@example.net', action: 'relayed', status: '2.0.0', mta: 'dns; mx.example.net' },
    ]);
    expect(p[0].body).toContain('successful delivery notifications');
    expect(p[0].body).toContain('relayed to non-DSN-aware mailer');
    expect(p[0].body).not.toContain('frank@example.net'); // NOTIFY unset: no receipt
    expect(p[2].body).toContain('Subject: Hi');
    expect(dsn.message.toString()).not.toContain('Hello Bob'); // never the body
  });

  it('refuses a receipt for the null sender, to a double-bounce address, or that nobody asked for', () => {
    const base = { recipients: [DAVE], kind: 'success' as const, reportingMta: 'h', original: ORIGINAL, now: NOW };
    expect(shouldBounce(entry({ sender: '' }), 'success', [DAVE])).toBe(false);
    expect(() => buildDsn({ ...base, entry: entry({ sender: '' }) })).toThrow(/sender is <>/);
    expect(() => buildDsn({ ...base, entry: entry({ sender: '' }), to: 'postmaster' })).toThrow(/success DSN/);
    expect(() => buildDsn({ ...base, entry: entry(), recipients: [FRANK_DEFAULT] })).toThrow(/NOTIFY/);
  });
});
