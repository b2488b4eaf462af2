// What happens to a message between stdin and the queue.
import { describe, expect, it } from 'vitest';
import { addFromIfMissing, endAtLoneDot, headerRecipients, phrase, removeBcc } from '../../../engine/cli/sendmail-message.ts';
import { prepareMessage } from '../../../engine/cli/sendmail.ts';
import { parseSendmailArgs } from '../../../engine/cli/sendmail-args.ts';
import { UsageError } from '../../../engine/cli/exit-codes.ts';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('endAtLoneDot', () => {
  const cases = [
    { name: 'lone dot ends input', input: 'Subject: x\n\nline\n.\nafter\n', want: 'Subject: x\n\nline\n' },
    { name: 'CRLF lone dot', input: 'a\r\n.\r\nb\r\n', want: 'a\r\n' },
    { name: 'dot at end without newline', input: 'a\n.', want: 'a\n' },
    { name: 'dot at start', input: '.\nrest', want: '' },
    { name: 'dot-prefixed lines stay', input: 'a\n..\n.x\n', want: 'a\n..\n.x\n' },
    { name: 'no dot', input: 'a\nb', want: 'a\nb' },
  ];
  for (const c of cases) it(c.name, () => expect(endAtLoneDot(b(c.input)).toString()).toBe(c.want));
});

describe('headers', () => {
  const msg = b('From: me@x.test\nTo: A <a@x.test>, b@x.test\nCc: "Last, First" <c@x.test>\nBcc: d@x.test,\n  e@x.test\nSubject: hi\n\nTo: not@header.test\n');
  it('-t takes To, Cc and folded Bcc, not the body', () => {
    expect(headerRecipients(msg)).toEqual(['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test', 'e@x.test']);
  });
  it('Resent- fields win when present (RFC 5322 §3.6.6)', () => {
    expect(headerRecipients(b('To: a@x.test\nResent-To: r@x.test\n\nbody'))).toEqual(['r@x.test']);
  });
  it('removes Bcc with its continuation lines and keeps everything else', () => {
    const got = removeBcc(msg).toString();
    expect(got).not.toMatch(/Bcc|\bd@x\.test|\be@x\.test/);
    expect(got).toContain('Cc: "Last, First" <c@x.test>\nSubject: hi\n\nTo: not@header.test\n');
  });
  it('a Bcc in the body is left alone', () => {
    const m = b('Subject: x\n\nBcc: stays\n');
    expect(removeBcc(m).toString()).toBe('Subject: x\n\nBcc: stays\n');
  });
  it('-F adds From only when missing', () => {
    expect(addFromIfMissing(b('Subject: x\n\nhi\n'), 'Cron Daemon', 'root@h.test').toString())
      .toBe('From: Cron Daemon <root@h.test>\nSubject: x\n\nhi\n');
    expect(addFromIfMissing(b('from: me@x.test\n\nhi\n'), 'X', 'y@z').toString()).toBe('from: me@x.test\n\nhi\n');
  });
  it('quotes and encodes display names', () => {
    expect(phrase('Doe, John')).toBe('"Doe, John"');
    expect(phrase('Jörg')).toBe('=?UTF-8?B?SsO2cmc=?=');
  });
});

describe('prepareMessage', () => {
  const input = b('To: a@x.test\nCc: b@x.test\nBcc: hidden@x.test\nSubject: s\n\nbody\n.\ncut\n');
  it('-t -f: envelope from the header, Bcc recipient kept in the envelope only, cut at the dot', () => {
    const got = prepareMessage(parseSendmailArgs(['-t', '-f', 'me@x.test']), input, 'user', 'h.test');
    expect(got.envelope.sender).toBe('me@x.test');
    expect(got.envelope.recipients.map((r) => r.address)).toEqual(['a@x.test', 'b@x.test', 'hidden@x.test']);
    expect(got.message.toString()).toBe('To: a@x.test\nCc: b@x.test\nSubject: s\n\nbody\n');
  });
  it('-i keeps the lone dot; the default sender is the local user, qualified with the host name', () => {
    const got = prepareMessage(parseSendmailArgs(['-i', 'z@x.test']), input, 'user', 'h.test');
    expect(got.envelope).toMatchObject({ sender: 'user@h.test', recipients: [{ address: 'z@x.test' }] });
    expect(got.message.toString()).toContain('body\n.\ncut\n');
  });
  it('-t adds header recipients to explicit ones, without duplicates', () => {
    const got = prepareMessage(parseSendmailArgs(['-t', 'A@x.test', 'extra@x.test']), input, 'user', 'h.test');
    expect(got.envelope.recipients.map((r) => r.address)).toEqual(['A@x.test', 'extra@x.test', 'b@x.test', 'hidden@x.test']);
  });
  it('-N / -R / -V / -B reach the envelope', () => {
    const got = prepareMessage(parseSendmailArgs(['-N', 'never', '-R', 'full', '-V', 'E1', '-B', '8bitmime', 'a@x.test']), input, 'u', 'h');
    expect(got.envelope).toMatchObject({ ret: 'FULL', envid: 'E1', body: '8BITMIME', recipients: [{ address: 'a@x.test', notify: ['NEVER'] }] });
  });
  it('-F qualifies a bare user with the host name', () => {
    const got = prepareMessage(parseSendmailArgs(['-F', 'Cron', 'a@x.test']), b('Subject: x\n\n'), 'root', 'h.test');
    expect(got.message.toString()).toMatch(/^From: Cron <root@h\.test>\n/);
  });
  it('no recipients is a usage error', () => {
    expect(() => prepareMessage(parseSendmailArgs([]), input, 'u', 'h')).toThrow(UsageError);
    expect(() => prepareMessage(parseSendmailArgs(['-t']), b('Subject: x\n\nhi\n'), 'u', 'h')).toThrow(/no recipient addresses found/);
  });
});
