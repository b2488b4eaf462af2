// Outside text made inert (issue 11 §3): what each control becomes, and the
// ASCII form of our own reply text.
import { describe, expect, it } from 'vitest';
import { asciiReply, escaped, inert, terminalSafeJson } from '../../engine/inert-text.ts';

describe('inert', () => {
  const cases: { name: string; got: string; want: string }[] = [
    { name: 'title + clear screen', got: '\x1b]0;title\x07\x1b[2J', want: '\\x1b]0;title\\x07\\x1b[2J' },
    { name: 'NUL', got: 'a\x00b', want: 'a\\x00b' },
    { name: 'bare CR (overwrites the line)', got: 'ok\rEVIL', want: 'ok\\x0dEVIL' },
    { name: 'CRLF and LF of a multi-line reply', got: '550-first\r\n550 second\nthird', want: '550-first 550 second third' },
    { name: 'tab', got: 'a\tb', want: 'a b' },
    { name: 'DEL and C1 CSI', got: 'a\x7fb\x9b2J', want: 'a\\x7fb\\x9b2J' },
    { name: 'right-to-left override', got: 'invoice\u202efdp.exe', want: 'invoice\\u202efdp.exe' },
    { name: 'plain text and UTF-8 untouched', got: 'Mailbox full – réessayez', want: 'Mailbox full – réessayez' },
  ];
  for (const c of cases) it(c.name, () => expect(inert(c.got)).toBe(c.want));

  it('is idempotent', () => {
    const once = inert('\x1b[2J\x00\r');
    expect(inert(once)).toBe(once);
  });
});

describe('escaped', () => {
  it('shows every control, line breaks included, and leaves plain text as it is', () => {
    expect(escaped('evil@x.test\r\nRCPT TO:<v@y>\u202e')).toBe('evil@x.test\\x0d\\x0aRCPT TO:<v@y>\\u202e');
    expect(escaped('alice@example.com')).toBe('alice@example.com');
  });
});

describe('terminalSafeJson', () => {
  it('escapes what JSON.stringify leaves raw; a parser reads the same value', () => {
    const value = { r: 'a\x9b2J\u202eb\x7f' };
    const json = terminalSafeJson(JSON.stringify(value));
    expect(json).toBe('{"r":"a\\u009b2J\\u202eb\\u007f"}');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('asciiReply', () => {
  const cases: { got: string; want: string }[] = [
    { got: 'lines must end with <CR><LF> (RFC 5321 §2.3.8)', want: 'lines must end with <CR><LF> (RFC 5321 section 2.3.8)' },
    { got: 'alias loop: a → b → a', want: 'alias loop: a -> b -> a' },
    { got: '<jörg@example.com>... User unknown', want: '<j?rg@example.com>... User unknown' },
    { got: 'x\x1b[2J', want: 'x\\x1b[2J' },
  ];
  for (const c of cases) it(c.got, () => expect(asciiReply(c.got)).toBe(c.want));
});
