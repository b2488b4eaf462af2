// What Sendmail and Postfix accept from local programs, through `mailstop sendmail`
// as a real subprocess against a running engine that relays to a loopback sink:
// a cron report with a progress bar and an over-long line, `-bs` with 8-bit bytes,
// DSN parameters and a DATA cut off by EOF, bad addresses refused at submission,
// Sendmail's harmless options accepted quietly, `mailq | head` ending quietly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runShell, startServe, startWorld, type Served, type World } from '../engine/cli/subprocess.ts';
import type { SinkMessage } from '../helpers/sink.ts';

let world: World;
let served: Served;

beforeAll(async () => {
  world = await startWorld();
  served = await startServe(world.home);
});
afterAll(async () => {
  await served?.stop();
  await world?.close();
});

/** Waits for the sink to receive a message whose envelope names `rcpt`. */
async function receivedFor(rcpt: string): Promise<SinkMessage> {
  for (let i = 0; i < 200; i++) {
    const m = world.sink.messages.find((x) => x.envelope.rcptTo.includes(rcpt));
    if (m) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing arrived for ${rcpt}`);
}

const bodyOf = (m: SinkMessage) => m.raw.subarray(m.raw.indexOf('\r\n\r\n') + 4);

describe('a local program\'s output is accepted and made safe', () => {
  it('a cron report with a progress bar (bare CR) and a 1500-octet line: exit 0, CR lines, folded', async () => {
    const long = 'L'.repeat(1500);
    const r = await runCli(world.home, ['sendmail', '-FCronDaemon', '-i', '-B8BITMIME', '-oem', '-odi', 'cron@dest.test'],
      `Subject: backup report\n\nprogress 10%\r20%\r100%\n${long}\n`);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const m = await receivedFor('cron@dest.test');
    expect(bodyOf(m).toString('latin1')).toBe(`progress 10%\r\n20%\r\n100%\r\n${'L'.repeat(998)}\r\n ${'L'.repeat(502)}\r\n`);
  });

  it('mutt\'s -oem -oi and -odb/-om are accepted without a word on stderr', async () => {
    const r = await runCli(world.home, ['sendmail', '-oem', '-oi', '-odb', '-om', '--', 'mutt@dest.test'], 'Subject: quiet\n\nhi\n');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    await receivedFor('mutt@dest.test');
  });
});

describe('bad addresses are refused at submission, nothing queued', () => {
  const cases: { name: string; args: string[]; input?: string; code: number; line: RegExp }[] = [
    { name: '-f <<>>@@garbage', args: ['-f', '<<>>@@garbage', 'x@dest.test'], code: 64, line: /^mailstop: bad sender address -f ".*": / },
    { name: 'a sender with a newline', args: ['-f', 'evil@x.test\nRCPT TO:<victim@y.test>', 'x@dest.test'], code: 64, line: /^mailstop: bad sender address -f "evil@x\.test\\x0aRCPT TO:<victim@y\.test>": contains a control character/ },
    { name: 'a recipient with two @', args: ['a@b@dest.test'], code: 64, line: /^mailstop: bad recipient address "a@b@dest\.test": / },
    { name: 'a recipient domain with an empty label', args: ['u@foo..dest.test'], code: 64, line: /"foo\.\.dest\.test" is not a valid domain/ },
    { name: '-t with a broken To:', args: ['-t'], input: 'To: good@dest.test, <bad@@x>\nSubject: t\n\nb\n', code: 65, line: /^mailstop: bad recipient address ".*" in the header \(-t\)/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, one line`, async () => {
      const before = world.sink.messages.length;
      const r = await runCli(world.home, ['sendmail', ...c.args], c.input ?? 'Subject: refused\n\nb\n');
      expect(r.code).toBe(c.code);
      expect(r.stderr.split('\n')[0]).toMatch(c.line);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const q = await runCli(world.home, ['mailq']);
      expect(q.stdout).toMatch(/is empty/);
      expect(world.sink.messages.length).toBe(before);
    });
  }
});

describe('sendmail -bs', () => {
  it('is binary-safe: Latin-1 bytes arrive byte for byte; RET, ENVID and NOTIFY are kept', async () => {
    const latin1 = Buffer.from('Caf\xe9 cr\xe8me \xfc\xdf\r\n', 'latin1');
    const dialogue = Buffer.concat([
      Buffer.from('EHLO client.local\r\nMAIL FROM:<bs@sender.test> BODY=8BITMIME RET=HDRS ENVID=env+2B42\r\n'
        + 'RCPT TO:<bs@dest.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bs@dest.test\r\nDATA\r\nSubject: latin1\r\n\r\n'),
      latin1,
      Buffer.from('..dot-stuffed\r\n.\r\nQUIT\r\n'),
    ]);
    const r = await runCli(world.home, ['sendmail', '-bs'], dialogue);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\r\n250 2\.0\.0 \w+ Message accepted for delivery\r\n221 /);
    const m = await receivedFor('bs@dest.test');
    expect(bodyOf(m).equals(Buffer.concat([latin1, Buffer.from('.dot-stuffed\r\n')]))).toBe(true);
    expect(m.dsn).toEqual({ ret: 'HDRS', envid: 'env+42' });
    expect(m.recipients[0].notify).toEqual(['SUCCESS', 'FAILURE']);
  });

  it('refuses a DATA cut off by end of input: nothing queued, exit 65', async () => {
    const before = world.sink.messages.length;
    const r = await runCli(world.home, ['sendmail', '-bs'],
      'EHLO c\r\nMAIL FROM:<cut@sender.test>\r\nRCPT TO:<cut@dest.test>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a mess');
    expect(r.code).toBe(65);
    expect(r.stderr).toBe('mailstop: input ended inside DATA (no "." line): message not queued\n');
    expect(r.stdout).not.toMatch(/^250 2\.0\.0 .*accepted/m);
    await new Promise((res) => setTimeout(res, 500));
    expect(world.sink.messages.length).toBe(before);
    expect((await runCli(world.home, ['mailq'])).stdout).toMatch(/is empty/);
  });

  it('answers bad addresses and parameters with the SMTP code that names them', async () => {
    const r = await runCli(world.home, ['sendmail', '-bs'],
      'EHLO c\r\nMAIL FROM:<a@@b>\r\nMAIL FROM:<ok@sender.test> RET=MAYBE\r\nMAIL FROM:<ok@sender.test> SIZE=999999999999\r\n'
      + 'MAIL FROM:<ok@sender.test>\r\nRCPT TO:<x@y..z>\r\nRCPT TO:<ok@dest.test> NOTIFY=NEVER,DELAY\r\nQUIT\r\n');
    const finals = r.stdout.split('\r\n').filter((l) => /^\d{3} /.test(l));
    expect(finals.map((l) => l.slice(0, 3))).toEqual(['220', '250', '553', '501', '552', '250', '553', '501', '221']);
    expect(finals[2]).toMatch(/^553 5\.1\.7 Bad sender address syntax/);
    expect(finals[3]).toBe('501 5.5.4 RET wants FULL or HDRS');
    expect(finals[4]).toMatch(/^552 5\.3\.4 /);
    expect(finals[6]).toBe('553 5.1.3 Bad recipient address syntax: "y..z" is not a valid domain');
  });
});

describe('mailq in a pipeline', () => {
  it('`mailq | head -c 100` ends quietly when head closes the pipe', async () => {
    // One queued message with 3000 recipients: a listing of ~130 KB, more than a pipe holds.
    // (Runs last: it leaves the engine in queueonly mode.)
    expect((await runCli(world.home, ['config', 'set', 'delivery.mode', 'queueonly'])).code).toBe(0);
    const rcpts = Array.from({ length: 3000 }, (_, i) => `r${i}@dest.test`);
    const sent = await runCli(world.home, ['sendmail', ...rcpts], 'Subject: many\n\nb\n');
    expect(sent.code).toBe(0);
    expect((await runCli(world.home, ['mailq'])).stdout.length).toBeGreaterThan(100_000);
    const r = await runShell(world.home, '$MAILSTOP mailq | head -c 100 | wc -c');
    expect(r).toMatchObject({ stdout: expect.stringMatching(/^\s*100\n$/), stderr: '' });
  });
});
