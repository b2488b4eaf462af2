import { describe, expect, it } from 'vitest';
import { downgrade8bit, encodeQp } from '../../../engine/transports/downgrade-8bit.ts';

describe('encodeQp (RFC 2045 §6.7)', () => {
  const cases: { name: string; got: string; want: string }[] = [
    { name: 'plain ASCII stays', got: 'Hello, world.\r\n', want: 'Hello, world.\r\n' },
    { name: '"=" is encoded', got: 'a=b\r\n', want: 'a=3Db\r\n' },
    { name: '8-bit octets as =XX (UTF-8 ü)', got: 'gr\u00fc\u00dfe\r\n', want: 'gr=C3=BC=C3=9Fe\r\n' },
    { name: 'a space at the end of a line is encoded', got: 'end \r\nnext\r\n', want: 'end=20\r\nnext\r\n' },
    { name: 'a tab inside a line stays', got: 'a\tb\r\n', want: 'a\tb\r\n' },
    { name: 'no trailing CRLF stays without one', got: 'x\u00e9', want: 'x=C3=A9' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(encodeQp(Buffer.from(c.got, 'utf8')).toString('latin1')).toBe(c.want));
  }

  it('breaks long lines with soft breaks at most 76 characters long', () => {
    const got = encodeQp(Buffer.from(`${'\u00e9'.repeat(60)}\r\n`, 'utf8')).toString('latin1');
    const lines = got.split('\r\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(76);
    expect(lines.slice(0, -2).every((l) => l.endsWith('='))).toBe(true);
    expect(got.replace(/=\r\n/g, '')).toBe(`${'=C3=A9'.repeat(60)}\r\n`);
  });
});

describe('downgrade8bit', () => {
  it('leaves a 7-bit message byte for byte alone', () => {
    const msg = Buffer.from('Subject: x\r\nContent-Transfer-Encoding: 7bit\r\n\r\nplain\r\n');
    const r = downgrade8bit(msg, 'mta.test');
    expect(r.converted).toBe(0);
    expect(r.message.equals(msg)).toBe(true);
  });

  it('converts a single-part 8-bit text message and replaces its Content-Transfer-Encoding', () => {
    const msg = Buffer.from('Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nK\u00f6ln\r\n', 'utf8');
    const r = downgrade8bit(msg, 'mta.test');
    expect(r.converted).toBe(1);
    expect(r.message.toString('latin1')).toBe('Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      'Content-Transfer-Encoding: quoted-printable\r\nX-MIME-Autoconverted: from 8bit to quoted-printable by mta.test\r\n\r\nK=C3=B6ln\r\n');
  });

  it('treats a message without Content-Type as text/plain (RFC 2045 §5.2)', () => {
    const r = downgrade8bit(Buffer.from('Subject: x\r\n\r\n\u00e9\r\n', 'utf8'), 'mta.test');
    expect(r.message.toString('latin1')).toContain('Content-Transfer-Encoding: quoted-printable\r\n');
    expect(r.message.toString('latin1')).toMatch(/\r\n\r\n=C3=A9\r\n$/);
  });

  it('converts inside message/rfc822 and relabels the outer part 7bit', () => {
    const msg = Buffer.from('Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'Subject: inner\r\nContent-Type: image/png\r\n\r\n\u00ff\u00fe\r\n', 'latin1');
    const text = downgrade8bit(msg, 'mta.test').message.toString('latin1');
    expect(text).toMatch(/^Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n/);
    expect(text).toContain('Subject: inner\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n');
    expect(text).toContain(`\r\n\r\n${Buffer.from('\u00ff\u00fe\r\n', 'latin1').toString('base64')}\r\n`);
  });

  it('converts only the 8-bit parts of a multipart and keeps boundaries, preamble and epilogue', () => {
    const msg = Buffer.from('Content-Type: multipart/alternative; boundary=zz\r\n\r\npre\r\n' +
      '--zz\r\nContent-Type: text/plain\r\n\r\nascii only\r\n' +
      '--zz\r\n\r\n\u00e9t\u00e9\r\n--zz--\r\npost\r\n', 'utf8');
    const r = downgrade8bit(msg, 'mta.test');
    expect(r.converted).toBe(1);
    expect(r.message.toString('latin1')).toBe('Content-Type: multipart/alternative; boundary=zz\r\n\r\npre\r\n' +
      '--zz\r\nContent-Type: text/plain\r\n\r\nascii only\r\n' +
      '--zz\r\nContent-Transfer-Encoding: quoted-printable\r\nX-MIME-Autoconverted: from 8bit to quoted-printable by mta.test\r\n\r\n=C3=A9t=C3=A9\r\n' +
      '--zz--\r\npost\r\n');
  });
});
