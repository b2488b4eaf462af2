// Issue 11 §3 with real parts: a peer (test/helpers/scripted-smtp.ts) answers RCPT
// with terminal controls — `ESC]0;title BEL` (set the window title), `ESC[2J`
// (clear the screen), NUL, a bare CR — and the message stays queued. `mailq`,
// `mailq --json` and the maillog, read through the real `mailstop` command, show
// that text escaped and carry no control byte. And what we send to SMTP clients
// is ASCII: a reply that quotes RFC sections or a client's address never carries
// `§`, ESC or UTF-8.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type Served } from '../engine/cli/subprocess.ts';
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.ts';

const HOSTILE = '451 4.7.1 \x1b]0;pwned\x07\x1b[2J greylisted\x00 \rtry later';
/** What an administrator must see instead: every control shown escaped. */
const SHOWN = '451 4.7.1 \\x1b]0;pwned\\x07\\x1b[2J greylisted\\x00 \\x0dtry later';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

let home: string;
let peer: ScriptedSmtp;
let served: Served;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-hostile-'));
  peer = await startScriptedSmtp({ on: { RCPT: HOSTILE } });
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
    hostname: 'mta.test',
    listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
    console: { port: false },
    dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
    routes: [{ domain: 'hostile.test', mailer: 'esmtp', host: '[127.0.0.1]', port: peer.port }],
    delivery: { mode: 'background', minBackoff: '1h', maxBackoff: '2h', connectTimeout: '5s' },
  }));
  served = await startServe(home);
}, 60_000);

afterAll(async () => {
  await served?.stop();
  await peer?.close();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

/** Polls `mailq` until the peer's reply is recorded (delivery runs in the background). */
async function mailqWithReason(): Promise<string> {
  let out = '';
  for (let i = 0; i < 100; i++) {
    out = (await runCli(home, ['mailq'])).stdout;
    if (out.includes('greylisted')) return out;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the peer's reply never reached mailq:\n${out}`);
}

describe('a peer replying with terminal controls', () => {
  it('mailq, mailq --json and the maillog show the reply escaped, with no control byte', async () => {
    const sent = await runCli(home, ['sendmail', '-f', 'alice@mta.test', 'bob@hostile.test'], 'Subject: hi\n\nhello\n');
    expect(sent.code).toBe(0);

    const mailq = await mailqWithReason();
    expect(mailq).not.toMatch(CONTROL);
    // Sendmail's status line keeps its 60-character cut; what it shows is the escaped text.
    expect(mailq).toContain(`(Deferred: ${SHOWN}`.slice(0, 61));
    expect(mailq).toContain('<bob@hostile.test>');

    const json = await runCli(home, ['mailq', '--json']);
    expect(json.stdout).not.toMatch(CONTROL);
    const entry = JSON.parse(json.stdout.trim()) as { recipients: { address: string; delay_reason?: string }[] };
    // Even decoded, the value holds no control character: it was made inert when it entered.
    expect(entry.recipients[0].delay_reason).toBe(SHOWN);

    const log = await fs.readFile(path.join(home, 'log', 'maillog'), 'utf8');
    expect(log).not.toMatch(CONTROL);
    const line = log.split('\n').find((l) => l.includes('to=<bob@hostile.test>') && l.includes('stat=Deferred'));
    expect(line).toContain('\\x1b]0;pwned\\x07\\x1b[2J greylisted\\x00 \\x0dtry later');
    // One log line per event: the reply's CR did not start another.
    expect(log.split('\n').filter((l) => l.includes('try later'))).toHaveLength(1);
  }, 60_000);
});

/** A raw SMTP client, one command at a time: everything the server sent, as bytes. */
async function dialogue(port: number, commands: string[]): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const replies = () => (Buffer.concat(chunks).toString('latin1').match(/^\d{3} .*\r\n/gm) ?? []).length;
  const waitFor = async (n: number) => {
    for (let i = 0; i < 400 && replies() < n; i++) await new Promise((r) => setTimeout(r, 25));
    if (replies() < n) throw new Error(`no reply ${n}:\n${Buffer.concat(chunks).toString('latin1')}`);
  };
  try {
    await waitFor(1);
    // Each write here ends in exactly one final reply (the DATA content with its dot, too).
    for (const [i, c] of commands.entries()) {
      socket.write(c);
      await waitFor(i + 2);
    }
  } finally {
    socket.destroy();
  }
  return Buffer.concat(chunks);
}

describe('what we send to SMTP clients', () => {
  it('is ASCII even when the reply quotes an RFC section or a hostile address', async () => {
    const port = served.ports.smtp;
    const got = await dialogue(port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<"evil\x1b[2J"@client.test>\r\n',
      'MAIL FROM:<alice@client.test>\r\n',
      'RCPT TO:<"x\x07"@mta.test>\r\n',
      'RCPT TO:<postmaster@mta.test>\r\n',
      'DATA\r\n',
      // A bare LF in the body: refused with a reply that cites RFC 5321 §2.3.8.
      'Subject: x\r\n\r\nbare\nLF\r\n.\r\n',
      'QUIT\r\n',
    ]);
    const text = got.toString('latin1');
    expect([...got].every((b) => b < 0x80)).toBe(true);
    expect(text.replace(/\r\n/g, '\n')).not.toMatch(CONTROL);
    // smtp-server's own parser, or ours behind it, refuses a path with a control character.
    expect(text).toMatch(/^5\d\d 5\.1\.7 .*[Bb]ad .*address syntax.*\r$/m);
    expect(text).toMatch(/^5\d\d 5\.1\.3 .*[Bb]ad .*address syntax.*\r$/m);
    expect(text).toMatch(/bare <LF> received.*RFC 5321 section 2\.3\.8/);
  }, 60_000);
});
