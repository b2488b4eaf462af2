// Unknown local users are refused at RCPT (550 5.1.1), as Sendmail does, so a
// forged sender never receives a bounce for them (backscatter); known users,
// aliases and remote recipients are accepted as before.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index.ts';

let home: string;
let engine: Engine;
let port: number;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-rcpt-'));
  engine = await createEngine({
    home, timers: false, passwdFile: '',
    settings: {
      hostname: 'mta.test', domains: { local: ['office.test'] },
      listen: { smtp: 0, submission: false, smtps: false },
      aliases: { postmaster: ['alice'], sales: ['alice', 'bob@remote.test'] },
      forwards: { alice: ['\\alice'] },
      delivery: { mode: 'queueonly' },
    },
  });
  await engine.start();
  port = (await engine.status()).listeners.find((l) => l.name === 'smtp')!.port;
});
afterAll(async () => {
  await engine.stop();
  await fs.rm(home, { recursive: true, force: true });
});

/** One SMTP dialogue; returns the reply line to each RCPT (and then tries DATA when asked). */
async function rcptReplies(recipients: string[], data = false): Promise<string[]> {
  const sock = net.connect(port, '127.0.0.1');
  let buf = '';
  const next = () => new Promise<string>((resolve) => {
    const check = () => {
      const m = /^(\d{3}) .*\r\n/m.exec(buf);
      if (!m) return void sock.once('data', (d) => { buf += d; check(); });
      const end = buf.indexOf(m[0]) + m[0].length;
      const line = m[0].trim();
      buf = buf.slice(end);
      resolve(line);
    };
    check();
  });
  await next();
  sock.write('EHLO client.test\r\n'); await next();
  sock.write('MAIL FROM:<someone@remote.test>\r\n'); await next();
  const got: string[] = [];
  for (const r of recipients) { sock.write(`RCPT TO:<${r}>\r\n`); got.push(await next()); }
  if (data) {
    sock.write('DATA\r\n');
    if ((await next()).startsWith('354')) { sock.write('Subject: x\r\n\r\nbody\r\n.\r\n'); got.push(await next()); }
  }
  sock.end('QUIT\r\n');
  return got;
}

describe('RCPT to our domains', () => {
  const cases = [
    { rcpt: 'nobody@office.test', want: /^550 5\.1\.1 .*nobody@office\.test.*User unknown/i },
    { rcpt: 'nobody@localhost', want: /^550 5\.1\.1 / },
    { rcpt: 'postmaster@office.test', want: /^250 / },
    { rcpt: 'sales@office.test', want: /^250 / },
    { rcpt: 'alice@office.test', want: /^250 / },
  ];
  it('refuses unknown users and accepts aliases, forwards and postmaster', async () => {
    const got = await rcptReplies(cases.map((c) => c.rcpt));
    got.forEach((line, i) => expect(line, cases[i].rcpt).toMatch(cases[i].want));
  });

  it('queues nothing for a refused recipient', async () => {
    const got = await rcptReplies(['ghost@office.test'], true);
    expect(got[0]).toMatch(/^550 /);
    expect((await engine.listQueue()).length).toBe(0);
  });
});

describe('postmaster', () => {
  it('is accepted even without an alias that resolves (RFC 5321 §4.5.1)', async () => {
    await engine.updateSettings({ aliases: {} });
    const got = await rcptReplies(['postmaster@office.test', 'Postmaster@mta.test']);
    expect(got).toEqual([expect.stringMatching(/^250 /), expect.stringMatching(/^250 /)]);
  });
});
