// Lines of a byte stream as Buffers, for `sendmail -bs`: LF ends a line and a CR
// before it is dropped; nothing is decoded, so 8-bit bytes arrive as they were
// sent (readline would turn invalid UTF-8 into U+FFFD). Holds at most one line.
import type { Readable } from 'node:stream';

export async function* byteLines(input: Readable): AsyncGenerator<Buffer, void> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const buf: Buffer = carry.length ? Buffer.concat([carry, chunk as Buffer]) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    let start = 0;
    for (let lf = buf.indexOf(0x0a, start); lf !== -1; lf = buf.indexOf(0x0a, start)) {
      const end = lf > start && buf[lf - 1] === 0x0d ? lf - 1 : lf;
      yield buf.subarray(start, end);
      start = lf + 1;
    }
    carry = buf.subarray(start);
  }
  // An unterminated last line is still a line (a client that forgot the final CRLF).
  if (carry.length) yield carry;
}
