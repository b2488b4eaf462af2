// Reads the last lines of a (possibly huge) log file from its end, backwards in
// fixed chunks, so that `tailLog(100)` costs the same for a 1 KB and a 1 GB log.
// Read-only; never writes or rotates.
import { open } from 'node:fs/promises';

/** Read size: large enough for ~500 typical maillog lines per read, small enough to waste little. */
const CHUNK = 64 * 1024;

/**
 * The last `count` lines of `file` that contain `filter` (case-sensitive substring,
 * as queue ids are), oldest first. A missing file has no lines.
 */
export async function tailFile(file: string, count: number, filter?: string): Promise<string[]> {
  if (!(count > 0)) return [];
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const found: string[] = []; // newest first
    let pos = size;
    // Bytes of a line cut by the chunk boundary, carried to the next (earlier) read.
    let carry = Buffer.alloc(0);
    const take = (bytes: Buffer): boolean => {
      if (bytes.length === 0) return false;
      const line = bytes.toString('utf8').replace(/\r$/, '');
      if (filter === undefined || filter === '' || line.includes(filter)) found.push(line);
      return found.length >= count;
    };
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      // Split on the byte '\n' before decoding, so a multi-byte character never breaks.
      const data = Buffer.concat([buf, carry]);
      let end = data.length;
      for (let i = data.length - 1; i >= 0; i--) {
        if (data[i] !== 0x0a) continue;
        if (take(data.subarray(i + 1, end))) return found.reverse();
        end = i;
      }
      carry = data.subarray(0, end);
    }
    take(carry);
    return found.reverse();
  } finally {
    await fh.close();
  }
}
