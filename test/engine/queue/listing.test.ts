// mailq in Sendmail's layout (golden, from the reference's real Sendmail output),
// the seeds' sed one-liner run on it, and postqueue -j JSON.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { formatMailq, formatQueueTime, toPostqueueJson } from '../../../engine/queue/listing.ts';

// Times below are UTC; mailq prints local time, so pin the zone for this process.
process.env.TZ = 'UTC';

const NOW = Date.UTC(2016, 9, 1, 12, 0);

function entry(id: string, over: Partial<QueueEntry> = {}): QueueEntry {
  return {
    id,
    sender: 'user@example.com',
    recipients: [{ address: 'friend@example.net', status: 'pending' }],
    arrivalTime: Date.UTC(2016, 8, 29, 5, 44, 12),
    size: 27,
    state: 'deferred',
    group: 'default',
    attempts: 1,
    nextAttempt: 0,
    client: { address: '127.0.0.1', protocol: 'ESMTP', daemon: 'smtp' },
    ...over,
  };
}

describe('formatMailq', () => {
  it('reproduces the reference Sendmail listing exactly', () => {
    const entries = [
      entry('u8T9idh4006507', { reason: 'Deferred: Connection timed out with mailer.example' }),
      entry('r3U0S9Mt115878', {
        sender: '',
        size: 408752,
        arrivalTime: Date.UTC(2013, 3, 30, 0, 28),
        reason: 'reply: read error from mx.example.',
        recipients: [{ address: 'user1@example.com', status: 'pending' }],
      }),
    ];
    const got = formatMailq(entries, { spoolDir: '/var/spool/mqueue', active: new Set(['r3U0S9Mt115878']), now: NOW });
    const want = [
      '\t\t/var/spool/mqueue (2 requests)',
      '-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------',
      'u8T9idh4006507       27 Thu Sep 29 05:44 <user@example.com>',
      '                 (Deferred: Connection timed out with mailer.example)',
      '                                         <friend@example.net>',
      'r3U0S9Mt115878*  408752 Tue Apr 30 00:28 MAILER-DAEMON',
      '                 (reply: read error from mx.example.)',
      '                                         <user1@example.com>',
      '\t\tTotal requests: 2',
      '',
    ].join('\n');
    expect(got).toBe(want);
  });

  it('prints an empty queue as Sendmail does', () => {
    expect(formatMailq([], { spoolDir: '/home/u/.mailstop/spool' })).toBe('/home/u/.mailstop/spool is empty\n\t\tTotal requests: 0\n');
  });

  it('says "1 request" for one', () => {
    expect(formatMailq([entry('AAAAAAAAAAAAAA')], { spoolDir: '/q', now: NOW }).split('\n')[0]).toBe('\t\t/q (1 request)');
  });

  // Each case: the entry line and the status line (and recipient lines when given).
  const cases: { name: string; e: Partial<QueueEntry>; active?: Set<string>; want: string[] }[] = [
    {
      name: 'held by an administrator: X and a default reason',
      e: { state: 'hold', heldBy: 'admin' },
      want: ['AAAAAAAAAAAAAAX      27 Thu Sep 29 05:44 <user@example.com>', '                 (held by administrator)'],
    },
    {
      name: 'held by deferred mode',
      e: { state: 'hold', heldBy: 'mode' },
      want: ['AAAAAAAAAAAAAAX      27 Thu Sep 29 05:44 <user@example.com>', '                 (Deferred: held until online)'],
    },
    {
      name: 'active state marks * when no active set is given',
      e: { state: 'active' },
      want: ['AAAAAAAAAAAAAA*      27 Thu Sep 29 05:44 <user@example.com>', '                 (being delivered)'],
    },
    {
      name: 'an explicit active set wins over the stored state (engine down: nothing is delivering)',
      e: { state: 'active', reason: 'Deferred: x' },
      active: new Set(),
      want: ['AAAAAAAAAAAAAA       27 Thu Sep 29 05:44 <user@example.com>', '                 (Deferred: x)'],
    },
    {
      name: 'never tried',
      e: { attempts: 0 },
      want: ['AAAAAAAAAAAAAA       27 Thu Sep 29 05:44 <user@example.com>', '                 (Deferred: not yet tried)'],
    },
    {
      name: 'no reason: the last reply of a pending recipient',
      e: { recipients: [{ address: 'a@b.example', status: 'pending', lastReply: '451 4.7.1 Try later' }] },
      want: ['AAAAAAAAAAAAAA       27 Thu Sep 29 05:44 <user@example.com>', '                 (Deferred: 451 4.7.1 Try later)'],
    },
    {
      name: 'no reason, retry scheduled',
      e: { nextAttempt: NOW + 90 * 60_000 },
      want: ['AAAAAAAAAAAAAA       27 Thu Sep 29 05:44 <user@example.com>', '                 (Deferred: next attempt in 2h)'],
    },
    {
      name: 'single-digit day is space-padded like ctime(3); big sizes overflow the column',
      e: { arrivalTime: Date.UTC(2016, 8, 9, 23, 5), size: 123456789, reason: 'r' },
      want: ['AAAAAAAAAAAAAA 123456789 Fri Sep  9 23:05 <user@example.com>', '                 (r)'],
    },
    {
      name: 'a multi-line reason stays on one line, cut at 60 characters like Sendmail',
      e: { reason: 'Deferred: 421-mx.example busy\r\n421 try again later, we are really very busy today' },
      want: [
        'AAAAAAAAAAAAAA       27 Thu Sep 29 05:44 <user@example.com>',
        '                 (Deferred: 421-mx.example busy 421 try again later, we are re)',
      ],
    },
    {
      name: 'only pending recipients are listed, one per line',
      e: {
        reason: 'Deferred: 2 left',
        recipients: [
          { address: 'done@example.net', status: 'sent' },
          { address: 'one@example.net', status: 'pending' },
          { address: 'gone@example.net', status: 'bounced' },
          { address: 'two@example.net', status: 'pending' },
        ],
      },
      want: [
        'AAAAAAAAAAAAAA       27 Thu Sep 29 05:44 <user@example.com>',
        '                 (Deferred: 2 left)',
        '                                         <one@example.net>',
        '                                         <two@example.net>',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const lines = formatMailq([entry('AAAAAAAAAAAAAA', c.e)], { spoolDir: '/q', active: c.active, now: NOW }).split('\n');
      const got = lines.slice(2, 2 + c.want.length);
      expect(got).toEqual(c.want);
      if (c.want.length === 2 && !c.e.recipients) expect(lines[4]).toBe('                                         <friend@example.net>');
    });
  }

  it("feeds the seeds' top-recipients one-liner: sed -n '5~3p' | sort | uniq -c | sort -nr | head", async () => {
    const rcpts = ['a@x.example', 'b@x.example', 'a@x.example', 'c@x.example', 'a@x.example', 'b@x.example', 'a@x.example'];
    const entries = rcpts.map((address, i) =>
      entry(`AAAAAAAAAAAA${String(i).padStart(2, '0')}`, {
        recipients: [{ address, status: 'pending' }],
        // A mix of every kind of entry line and status line.
        sender: i % 3 === 0 ? '' : `s${i}@example.com`,
        state: i === 2 ? 'hold' : 'deferred',
        attempts: i % 2,
        reason: i === 4 ? 'Deferred: line one\nline two' : undefined,
      }),
    );
    const mailq = formatMailq(entries, { spoolDir: '/home/u/.mailstop/spool', now: NOW });
    const got = await pipe("sed -n '5~3p' | sort | uniq -c | sort -nr | head", mailq);
    const counts = got.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(counts).toEqual([
      ['4', '<a@x.example>'],
      ['2', '<b@x.example>'],
      ['1', '<c@x.example>'],
    ]);
  });
});

function pipe(script: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('sh', ['-c', script], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

describe('formatQueueTime', () => {
  it('is ctime(3) cut to 16 characters, in local time', () => {
    expect(formatQueueTime(Date.UTC(2013, 3, 30, 0, 28, 59))).toBe('Tue Apr 30 00:28');
    expect(formatQueueTime(Date.UTC(2024, 0, 1, 9, 5))).toBe('Mon Jan  1 09:05');
  });
});

describe('toPostqueueJson', () => {
  it("uses Postfix's postqueue -j names, epoch seconds and pending recipients only", () => {
    const e = entry('AAAAAAAAAAAAAA', {
      sender: '',
      state: 'hold',
      group: 'slow',
      attempts: 3,
      arrivalTime: 1_700_000_000_999,
      nextAttempt: 1_700_000_600_500,
      size: 1234,
      recipients: [
        { address: 'x@a.example', status: 'pending', lastReply: '421 4.4.2 mx.a.example: timed out' },
        { address: 'y@a.example', status: 'sent' },
        { address: 'z@a.example', status: 'pending' },
      ],
    });
    expect(toPostqueueJson(e)).toEqual({
      queue_name: 'hold',
      queue_id: 'AAAAAAAAAAAAAA',
      arrival_time: 1_700_000_000,
      message_size: 1234,
      forced_expire: false,
      sender: '',
      recipients: [{ address: 'x@a.example', delay_reason: '421 4.4.2 mx.a.example: timed out' }, { address: 'z@a.example' }],
      attempts: 3,
      next_attempt: 1_700_000_600,
      group: 'slow',
    });
    // One JSON object per line, as `postqueue -j` prints it.
    expect(JSON.stringify(toPostqueueJson(e))).not.toContain('\n');
  });

  it('maps each queue state to its Postfix queue name', () => {
    const got = (['active', 'deferred', 'hold'] as const).map((state) => toPostqueueJson(entry('AAAAAAAAAAAAAA', { state })).queue_name);
    expect(got).toEqual(['active', 'deferred', 'hold']);
  });
});
