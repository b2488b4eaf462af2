// Virtual users (virtusertable / virtual_alias_maps) over real SMTP: RCPT to a
// virtual address is accepted and the message lands in the right Maildir; a
// catch-all forwards the rest of its domain (with %1); an error: entry and an
// unknown user in a virtual-only domain are refused at RCPT (no backscatter).
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;

async function mailbox(user: string): Promise<string> {
  const dir = path.join(h.home, 'mail', user);
  for (const sub of ['new', 'cur', 'tmp']) await fs.mkdir(path.join(dir, sub), { recursive: true });
  return path.join(dir, 'new');
}

beforeAll(async () => {
  h = await startHarness({
    settings: () => ({
      domains: { local: ['office.test'] },
      virtual: {
        'info@shop.test': ['alice'],
        'sales@shop.test': ['bob', 'alice@office.test'],
        'gone@shop.test': ['error:nouser This address is no longer in use'],
        '@catch.test': ['%1@dest.test'],
        'help@office.test': ['bob'],
      },
    }),
  });
  await mailbox('alice');
  await mailbox('bob');
});
afterAll(async () => { await h.stop(); });

/** The reply line to each RCPT in one SMTP dialogue. */
async function rcptReplies(recipients: string[]): Promise<string[]> {
  const sock = net.connect(h.smtpPort, '127.0.0.1');
  let buf = '';
  const next = () => new Promise<string>((resolve) => {
    const check = () => {
      const m = /^(\d{3}) .*\r\n/m.exec(buf);
      if (!m) return void sock.once('data', (d) => { buf += d; check(); });
      buf = buf.slice(buf.indexOf(m[0]) + m[0].length);
      resolve(m[0].trim());
    };
    check();
  });
  await next();
  sock.write('EHLO client.test\r\n'); await next();
  sock.write('MAIL FROM:<someone@sender.test>\r\n'); await next();
  const got: string[] = [];
  for (const r of recipients) { sock.write(`RCPT TO:<${r}>\r\n`); got.push(await next()); }
  sock.end('QUIT\r\n');
  return got;
}

describe('virtual users at RCPT', () => {
  it('accepts virtual addresses and catch-alls, refuses error: entries and unknown users of a virtual domain', async () => {
    const cases = [
      { rcpt: 'info@shop.test', want: /^250 / },
      { rcpt: 'Sales@Shop.test', want: /^250 / },
      { rcpt: 'anyone@catch.test', want: /^250 / },
      { rcpt: 'help@office.test', want: /^250 / },
      { rcpt: 'gone@shop.test', want: /^550 5\.1\.1 .*no longer in use/ },
      { rcpt: 'nobody@shop.test', want: /^550 5\.1\.1 .*User unknown/ },
    ];
    const got = await rcptReplies(cases.map((c) => c.rcpt));
    got.forEach((line, i) => expect(line, cases[i].rcpt).toMatch(cases[i].want));
  });
});

describe('virtual users delivered', () => {
  it('puts each message in the mailbox the virtual entry names, and forwards the catch-all with the local part', async () => {
    const aliceBox = await mailbox('alice');
    const bobBox = await mailbox('bob');
    await h.send('carol@sender.test', ['info@shop.test']);
    await h.send('carol@sender.test', ['sales@shop.test']);
    await h.send('carol@sender.test', ['anyone@catch.test']);
    await h.engine.whenIdle();
    // info → alice; sales → bob and alice (alice once per message).
    expect(await fs.readdir(aliceBox)).toHaveLength(2);
    expect(await fs.readdir(bobBox)).toHaveLength(1);
    const [fwd] = await h.sink.waitForMessages(1);
    expect(fwd.envelope.rcptTo).toEqual(['anyone@dest.test']);
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('shows the virtual step in the address tester trace', async () => {
    const r = await h.engine.testAddress('sales@shop.test');
    expect(r.trace.map((s) => `${s.stage}: ${s.detail}`)).toEqual(expect.arrayContaining([
      'virtual: sales@shop.test → bob, alice@office.test',
      'verdict: deliver via local to mailbox bob',
      'verdict: deliver via local to mailbox alice',
    ]));
  });
});
