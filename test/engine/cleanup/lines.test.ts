// Line splitting is where SMTP smuggling is stopped: every variant of a bare CR,
// bare LF or NUL in SMTP DATA is refused; a local program's output is accepted and made
// safe (bare CR ends a line, NUL dropped, long lines folded).
import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_OCTETS, type LineEndings } from '../../../engine/cleanup/lines.ts';
import { SmtpError } from '../../../engine/contracts.ts';

/** Split `input` fed as the given chunks; returns the lines or the refusal "code enhanced". */
function split(mode: LineEndings, chunks: string[]): string[] | string {
  const s = new LineSplitter(mode);
  const out: string[] = [];
  try {
    for (const c of chunks) out.push(...s.push(Buffer.from(c, 'latin1')).map((b) => b.toString('latin1')));
    out.push(...s.end().map((b) => b.toString('latin1')));
    return out;
  } catch (err) {
    if (!(err instanceof SmtpError)) throw err;
    return `${err.responseCode} ${err.enhanced}`;
  }
}

const long = 'x'.repeat(MAX_LINE_OCTETS);

describe('LineSplitter crlf-strict (SMTP DATA)', () => {
  const cases: { name: string; chunks: string[]; want: string[] | string }[] = [
    { name: 'plain CRLF lines', chunks: ['a\r\nb\r\n'], want: ['a', 'b'] },
    { name: 'CRLF split across chunks', chunks: ['a\r', '\nb', '\r\n'], want: ['a', 'b'] },
    { name: 'empty line kept', chunks: ['a\r\n\r\nb\r\n'], want: ['a', '', 'b'] },
    { name: 'line of exactly 998 octets', chunks: [long + '\r\n'], want: [long] },
    { name: 'smuggling \\n.\\n', chunks: ['a\r\n\n.\nMAIL FROM:<x@y>\r\n'], want: '550 5.5.2' },
    { name: 'smuggling \\r.\\r', chunks: ['a\r\n\r.\rMAIL FROM:<x@y>\r\n'], want: '550 5.5.2' },
    { name: 'smuggling \\n.\\r\\n', chunks: ['a\n.\r\nMAIL FROM:<x@y>\r\n'], want: '550 5.5.2' },
    { name: 'smuggling \\r.\\r\\n', chunks: ['a\r.\r\nMAIL FROM:<x@y>\r\n'], want: '550 5.5.2' },
    { name: 'smuggling \\r\\n\\x00.\\r\\n', chunks: ['a\r\n\x00.\r\nMAIL FROM:<x@y>\r\n'], want: '550 5.6.0' },
    { name: 'bare LF split after a CR-less chunk end', chunks: ['a', '\nb\r\n'], want: '550 5.5.2' },
    { name: 'bare CR at the very end', chunks: ['a\r\nb\r'], want: '550 5.5.2' },
    { name: 'line of 999 octets', chunks: [long + 'x\r\n'], want: '554 5.6.0' },
    { name: 'endless line refused before its end arrives', chunks: ['y'.repeat(5000)], want: '554 5.6.0' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = split('crlf-strict', c.chunks);
      expect(got).toEqual(c.want);
    });
  }
});

describe('LineSplitter lf (sendmail CLI)', () => {
  const cases: { name: string; chunks: string[]; want: string[] | string }[] = [
    { name: 'LF lines', chunks: ['a\nb\n'], want: ['a', 'b'] },
    { name: 'CRLF lines tolerated', chunks: ['a\r\nb\n'], want: ['a', 'b'] },
    { name: 'last line without newline', chunks: ['a\nb'], want: ['a', 'b'] },
    { name: 'a bare CR ends a line (a progress bar)', chunks: ['10%\r20%\r30%\n'], want: ['10%', '20%', '30%'] },
    { name: 'CRLF split across chunks is one line end', chunks: ['a\r', '\nb\n'], want: ['a', 'b'] },
    { name: 'a CR at the very end ends the last line', chunks: ['a\nb\r'], want: ['a', 'b'] },
    { name: 'NUL dropped', chunks: ['a\x00b\n'], want: ['ab'] },
    { name: 'line of exactly 998 octets kept whole', chunks: [long + '\n'], want: [long] },
    { name: 'long line folded with a leading space', chunks: [long + 'xx\n'], want: [long, ' xx'] },
    { name: 'long tail without a newline folded', chunks: ['y'.repeat(1000), 'y'.repeat(1000)], want: ['y'.repeat(998), ' ' + 'y'.repeat(997), ' ' + 'y'.repeat(5)] },
    {
      name: 'a fold never splits a UTF-8 character',
      chunks: ['a'.repeat(997) + '\xc3\xa9b\n'],
      want: ['a'.repeat(997), ' \xc3\xa9b'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = split('lf', c.chunks);
      expect(got).toEqual(c.want);
    });
  }
});
