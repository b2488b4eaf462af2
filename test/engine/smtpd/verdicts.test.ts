// How smtpd turns policy verdicts into replies at each stage. The first policy only
// ever answers relay/ok/reject at RCPT, so a scripted SmtpPolicy stands in for the
// access maps and DNSBL checks of issue 6 (it is a peer of the interface, not a
// copy of our policy's logic).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicySession, SmtpPolicy, Verdict } from '../../../engine/policy/types.ts';
import { codeOf, ehlo, RawClient, startRig, type Rig } from './harness.ts';

type Stage = 'connect' | 'helo' | 'mail' | 'rcpt';
const go: Verdict = { action: 'continue' };

/** A policy that answers `verdict` at `stage` and `continue` everywhere else; records what it was asked. */
function scripted(stage: Stage, verdict: Verdict, seen: { stage: Stage; s: PolicySession; arg?: string }[] = []): SmtpPolicy {
  const at = (st: Stage) => async (s: PolicySession, arg?: string) => {
    seen.push({ stage: st, s, arg });
    return st === stage ? verdict : go;
  };
  return { onConnect: at('connect'), onHelo: at('helo'), onMailFrom: at('mail'), onRcptTo: at('rcpt') };
}

let rig: Rig | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await rig?.close();
  rig = undefined;
});

/** Run a whole transaction and return the reply code of every step, stopping at the first refusal. */
async function transaction(r: Rig): Promise<string[]> {
  const c = await RawClient.connect(r.listener.port);
  clients.push(c);
  const got = [codeOf(await c.reply())];
  if (!got[0].startsWith('220')) return got;
  for (const cmd of ['EHLO client.example', 'MAIL FROM:<a@example.com>', 'RCPT TO:<bob@example.org>', 'DATA']) {
    const reply = codeOf(await c.cmd(cmd));
    got.push(reply);
    if (!/^[23]/.test(reply)) return got;
  }
  c.send('Subject: t\r\n\r\nbody\r\n.\r\n');
  got.push(codeOf(await c.reply()));
  return got;
}

const reject554: Verdict = { action: 'reject', code: 554, enhanced: '5.7.1', text: 'Access denied' };
const temp450: Verdict = { action: 'tempfail', code: 450, enhanced: '4.7.1', text: 'Try again later' };

describe('a refusal at connect replaces the greeting', () => {
  it('an access-map Connect: REJECT (550 in the map) is greeted 554 5.7.1 with its text, then closed', async () => {
    rig = await startRig({ access: [{ key: 'Connect:127.0.0.2', action: 'REJECT' }] });
    const c = await RawClient.connect(rig.listener.port, '127.0.0.2');
    clients.push(c);
    const got = await c.reply();
    await c.waitClosed();
    expect(got).toBe('554 5.7.1 [127.0.0.2]... Access denied');
    expect(c.closed).toBe(true);
  });

  it('a temporary failure closes with 421 4.7.1 and the check\'s text', async () => {
    rig = await startRig({}, 'smtp', scripted('connect', { action: 'tempfail', code: 451, enhanced: '4.4.3', text: 'DNS lookup failed, try later' }));
    const c = await RawClient.connect(rig.listener.port);
    clients.push(c);
    const got = await c.reply();
    await c.waitClosed();
    expect(got).toBe('421 4.7.1 DNS lookup failed, try later');
  });
});

describe('policy verdicts become replies', () => {
  const cases: { name: string; stage: Stage; verdict: Verdict; want: string[]; stored: number }[] = [
    { name: 'reject at connect refuses the greeting', stage: 'connect', verdict: reject554, want: ['554 5.7.1'], stored: 0 },
    { name: 'tempfail at connect', stage: 'connect', verdict: { ...temp450, code: 421 }, want: ['421 4.7.1'], stored: 0 },
    // RFC 5321 §3.1/§4.3.2: the greeting may only be 220, 554 or 421, whatever code the check chose.
    { name: 'reject 550 at connect is greeted 554', stage: 'connect', verdict: { ...reject554, code: 550, enhanced: '5.7.0' }, want: ['554 5.7.1'], stored: 0 },
    { name: 'tempfail 451 at connect is greeted 421', stage: 'connect', verdict: { ...temp450, code: 451, enhanced: '4.3.0' }, want: ['421 4.7.1'], stored: 0 },
    { name: 'tempfail 450 at connect is greeted 421', stage: 'connect', verdict: temp450, want: ['421 4.7.1'], stored: 0 },
    // HELO checks are delayed to MAIL FROM (Postfix smtpd_delay_reject).
    { name: 'reject of the HELO name, answered at MAIL', stage: 'helo', verdict: reject554, want: ['220', '250', '554 5.7.1'], stored: 0 },
    { name: 'reject at MAIL', stage: 'mail', verdict: { ...reject554, code: 550 }, want: ['220', '250', '550 5.7.1'], stored: 0 },
    { name: 'tempfail at MAIL', stage: 'mail', verdict: temp450, want: ['220', '250', '450 4.7.1'], stored: 0 },
    { name: 'reject at RCPT', stage: 'rcpt', verdict: { ...reject554, code: 550 }, want: ['220', '250', '250 2.1.0', '550 5.7.1'], stored: 0 },
    { name: 'ok at RCPT queues the message', stage: 'rcpt', verdict: { action: 'ok' }, want: ['220', '250', '250 2.1.0', '250 2.1.5', '354', '250 2.0.0'], stored: 1 },
    { name: 'discard at RCPT accepts and drops', stage: 'rcpt', verdict: { action: 'discard' }, want: ['220', '250', '250 2.1.0', '250 2.1.5', '354', '250 2.0.0'], stored: 0 },
    { name: 'discard at connect drops every message', stage: 'connect', verdict: { action: 'discard' }, want: ['220', '250', '250 2.1.0', '250 2.1.5', '354', '250 2.0.0'], stored: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      rig = await startRig({}, 'smtp', scripted(c.stage, c.verdict));
      const got = await transaction(rig);
      expect(got).toEqual(c.want);
      expect(await rig.committed()).toHaveLength(c.stored);
    });
  }

  it('shows the verdict text to the client', async () => {
    rig = await startRig({}, 'smtp', scripted('mail', temp450));
    const c = await ehlo(rig.listener.port);
    clients.push(c);
    expect(await c.cmd('MAIL FROM:<a@example.com>')).toBe('450 4.7.1 Try again later');
  });

  it('asks the policy with what the session knows', async () => {
    const seen: { stage: Stage; s: PolicySession; arg?: string }[] = [];
    rig = await startRig({}, 'smtp', scripted('none' as Stage, go, seen));
    const c = await ehlo(rig.listener.port);
    clients.push(c);
    await c.cmd('MAIL FROM:<a@example.com>');
    await c.cmd('RCPT TO:<one@example.org>');
    await c.cmd('RCPT TO:<two@example.org>');
    expect(seen.map((x) => `${x.stage}:${x.arg ?? ''}`)).toEqual(['connect:', 'helo:client.example', 'mail:a@example.com', 'rcpt:one@example.org', 'rcpt:two@example.org']);
    const last = seen[seen.length - 1].s;
    expect(last).toMatchObject({ localAddress: '127.0.0.1', sender: 'a@example.com', recipients: ['one@example.org'], badRecipients: 0 });
    expect(last.client).toMatchObject({ address: '127.0.0.1', helo: 'client.example', protocol: 'ESMTP', daemon: 'smtp' });
  });

  it('counts refused recipients for the policy (badRcptThrottle)', async () => {
    const seen: { stage: Stage; s: PolicySession; arg?: string }[] = [];
    rig = await startRig({}, 'smtp', scripted('rcpt', { ...reject554, code: 550 }, seen));
    const c = await ehlo(rig.listener.port);
    clients.push(c);
    await c.cmd('MAIL FROM:<a@example.com>');
    await c.cmd('RCPT TO:<x@example.org>');
    await c.cmd('RCPT TO:<y@example.org>');
    expect(seen.filter((x) => x.stage === 'rcpt').map((x) => x.s.badRecipients)).toEqual([0, 1]);
  });

  it('answers 451 4.3.0 when the policy itself fails, and says so in the log', async () => {
    const broken: SmtpPolicy = { ...scripted('none' as Stage, go), onMailFrom: async () => { throw new Error('dns exploded'); } };
    rig = await startRig({}, 'smtp', broken);
    const c = await ehlo(rig.listener.port);
    clients.push(c);
    expect(codeOf(await c.cmd('MAIL FROM:<a@example.com>'))).toBe('451 4.3.0');
    await rig.log.tail(1);
    expect(rig.logLines.some((l) => l.includes('dns exploded'))).toBe(true);
  });
});

describe('smtpd when the client vanishes mid-DATA', () => {
  it('stores nothing', async () => {
    rig = await startRig();
    const c = await ehlo(rig.listener.port);
    c.send('MAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n');
    await c.reply(); await c.reply(); await c.reply();
    c.send('Subject: cut\r\n\r\nhalf a message\r\n');
    await new Promise((r) => setTimeout(r, 50));
    c.end();
    // The half-written data file appeared, and must go away again (writer.abort()).
    const dir = join(rig.home, 'spool');
    const files = async () => (await readdir(dir).catch(() => [] as string[])).filter((f) => f !== 'corrupt');
    for (let i = 0; i < 200 && (await files()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await files()).toEqual([]);
    expect(rig.queued).toEqual([]);
  });
});
