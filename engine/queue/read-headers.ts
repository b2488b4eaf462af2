// Reading a stored message's header block without reading its body: `mailq -v`,
// the UI's message view and DSNs with RET=HDRS need only the headers, and a
// message may be many megabytes.
// Owns: that one read. Never: parsing or unfolding headers.
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Read size per step; most header blocks fit in one. */
const CHUNK = 16 * 1024;
/**
 * Stop looking for the blank line after 1 MiB: far above any accepted header
 * block (cleanup enforces smtp.maxHeadersLength, 32 000 by default), so this only
 * bounds the damage of a message that has no body separator at all.
 */
const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * The header block of the message at `file`: everything before the first empty
 * line (RFC 5322 §2.1), including the CRLF that ends the last header line. A
 * message without an empty line is all header.
 */
export async function readHeaderBlock(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const parts: Buffer[] = [];
    let total = 0;
    while (total < MAX_HEADER_BYTES) {
      const buf = Buffer.alloc(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, total);
      if (bytesRead === 0) break;
      parts.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      const all = Buffer.concat(parts);
      const end = blankLine(all, Math.max(0, total - bytesRead - 3));
      if (end >= 0) return all.subarray(0, end).toString('utf8');
    }
    return Buffer.concat(parts).subarray(0, MAX_HEADER_BYTES).toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * The same for a message that starts at `start` in the open file `fd` (an inline
 * control file, control-file.ts version 2). Synchronous: a header block is a few
 * KiB of a file the page cache holds, cheaper than thread-pool round trips.
 */
export function readHeaderBlockFd(fd: number, start: number): string {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < MAX_HEADER_BYTES) {
    const buf = Buffer.alloc(CHUNK);
    const bytesRead = readSync(fd, buf, 0, CHUNK, start + total);
    if (bytesRead === 0) break;
    parts.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    const all = Buffer.concat(parts);
    const end = blankLine(all, Math.max(0, total - bytesRead - 3));
    if (end >= 0) return all.subarray(0, end).toString('utf8');
  }
  return Buffer.concat(parts).subarray(0, MAX_HEADER_BYTES).toString('utf8');
}

/** Offset just after the line ending that precedes the first empty line, or -1. */
function blankLine(buf: Buffer, from: number): number {
  if (buf.length > 0 && (buf[0] === 0x0a || (buf[0] === 0x0d && buf[1] === 0x0a))) return 0; // no headers at all
  const crlf = buf.indexOf('\r\n\r\n', from);
  const lf = buf.indexOf('\n\n', from); // tolerate LF-only files written by hand
  if (crlf >= 0 && (lf < 0 || crlf + 1 <= lf)) return crlf + 2;
  if (lf >= 0) return lf + 1;
  return -1;
}
