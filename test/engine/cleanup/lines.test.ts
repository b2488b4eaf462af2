// Line splitting is where SMTP smuggling is stopped: every variant of a bare CR,
// bare LF or NUL in SMTP DATA is refused; the CLI's LF lines are accepted.
import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_OCTETS, type LineEndings } from '../../../engine/cleanup/lines.ts';
import { SmtpError } from '../../../engine/contracts.ts';

/** Split `input` fed as the given chunks; returns the lines or the refusal "code enhanced". */
function split(mode: LineEndings, chunks: string[]): string[] | string {
  const s = new LineSplitter(mode);
  const out: string[] = [];
  try {
    for (const c of chunks) out.push(...s.push(Buffer.from(c, 'latin1')).map((b) => b.toString('latin1')));
    const tail = s.end();
    if (tail) out.push(tail.toString('latin1'));
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
    { name: 'bare CR refused', chunks: ['a\rb\n'], want: '550 5.5.2' },
    { name: 'NUL refused', chunks: ['a\x00b\n'], want: '550 5.6.0' },
    { name: 'long line refused', chunks: [long + 'xx\n'], want: '554 5.6.0' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = split('lf', c.chunks);
      expect(got).toEqual(c.want);
    });
  }
});
