import { describe, expect, it } from 'vitest';
import { formatDelay, replyText, syslogPrefix } from '../../../engine/log/format.ts';

describe('formatDelay', () => {
  const S = 1000;
  const table: { ms: number; want: string }[] = [
    { ms: 0, want: '00:00:00' },
    { ms: 999, want: '00:00:00' }, // whole seconds, rounded down like Sendmail
    { ms: 3 * S, want: '00:00:03' },
    { ms: 59 * 60 * S + 59 * S, want: '00:59:59' },
    { ms: 23 * 3600 * S + 59 * 60 * S + 59 * S, want: '23:59:59' },
    { ms: 86400 * S, want: '1+00:00:00' },
    { ms: 86400 * S + 2 * 3600 * S + 3 * 60 * S + 4 * S, want: '1+02:03:04' },
    { ms: 12 * 86400 * S + 5 * S, want: '12+00:00:05' },
    { ms: -5 * S, want: '00:00:00' }, // clock stepped back
    { ms: Number.NaN, want: '00:00:00' },
  ];
  for (const { ms, want } of table) {
    it(`${ms} ms → ${want}`, () => {
      const got = formatDelay(ms);
      expect(got).toBe(want);
    });
  }
});

describe('syslogPrefix', () => {
  // Built from local-time parts: syslog writes local time, so the test holds in any TZ.
  const table: { date: Date; want: string }[] = [
    { date: new Date(2024, 8, 10, 22, 23, 41), want: 'Sep 10 22:23:41 host mailstop[3305]:' },
    { date: new Date(2024, 8, 1, 2, 3, 4), want: 'Sep  1 02:03:04 host mailstop[3305]:' },
    { date: new Date(2025, 0, 31, 0, 0, 0), want: 'Jan 31 00:00:00 host mailstop[3305]:' },
  ];
  for (const { date, want } of table) {
    it(want, () => {
      const got = syslogPrefix(date, 'host', 3305);
      expect(got).toBe(want);
    });
  }
});

describe('replyText', () => {
  const table: { reply: string; want: string }[] = [
    { reply: '250 2.0.0 l8B2Nfc7003308 Message accepted for delivery', want: 'l8B2Nfc7003308 Message accepted for delivery' },
    { reply: '550 5.1.1 <bob@example.net>... User unknown', want: 'User unknown' },
    { reply: '250 Ok', want: 'Ok' },
    { reply: '250-first\r\n250 second', want: 'first 250 second' },
    { reply: 'Connection refused by mx.example.', want: 'Connection refused by mx.example.' },
  ];
  for (const { reply, want } of table) {
    it(JSON.stringify(reply), () => {
      const got = replyText(reply);
      expect(got).toBe(want);
    });
  }
});
