import { describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { asciiLine, foldField, headerBlock, humanDuration, quotedPrintable, rfc5322Date, xtextDecode } from '../../../engine/bounce/encode.ts';

describe('humanDuration', () => {
  const table: { ms: number; want: string }[] = [
    { ms: 4 * 3600e3, want: '4 hours' },
    { ms: 3600e3, want: '1 hour' },
    { ms: 5 * 86400e3, want: '5 days' },
    { ms: 90 * 60e3, want: '90 minutes' },
    { ms: 30e3, want: '30 seconds' },
    { ms: 1500, want: '1 hour' }, // not a whole unit: rounded, never "0 hours"
  ];
  for (const { ms, want } of table) it(want, () => expect(humanDuration(ms)).toBe(want));
});

describe('field text', () => {
  const table: { name: string; got: () => string; want: string }[] = [
    { name: 'xtext decodes +HH', got: () => xtextDecode('bob+2Bx+3Dy@example.net'), want: 'bob+x=y@example.net' },
    { name: 'xtext keeps a malformed escape', got: () => xtextDecode('a+zz'), want: 'a+zz' },
    { name: 'controls become spaces', got: () => asciiLine('a\r\nb\tc\x00d'), want: 'a b c d' },
    { name: 'non-ASCII as RFC 6533 \\x{}', got: () => asciiLine('j\u00f6rg \u{1F600}'), want: 'j\\x{F6}rg \\x{1F600}' },
    { name: 'RFC 5322 date in UTC', got: () => rfc5322Date(Date.UTC(2024, 0, 5, 3, 4, 5)), want: 'Fri, 5 Jan 2024 03:04:05 +0000' },
    { name: 'header block of a body-less message', got: () => headerBlock(Buffer.from('A: 1\r\nB: 2\r\n')).toString(), want: 'A: 1\r\nB: 2\r\n' },
    { name: 'header block stops at the empty line', got: () => headerBlock(Buffer.from('A: 1\r\n\r\nB: 2\r\n')).toString(), want: 'A: 1\r\n' },
  ];
  for (const c of table) it(c.name, () => expect(c.got()).toBe(c.want));
});

describe('foldField', () => {
  it('folds at whitespace near 78 columns and cuts a word too long for any line', () => {
    const got = foldField('Diagnostic-Code', `smtp; ${'word '.repeat(40)}${'z'.repeat(2500)}`);
    const lines = got.split('\r\n');
    expect(lines[0].length).toBeLessThanOrEqual(78);
    expect(lines.every((l) => l.length <= 998)).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith(' '))).toBe(true);
    expect(got.replace(/\r\n /g, ' ').replace(/z z/g, 'zz')).toBe(`Diagnostic-Code: smtp; ${'word '.repeat(40)}${'z'.repeat(2500)}`);
  });
});

describe('quotedPrintable', () => {
  it('round-trips UTF-8, trailing spaces, "=" and long lines through a real decoder', async () => {
    const text = `caf\u00e9 = ok \r\n${'long-'.repeat(100)}\r\ntab\t\r\n`;
    const encoded = quotedPrintable(text);
    expect(encoded.split('\r\n').every((l) => l.length <= 76)).toBe(true);
    expect(encoded).not.toMatch(/[^\x00-\x7f]/);
    const mail = await simpleParser(Buffer.from(
      `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encoded}`));
    expect(mail.text?.replace(/\n/g, '\r\n')).toBe(text);
  });
});
