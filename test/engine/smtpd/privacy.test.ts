// smtp.privacy at the SMTP dialogue (Sendmail's PrivacyOptions): needmailhelo as a
// real switch, ETRN (RFC 1985) unless noetrn, authwarnings' "didn't use HELO
// protocol" header, and goaway meaning all of them. Raw sockets against a real smtpd.
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingsInput } from '../../../engine/config/schema.ts';
import { codeOf, ehlo, RawClient, startRig, HOST, type Rig } from './harness.ts';

let rig: Rig | undefined;
const etrns: string[] = [];
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  etrns.length = 0;
});
const start = async (input: SettingsInput) => (rig = await startRig(input, 'smtp', undefined, { onEtrn: (d) => etrns.push(d) }));

/** MAIL without HELO; returns the MAIL reply and, when accepted, the stored headers. */
async function mailWithoutHelo(r: Rig): Promise<{ mail: string; headers?: string }> {
  const c = await RawClient.connect(r.listener.port, '127.0.0.2');
  await c.reply();
  const mail = codeOf(await c.cmd('MAIL FROM:<a@remote.example>'));
  if (!mail.startsWith('250')) {
    c.end();
    return { mail };
  }
  expect(codeOf(await c.cmd('RCPT TO:<bob@example.org>'))).toBe('250 2.1.5');
  expect(codeOf(await c.cmd('DATA'))).toBe('354');
  expect(await c.cmd('Subject: hi\r\n\r\nbody\r\n.')).toMatch(/^250 /);
  c.end();
  return { mail, headers: await r.spool.readHeaders(r.queued[0].id) };
}

describe('needmailhelo', () => {
  const cases: { privacy: string[]; want: string }[] = [
    { privacy: [], want: '250 2.1.0' },
    { privacy: ['needmailhelo'], want: '503 5.5.1' },
    { privacy: ['goaway'], want: '503 5.5.1' },
  ];
  for (const { privacy, want } of cases) {
    it(`privacy [${privacy.join(', ')}]: MAIL before HELO → ${want}`, async () => {
      const got = await mailWithoutHelo(await start({ smtp: { privacy: privacy as never } }));
      expect(got.mail).toBe(want);
    });
  }

  it('the refusal is Sendmail\'s text, and after HELO the same MAIL is accepted', async () => {
    const r = await start({ smtp: { privacy: ['needmailhelo'] } });
    const c = await RawClient.connect(r.listener.port);
    await c.reply();
    expect(await c.cmd('MAIL FROM:<a@example.com>')).toBe('503 5.5.1 Polite people say HELO first');
    await c.cmd('HELO client.example');
    expect(codeOf(await c.cmd('MAIL FROM:<a@example.com>'))).toBe('250 2.1.0');
    c.end();
  });

  it('without HELO the Received: names no HELO (none was given), only the address', async () => {
    const got = await mailWithoutHelo(await start({ smtp: { privacy: [] } }));
    expect(got.headers).toMatch(/^Received: from unknown \(unknown \[127\.0\.0\.2\]\)/);
    expect(got.headers).not.toContain('X-Authentication-Warning');
  });
});

describe('authwarnings over SMTP', () => {
  it('a client that skipped HELO gets "didn\'t use HELO protocol"', async () => {
    const got = await mailWithoutHelo(await start({ smtp: { privacy: ['authwarnings'] } }));
    expect(got.headers).toContain(`X-Authentication-Warning: ${HOST}: [127.0.0.2] didn't use HELO protocol\r\n`);
  });
  it('a client that said HELO gets no warning', async () => {
    const r = await start({ smtp: { privacy: ['authwarnings'] } });
    const c = await ehlo(r.listener.port, '127.0.0.2');
    await c.cmd('MAIL FROM:<a@remote.example>');
    await c.cmd('RCPT TO:<bob@example.org>');
    await c.cmd('DATA');
    expect(await c.cmd('Subject: hi\r\n\r\nbody\r\n.')).toMatch(/^250 /);
    c.end();
    expect(await r.spool.readHeaders(r.queued[0].id)).not.toContain('X-Authentication-Warning');
  });
});

describe('ETRN (RFC 1985)', () => {
  const cases: { name: string; privacy: string[]; from: string; arg: string; want: string; flushed: string[] }[] = [
    { name: 'relay client', privacy: [], from: '127.0.0.1', arg: 'remote.example', want: '250 2.0.0 Queuing for node remote.example started', flushed: ['remote.example'] },
    { name: '@domain form', privacy: [], from: '127.0.0.1', arg: '@remote.example', want: '250 2.0.0 Queuing for node remote.example started', flushed: ['remote.example'] },
    { name: 'stranger', privacy: [], from: '127.0.0.2', arg: 'remote.example', want: '458 4.7.1 Unable to queue messages for node remote.example', flushed: [] },
    { name: 'no argument', privacy: [], from: '127.0.0.1', arg: '', want: '501 5.5.2 Syntax: ETRN domain', flushed: [] },
    { name: 'queue name', privacy: [], from: '127.0.0.1', arg: '#queue', want: '501 5.5.2 Syntax: ETRN domain', flushed: [] },
    { name: 'noetrn', privacy: ['noetrn'], from: '127.0.0.1', arg: 'remote.example', want: '502 5.7.0 Sorry, ETRN is disabled', flushed: [] },
    { name: 'goaway', privacy: ['goaway'], from: '127.0.0.1', arg: 'remote.example', want: '502 5.7.0 Sorry, ETRN is disabled', flushed: [] },
  ];
  for (const tc of cases) {
    it(`${tc.name}: ETRN ${tc.arg} → ${tc.want.slice(0, 3)}`, async () => {
      const r = await start({ smtp: { privacy: tc.privacy as never } });
      const c = await ehlo(r.listener.port, tc.from);
      const got = await c.cmd(`ETRN ${tc.arg}`.trim());
      c.end();
      expect(got).toBe(tc.want);
      expect(etrns).toEqual(tc.flushed);
    });
  }

  it('EHLO advertises ETRN unless noetrn', async () => {
    const got: boolean[] = [];
    for (const privacy of [[], ['noetrn']]) {
      const r = await start({ smtp: { privacy: privacy as never } });
      const c = await RawClient.connect(r.listener.port);
      await c.reply();
      got.push(/^250[ -]ETRN$/m.test((await c.cmd('EHLO client.example')) ?? ''));
      c.end();
      await r.close();
      rig = undefined;
    }
    expect(got).toEqual([true, false]);
  });
});

describe('goaway', () => {
  it('implies novrfy, noexpn and authwarnings as well', async () => {
    const r = await start({ smtp: { privacy: ['goaway'] } });
    const c = await ehlo(r.listener.port, '127.0.0.2');
    expect(await c.cmd('EXPN staff')).toBe('502 5.7.0 Sorry, we do not allow this operation');
    expect(await c.cmd('VRFY bob')).toBe('252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery');
    c.end();
  });
});
