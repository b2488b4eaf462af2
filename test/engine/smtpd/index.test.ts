// smtpd over loopback with real clients (nodemailer's SMTPConnection and raw
// sockets for exact bytes), the real policy, cleanup, spool files and maillog.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpool } from '../../../engine/queue/spool.ts';
import { codeOf, ehlo, HOST, RawClient, startRig, type Rig } from './harness.ts';

let rig: Rig | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end();
  await rig?.close();
  rig = undefined;
});

async function start(...args: Parameters<typeof startRig>): Promise<Rig> {
  rig = await startRig(...args);
  return rig;
}
async function client(r: Rig, localAddress?: string): Promise<RawClient> {
  const c = await ehlo(r.listener.port, localAddress);
  clients.push(c);
  return c;
}

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello\r\n';

describe('smtpd greeting and EHLO', () => {
  it('greets with smtp.greeting and lists every extension', async () => {
    const r = await start({ smtp: { greeting: '$j ESMTP Mailstop ready', maxMessageSize: 1048576 } });
    const c = await RawClient.connect(r.listener.port);
    clients.push(c);
    expect(await c.reply()).toBe(`220 ${HOST} ESMTP Mailstop ready`);
    const got = (await c.cmd('EHLO client.example'))!.split('\n').map((l) => l.slice(4));
    expect(got).toEqual([
      `${HOST} Hello [127.0.0.1], pleased to meet you`,
      'PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'SIZE 1048576', 'ETRN',
    ]);
  });

  it('reports the real port when asked for port 0', async () => {
    const r = await start();
    expect(r.listener).toMatchObject({ name: 'smtp', address: '127.0.0.1' });
    expect(r.listener.port).toBeGreaterThan(0);
    expect(r.logLines.some((l) => l.includes(`smtp on 127.0.0.1 port ${r.listener.port}`))).toBe(true);
  });

  it('refuses an smtps listener without a certificate, naming the settings', async () => {
    const r = await start();
    await expect(r.smtpd.listen('smtps', '127.0.0.1', 0)).rejects.toThrow(/tls\.cert and tls\.key/);
  });
});

describe('smtpd accepts mail durably', () => {
  it('has the message in the spool before it answers 250 (raw client)', async () => {
    const r = await start();
    const c = await client(r);
    expect(codeOf(await c.cmd('MAIL FROM:<alice@example.com>'))).toBe('250 2.1.0');
    expect(codeOf(await c.cmd('RCPT TO:<bob@example.org>'))).toBe('250 2.1.5');
    expect(codeOf(await c.cmd('DATA'))).toBe('354');
    c.send(MESSAGE + '.\r\n');
    const reply = await c.reply();
    // Ask the spool the moment the reply arrives (its own API, not file names): the
    // entry is committed and its message readable in full.
    const listed = await createSpool(join(r.home, 'spool')).list();
    expect(reply).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Za-z]{14}$/);
    const id = reply!.split(' ').pop()!;
    expect(listed.map((e) => ({ id: e.id, sender: e.sender, rcpts: e.recipients.map((x) => x.address) })))
      .toEqual([{ id, sender: 'alice@example.com', rcpts: ['bob@example.org'] }]);
    const stored = Buffer.concat(await createSpool(join(r.home, 'spool')).open(id).toArray()).toString();
    expect(stored).toContain('Subject: hi\r\n\r\nHello\r\n');
    expect(r.logLines.some((l) => l.includes(`${id}: from=<alice@example.com>`))).toBe(true);
  });

  it('takes a message from nodemailer with DSN parameters into the entry', async () => {
    const r = await start();
    const conn = new SMTPConnection({ host: '127.0.0.1', port: r.listener.port, ignoreTLS: true, name: 'client.example' });
    await new Promise<void>((resolve, reject) => {
      conn.once('error', reject);
      conn.connect(() => resolve());
    });
    const info = await new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) =>
      conn.send(
        { from: 'alice@example.com', to: ['bob@example.org'], dsn: { ret: 'HDRS', envid: 'ENV-7', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;bob@example.org' } },
        MESSAGE,
        (err, i) => (err ? reject(err) : resolve(i)),
      ),
    );
    conn.quit();
    expect(info.accepted).toEqual(['bob@example.org']);
    const [entry] = await r.spool.list();
    expect(entry).toMatchObject({
      sender: 'alice@example.com', ret: 'HDRS', envid: 'ENV-7', state: 'active',
      recipients: [{ address: 'bob@example.org', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;bob@example.org', status: 'pending' }],
      client: { address: '127.0.0.1', helo: 'client.example', protocol: 'ESMTP', daemon: 'smtp' },
    });
    expect(info.response).toBe(`250 2.0.0 Ok: queued as ${entry.id}`);
  });

  it('accepts several messages in one session', async () => {
    const r = await start();
    const c = await client(r);
    for (let i = 0; i < 3; i++) {
      c.send(`MAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n`);
      expect([await c.reply(), await c.reply(), await c.reply()].map(codeOf)).toEqual(['250 2.1.0', '250 2.1.5', '354']);
      c.send(`Subject: ${i}\r\n\r\nbody\r\n.\r\n`);
      expect(codeOf(await c.reply())).toBe('250 2.0.0');
    }
    expect(await r.committed()).toHaveLength(3);
  });
});

describe('smtpd refuses SMTP smuggling (CVE-2023-51764 family)', () => {
  // Each payload tries to end DATA early and smuggle a second message in. smtp-server
  // only ends DATA at <CRLF>.<CRLF>, so the smuggled commands stay inside the one
  // DATA, which cleanup refuses because of the bare CR/LF/NUL.
  const smuggled = 'MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n';
  const cases = [
    { name: '\\n.\\n', payload: `Subject: x\r\n\r\nhello\n.\n${smuggled}`, want: '550 5.5.2' },
    { name: '\\r.\\r', payload: `Subject: x\r\n\r\nhello\r.\r${smuggled}`, want: '550 5.5.2' },
    { name: '\\n.\\r\\n', payload: `Subject: x\r\n\r\nhello\n.\r\n${smuggled}`, want: '550 5.5.2' },
    { name: '\\r.\\r\\n', payload: `Subject: x\r\n\r\nhello\r.\r\n${smuggled}`, want: '550 5.5.2' },
    { name: '\\r\\n\\x00.\\r\\n', payload: `Subject: x\r\n\r\nhello\r\n\x00.\r\n${smuggled}`, want: '550 5.6.0' },
    { name: 'bare LF in a header', payload: `Subject: x\nX-Evil: y\r\n\r\nhello\r\n`, want: '550 5.5.2' },
  ];
  for (const c of cases) {
    it(`${c.name}: one refusal, nothing stored, no second message`, async () => {
      const r = await start();
      const cl = await client(r);
      cl.send('MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n');
      expect([await cl.reply(), await cl.reply(), await cl.reply()].map(codeOf)).toEqual(['250 2.1.0', '250 2.1.5', '354']);
      cl.send(c.payload + '.\r\n');
      const got = await cl.reply();
      expect(codeOf(got)).toBe(c.want);
      // The smuggled commands were data, not commands: the next reply answers our NOOP.
      expect(codeOf(await cl.cmd('NOOP'))).toBe('250 2.0.0');
      expect(await r.committed()).toEqual([]);
      expect(r.queued).toEqual([]);
    });
  }
});

describe('smtpd limits', () => {
  it('refuses SIZE= above the limit at MAIL FROM with 552 5.3.4', async () => {
    const r = await start({ smtp: { maxMessageSize: 2048 } });
    const c = await client(r);
    expect(codeOf(await c.cmd('MAIL FROM:<a@example.com> SIZE=4096'))).toBe('552 5.3.4');
    expect(codeOf(await c.cmd('MAIL FROM:<a@example.com> SIZE=1024'))).toBe('250 2.1.0');
  });

  it('answers an oversized DATA with 552 5.3.4 after the terminator and stores nothing', async () => {
    const r = await start({ smtp: { maxMessageSize: 2048 } });
    const c = await client(r);
    c.send('MAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n');
    await c.reply(); await c.reply(); await c.reply();
    c.send(`Subject: big\r\n\r\n${'0123456789012345678901234567890123456789\r\n'.repeat(500)}.\r\n`);
    expect(codeOf(await c.reply())).toBe('552 5.3.4');
    expect(codeOf(await c.cmd('NOOP'))).toBe('250 2.0.0');
    expect(await r.committed()).toEqual([]);
  });

  it('accepts 100 recipients and answers the 101st with 452 4.5.3', async () => {
    const r = await start();
    const c = await client(r);
    let batch = 'MAIL FROM:<a@example.com>\r\n';
    for (let i = 1; i <= 101; i++) batch += `RCPT TO:<u${i}@example.org>\r\n`;
    c.send(batch); // PIPELINING: all at once
    const replies: string[] = [];
    for (let i = 0; i < 102; i++) replies.push(codeOf(await c.reply()));
    expect(replies.slice(0, 101).every((x) => x.startsWith('250'))).toBe(true);
    expect(replies[101]).toBe('452 4.5.3');
    c.send('DATA\r\n');
    expect(codeOf(await c.reply())).toBe('354');
    c.send('Subject: many\r\n\r\nb\r\n.\r\n');
    expect(codeOf(await c.reply())).toBe('250 2.0.0');
    const [entry] = await r.spool.list();
    expect(entry.recipients).toHaveLength(100);
  });

  const dataRefusals = [
    { name: 'a line over 998 octets', payload: `Subject: x\r\n\r\n${'y'.repeat(1200)}\r\n`, want: '554 5.6.0' },
    { name: 'more than 50 Received headers', payload: `${'Received: from a by b\r\n'.repeat(51)}\r\nloop\r\n`, want: '554 5.4.6' },
    { name: 'headers over smtp.maxHeadersLength', payload: `${'X-Pad: 01234567890123456789\r\n'.repeat(80)}\r\nb\r\n`, want: '552 5.6.0' },
  ];
  for (const d of dataRefusals) {
    it(`refuses ${d.name} with ${d.want}`, async () => {
      const r = await start({ smtp: { maxHeadersLength: 2048 } });
      const c = await client(r);
      c.send('MAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n');
      await c.reply(); await c.reply(); await c.reply();
      c.send(d.payload + '.\r\n');
      expect(codeOf(await c.reply())).toBe(d.want);
      expect(await r.committed()).toEqual([]);
    });
  }

  it('answers MAIL FROM with 452 4.3.1 when the spool disk is below smtp.minFreeBlocks', async () => {
    // 1 PiB free: more than this disk has (and the ceiling of the setting, issue 11 §4).
    const r = await start({ smtp: { minFreeBlocks: 2 ** 40 } });
    const c = await client(r);
    expect(await c.cmd('MAIL FROM:<a@example.com>')).toBe('452 4.3.1 Insufficient system storage; please try again later');
    expect(codeOf(await c.cmd('RCPT TO:<bob@example.org>'))).toBe('503 5.5.1');
    expect(await r.committed()).toEqual([]);
  });

  it('closes the session with 421 4.7.0 after smtp.maxErrors errors', async () => {
    const r = await start({ smtp: { maxErrors: 3 } });
    const c = await client(r);
    const got = [await c.cmd('FOO'), await c.cmd('GET / HTTP/1.0x'), await c.cmd('MAIL FROM:bad')].map(codeOf);
    expect(got).toEqual(['500 5.5.2', '500 5.5.2', '501 5.1.7']);
    expect(await c.reply()).toBe(`421 4.7.0 ${HOST} Too many errors; closing connection`);
    await c.waitClosed();
    expect(c.closed).toBe(true);
  });

  it('keeps counting past smtp-server\'s own limit of 10 when maxErrors is higher', async () => {
    const r = await start({ smtp: { maxErrors: 12 } });
    const c = await client(r);
    const got: string[] = [];
    for (let i = 0; i < 11; i++) got.push(codeOf(await c.cmd(`BOGUS${i}`)));
    expect(got.every((x) => x === '500 5.5.2')).toBe(true);
    expect(codeOf(await c.cmd('BOGUS'))).toBe('500 5.5.2');
    expect(codeOf(await c.reply())).toBe('421 4.7.0');
  });

  it('refuses connections beyond smtp.maxDaemonChildren with 421 4.3.2', async () => {
    const r = await start({ smtp: { maxDaemonChildren: 1 } });
    await client(r);
    const second = await RawClient.connect(r.listener.port);
    clients.push(second);
    expect(codeOf(await second.reply())).toBe('421 4.3.2');
    await second.waitClosed();
  });
});

describe('smtpd relay control (policy wired in)', () => {
  const cases = [
    { name: 'stranger 127.0.0.2 to a remote domain', from: '127.0.0.2', rcpt: 'x@remote.example', want: '550 5.7.1' },
    { name: 'stranger 127.0.0.2 to a local domain', from: '127.0.0.2', rcpt: 'bob@example.org', want: '250 2.1.5' },
    { name: 'stranger 127.0.0.2, percent hack through a local domain', from: '127.0.0.2', rcpt: 'x%remote.example@example.org', want: '550 5.7.1' },
    { name: 'stranger 127.0.0.2, source route to a local domain', from: '127.0.0.2', rcpt: '@example.org:x@remote.example', want: '550 5.7.1' },
    { name: 'stranger 127.0.0.2, source route hiding a remote hop', from: '127.0.0.2', rcpt: '@remote.example:bob@example.org', want: '550 5.7.1' },
    { name: 'local machine 127.0.0.1 to a remote domain', from: '127.0.0.1', rcpt: 'x@remote.example', want: '250 2.1.5' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await start();
      const cl = await client(r, c.from);
      expect(codeOf(await cl.cmd('MAIL FROM:<a@elsewhere.example>'))).toBe('250 2.1.0');
      const got = await cl.cmd(`RCPT TO:<${c.rcpt}>`);
      expect(codeOf(got)).toBe(c.want);
    });
  }

  it('relays for a network listed in domains.relay', async () => {
    const r = await start({ domains: { local: ['example.org'], relay: ['127.0.0.0/29'] } });
    const cl = await client(r, '127.0.0.2');
    await cl.cmd('MAIL FROM:<a@example.com>');
    expect(codeOf(await cl.cmd('RCPT TO:<x@remote.example>'))).toBe('250 2.1.5');
  });

  it('logs the refusal Sendmail-style', async () => {
    const r = await start();
    const cl = await client(r, '127.0.0.2');
    await cl.cmd('MAIL FROM:<a@example.com>');
    expect(await cl.cmd('RCPT TO:<x@remote.example>')).toBe('550 5.7.1 <x@remote.example>... Relaying denied');
    await r.log.tail(1);
    expect(r.logLines.some((l) => l.includes('ruleset=check_rcpt, arg1=<x@remote.example>, relay=[127.0.0.2], reject=550 5.7.1'))).toBe(true);
  });
});

describe('smtpd privacy and HELP', () => {
  const cases = [
    { name: 'HELP with smtp.help false', settings: { help: false }, cmd: 'HELP', want: '502 5.5.1' },
    { name: 'HELP with smtp.help true', settings: { help: true }, cmd: 'HELP', want: '214 2.0.0' },
    { name: 'EXPN with noexpn', settings: { privacy: ['noexpn' as const] }, cmd: 'EXPN staff', want: '502 5.7.0' },
    { name: 'VRFY with novrfy', settings: { privacy: ['novrfy' as const] }, cmd: 'VRFY bob', want: '252 2.5.2' },
    { name: 'EXPN with goaway', settings: { privacy: ['goaway' as const] }, cmd: 'EXPN staff', want: '502 5.7.0' },
    { name: 'AUTH is not offered yet', settings: {}, cmd: 'AUTH PLAIN AGJvYgBzZWNyZXQ=', want: '500 5.5.2' },
    { name: 'STARTTLS without a certificate', settings: {}, cmd: 'STARTTLS', want: '500 5.5.2' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await start({ smtp: c.settings });
      const cl = await client(r);
      expect(codeOf(await cl.cmd(c.cmd))).toBe(c.want);
    });
  }
});

describe('smtpd golden dialogue (a stranger on 127.0.0.2)', () => {
  // Postfix smtpd_check.in/.ref style: every command with its exact reply.
  const golden: [string, string][] = [
    ['HELO client.example', `250 ${HOST} Hello [127.0.0.2], pleased to meet you`],
    ['MAIL FROM:<a@elsewhere.example>', '250 2.1.0 Accepted'],
    ['RCPT TO:<x@remote.example>', '550 5.7.1 <x@remote.example>... Relaying denied'],
    ['RCPT TO:<x%remote.example@example.org>', '550 5.7.1 <x%remote.example@example.org>... Relaying denied (percent hack not allowed)'],
    ['RCPT TO:<bob@example.org>', '250 2.1.5 Accepted'],
    ['VRFY bob', '252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery'],
    ['EXPN staff', '502 5.7.0 Sorry, we do not allow this operation'],
    ['HELP', '502 5.5.1 HELP not implemented'],
    ['NOOP', '250 2.0.0 OK'],
    ['RSET', '250 2.0.0 Flushed'],
    ['DATA', '503 5.5.1 Error: need RCPT command'],
    ['FOO', '500 5.5.2 Error: command not recognized'],
    ['QUIT', '221 2.0.0 Bye'],
  ];
  it('matches the reference transcript', async () => {
    const r = await start({ smtp: { maxErrors: 20 } });
    const c = await RawClient.connect(r.listener.port, '127.0.0.2');
    clients.push(c);
    const got: [string, string][] = [];
    expect(await c.reply()).toBe(`220 ${HOST} ESMTP`);
    for (const [cmd] of golden) got.push([cmd, (await c.cmd(cmd)) ?? 'closed']);
    expect(got).toEqual(golden);
  });
});

describe('smtpd with swaks (a third-party client)', () => {
  it.skipIf(!existsSync('/usr/bin/swaks'))('delivers a message into the spool', async () => {
    const r = await start();
    const out = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/swaks', ['--server', `127.0.0.1:${r.listener.port}`, '--from', 'a@example.com', '--to', 'bob@example.org', '--helo', 'client.example', '--pipeline'],
        (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const [entry] = await r.spool.list();
    expect(out).toContain(`<-  250 2.0.0 Ok: queued as ${entry.id}`);
    expect(entry.recipients.map((x) => x.address)).toEqual(['bob@example.org']);
  });
});
