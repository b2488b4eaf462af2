// Limits of issue 6 at the SMTP dialogue: the bad-recipient throttle and a
// greeting without software name.
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingsInput } from '../../../engine/config/schema.ts';
import { codeOf, ehlo, HOST, RawClient, startRig, type Rig } from './harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});
const start = async (input: SettingsInput) => (rig = await startRig(input));

// needmailhelo, noetrn/ETRN and goaway: privacy.test.ts.

describe('badRcptThrottle', () => {
  it('after N refused recipients the session is throttled and says so in the log once', async () => {
    const r = await start({ smtp: { badRcptThrottle: 2 } });
    const c = await ehlo(r.listener.port, '127.0.0.2');
    await c.cmd('MAIL FROM:<a@example.com>');
    const got: string[] = [];
    for (const to of ['x@remote.example', 'y@remote.example', 'z@remote.example', 'bob@example.org']) got.push(codeOf(await c.cmd(`RCPT TO:<${to}>`)));
    c.end();
    // Still the same answers, only slower (a second each once throttled).
    expect(got).toEqual(['550 5.7.1', '550 5.7.1', '550 5.7.1', '250 2.1.5']);
    expect(r.logLines.filter((l) => l.includes('Possible SMTP RCPT flood, throttling: 2 bad recipients, relay=[127.0.0.2]'))).toHaveLength(1);
  });
  it('0 switches it off', async () => {
    const r = await start({ smtp: { badRcptThrottle: 0 } });
    const c = await ehlo(r.listener.port, '127.0.0.2');
    await c.cmd('MAIL FROM:<a@example.com>');
    for (const to of ['x@remote.example', 'y@remote.example', 'z@remote.example']) await c.cmd(`RCPT TO:<${to}>`);
    c.end();
    expect(r.logLines.some((l) => l.includes('RCPT flood'))).toBe(false);
  });
});

describe('what a stranger learns', () => {
  it('the greeting names the host, not the software', async () => {
    const r = await start({});
    const c = await RawClient.connect(r.listener.port);
    const greeting = await c.reply();
    c.end();
    expect(greeting).toBe(`220 ${HOST} ESMTP`);
  });
});
