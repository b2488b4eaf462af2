// The maillog as scripts read it: golden lines in Sendmail's layout written to a
// real file under a fixed clock, the live echo, and tail over a real file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryResult, QueueEntry } from '../../../engine/contracts.ts';
import { createMailLog, type MailLog } from '../../../engine/log/maillog.ts';

// Local-time parts: syslog prefixes are local time, so the goldens hold in any TZ.
const NOW = new Date(2024, 8, 10, 22, 23, 41).getTime();
const PREFIX = 'Sep 10 22:23:41 host mailstop[3305]:';

let home: string;
let log: MailLog;
let echoed: string[];
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-log-'));
  echoed = [];
  log = createMailLog({ file: join(home, 'log', 'maillog'), hostname: 'host', pid: 3305, now: () => NOW, onLine: (l) => echoed.push(l) });
});
afterEach(async () => {
  await log.close();
  await rm(home, { recursive: true, force: true });
});

function entry(over: Partial<QueueEntry> = {}): QueueEntry {
  return {
    id: 'l8B2NcOC003305', sender: 'abhi@home', arrivalTime: NOW - 3000, size: 284, state: 'active', group: 'default',
    attempts: 0, nextAttempt: 0, messageId: '<200709110223.l8B2NcOC003305@home>',
    client: { address: '127.0.0.1', hostname: 'localhost', protocol: 'ESMTP', daemon: 'smtp' },
    recipients: [{ address: 'ajzone@gmail.com', status: 'pending' }], ...over,
  };
}

describe('from= lines', () => {
  const table: { name: string; entry: QueueEntry; want: string }[] = [
    { name: 'SMTP client with a known name', entry: entry(),
      want: 'l8B2NcOC003305: from=<abhi@home>, size=284, class=0, nrcpts=1, msgid=<200709110223.l8B2NcOC003305@home>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]' },
    { name: 'submission port, no reverse name', entry: entry({ client: { address: '192.0.2.7', protocol: 'ESMTPA', daemon: 'submission' } }),
      want: 'l8B2NcOC003305: from=<abhi@home>, size=284, class=0, nrcpts=1, msgid=<200709110223.l8B2NcOC003305@home>, proto=ESMTPA, daemon=MSA, relay=[192.0.2.7]' },
    { name: 'sendmail CLI', entry: entry({ client: { address: '', protocol: 'local', daemon: 'cli' }, messageId: undefined }),
      want: 'l8B2NcOC003305: from=<abhi@home>, size=284, class=0, nrcpts=1, relay=localhost' },
    { name: 'null sender bounce, two recipients',
      entry: entry({ sender: '', client: { address: '', protocol: 'local', daemon: 'bounce' }, messageId: 'x@y',
        recipients: [{ address: 'a@x', status: 'pending' }, { address: 'b@x', status: 'pending' }] }),
      want: 'l8B2NcOC003305: from=<>, size=284, class=0, nrcpts=2, msgid=<x@y>, relay=localhost' },
  ];
  for (const c of table) {
    it(c.name, () => {
      const got = log.fromLine(c.entry);
      expect(got).toBe(`${PREFIX} ${c.want}`);
    });
  }
});

describe('to= lines', () => {
  const x = { mailer: 'esmtp', relay: 'mx.gmail.com. [192.0.2.25]', attemptStart: NOW };
  const table: { name: string; r: DeliveryResult; x?: typeof x; want: string }[] = [
    { name: 'sent',
      r: { address: 'ajzone@gmail.com', status: 'sent', reply: '250 2.0.0 l8B2Nfc7003308 Message accepted for delivery', dsnStatus: '2.0.0' },
      want: 'to=<ajzone@gmail.com>, delay=00:00:03, xdelay=00:00:00, mailer=esmtp, pri=30284, relay=mx.gmail.com. [192.0.2.25], dsn=2.0.0, stat=Sent (l8B2Nfc7003308 Message accepted for delivery)' },
    { name: 'deferred',
      r: { address: 'ajzone@gmail.com', status: 'deferred', reply: '451 4.3.0 Try again later', dsnStatus: '4.3.0' },
      want: 'to=<ajzone@gmail.com>, delay=00:00:03, xdelay=00:00:00, mailer=esmtp, pri=30284, relay=mx.gmail.com. [192.0.2.25], dsn=4.3.0, stat=Deferred: 451 4.3.0 Try again later' },
    { name: 'deferred, no connection, relay from the result',
      r: { address: 'ajzone@gmail.com', status: 'deferred', reply: 'Connection refused by 127.0.0.1', dsnStatus: '4.4.1', remoteMta: '[127.0.0.1]' },
      x: { mailer: 'esmtp', attemptStart: NOW - 2000 } as typeof x,
      want: 'to=<ajzone@gmail.com>, delay=00:00:03, xdelay=00:00:02, mailer=esmtp, pri=30284, relay=[127.0.0.1], dsn=4.4.1, stat=Deferred: Connection refused by 127.0.0.1' },
    { name: 'bounced',
      r: { address: 'ajzone@gmail.com', status: 'bounced', reply: '550 5.1.1 <ajzone@gmail.com>... User unknown', dsnStatus: '5.1.1' },
      want: 'to=<ajzone@gmail.com>, delay=00:00:03, xdelay=00:00:00, mailer=esmtp, pri=30284, relay=mx.gmail.com. [192.0.2.25], dsn=5.1.1, stat=User unknown' },
    { name: 'a reply cannot forge a second log line',
      r: { address: 'ajzone@gmail.com', status: 'bounced', reply: '550 5.7.1 no\r\nSep 10 22:23:41 host mailstop[1]: fake', dsnStatus: '5.7.1' },
      want: 'to=<ajzone@gmail.com>, delay=00:00:03, xdelay=00:00:00, mailer=esmtp, pri=30284, relay=mx.gmail.com. [192.0.2.25], dsn=5.7.1, stat=no Sep 10 22:23:41 host mailstop[1]: fake' },
  ];
  for (const c of table) {
    it(c.name, () => {
      const got = log.toLine(entry(), c.r, c.x ?? x);
      expect(got).toBe(`${PREFIX} l8B2NcOC003305: ${c.want}`);
    });
  }

  it('priority grows with recipients and attempts, like Sendmail', () => {
    const r: DeliveryResult = { address: 'a@x', status: 'sent', reply: '250 ok', dsnStatus: '2.0.0' };
    const e = entry({ attempts: 2, recipients: [{ address: 'a@x', status: 'pending' }, { address: 'b@x', status: 'pending' }] });
    expect(log.toLine(e, r, { mailer: 'local', attemptStart: NOW })).toContain(', pri=240284, dsn=2.0.0, stat=Sent (ok)');
  });
});

describe('file, echo and tail', () => {
  it('appends every line, in order, to <home>/log/maillog and echoes it', async () => {
    log.info(null, 'starting daemon (8.0): SMTP on 127.0.0.1:2525');
    const from = log.fromLine(entry());
    log.info('l8B2NcOC003305', 'DSN: Return receipt');
    await log.close();
    const file = await readFile(join(home, 'log', 'maillog'), 'utf8');
    const want = [
      `${PREFIX} starting daemon (8.0): SMTP on 127.0.0.1:2525`,
      from,
      `${PREFIX} l8B2NcOC003305: DSN: Return receipt`,
    ];
    expect(file).toBe(want.join('\n') + '\n');
    expect(echoed).toEqual(want);
  });

  it('tail returns the newest lines, filtered, across read chunks', async () => {
    // Pre-existing content far larger than one 64 KiB read, with multi-byte text.
    const old = Array.from({ length: 3000 }, (_, i) => `old ${i} ${i % 7 === 0 ? 'QIDSEVEN' : 'other'} caf\u00e9 ${'.'.repeat(40)}`);
    await log.close();
    const file = join(home, 'log', 'maillog');
    await mkdir(join(home, 'log'));
    await writeFile(file, old.join('\n') + '\n');
    for (let i = 0; i < 50; i++) log.info(i % 2 ? 'QIDODD' : 'QIDEVEN', `line ${i}`);

    const last = await log.tail(3);
    expect(last).toEqual([`${PREFIX} QIDODD: line 47`, `${PREFIX} QIDEVEN: line 48`, `${PREFIX} QIDODD: line 49`]);

    const sevens = await log.tail(1000, 'QIDSEVEN');
    const want = old.filter((l) => l.includes('QIDSEVEN'));
    expect(sevens).toEqual(want);
    expect(sevens[0]).toBe(`old 0 QIDSEVEN caf\u00e9 ${'.'.repeat(40)}`);

    expect(await log.tail(2, 'nothing-matches')).toEqual([]);
    expect(await log.tail(0)).toEqual([]);
  });

  it('tail of a log that does not exist yet is empty', async () => {
    expect(await log.tail(10)).toEqual([]);
  });

  it('a log that cannot be written reports the error and keeps echoing', async () => {
    const blocker = join(home, 'not-a-dir');
    await writeFile(blocker, 'x');
    const errors: Error[] = [];
    const lines: string[] = [];
    const bad = createMailLog({ file: join(blocker, 'maillog'), hostname: 'host', pid: 1, now: () => NOW,
      onLine: (l) => lines.push(l), onError: (e) => errors.push(e) });
    bad.info(null, 'hello');
    await bad.close();
    expect(errors.length).toBe(1);
    expect(lines).toEqual(['Sep 10 22:23:41 host mailstop[1]: hello']);
    await expect(bad.tail(5)).rejects.toThrow(/ENOTDIR/);
  });
});

describe('a full disk (/dev/full)', () => {
  it('drops lines whole, never a torn one, and says how many once space returns', async () => {
    const file = join(home, 'maillog');
    const real = join(home, 'maillog.real');
    const { symlink, unlink } = await import('node:fs/promises');
    // Appends go by path: a symlink to /dev/full is a disk with no space; re-pointed, the space is back.
    await symlink('/dev/full', file);
    const errors: string[] = [];
    const full = createMailLog({ file, hostname: 'host', pid: 3305, now: () => NOW, onError: (e) => errors.push(e.message) });
    full.info(null, 'first line that cannot be written');
    full.info(null, 'second line that cannot be written');
    await full.close();
    expect(errors.length).toBeGreaterThan(0);
    await unlink(file);
    await writeFile(real, `${PREFIX} an earlier line\n`);
    await symlink(real, file);
    full.info(null, 'space is back');
    await full.close();
    expect(await readFile(real, 'utf8')).toBe(
      `${PREFIX} an earlier line\n` +
      `${PREFIX} 2 log line(s) dropped: no space left on device\n` +
      `${PREFIX} space is back\n`);
  });
});
