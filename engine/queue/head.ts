// Reading the head of a control file: the record up to its first '\n'. A
// version-2 control file carries the message after that line (control-file.ts),
// so a listing must not read whole files — only their first few KiB.
//
// Owns: that read, on a descriptor the caller may keep using (so an update()
// renaming a new file into place meanwhile cannot shift the offset under a reader).
// Never: decoding the record.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isMissing } from './fs-util.ts';

/** First read: a typical record (one recipient) is ~400 bytes; 4 KiB is one page. */
const FIRST_READ = 4096;
/**
 * A record longer than this is not one we wrote (10 000 recipients of 100 octets
 * stay below it); reading stops so a damaged file without any '\n' costs bounded memory.
 */
const MAX_RECORD = 16 * 1024 * 1024;

export interface Head {
  /** The record's text, without its '\n' (or the whole file when it has none). */
  text: string;
  /** Offset of the first byte after the record's '\n': where an inline message starts. */
  dataOffset: number;
  /** Size of the whole file in bytes. */
  fileSize: number;
}

/** The head of the open file `fd`. Synchronous: see fs-util.ts inBatches. */
export function readHeadFd(fd: number): Head {
  const fileSize = fstatSync(fd).size;
  let buf = Buffer.allocUnsafe(Math.min(FIRST_READ, Math.max(fileSize, 1)));
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      if (buf.length >= MAX_RECORD) break;
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 4, MAX_RECORD));
      buf.copy(bigger, 0, 0, len);
      buf = bigger;
    }
    const n = readSync(fd, buf, len, buf.length - len, len);
    if (n === 0) break;
    const nl = buf.indexOf(0x0a, len);
    len += n;
    if (nl >= 0 && nl < len) return { text: buf.toString('utf8', 0, nl), dataOffset: nl + 1, fileSize };
  }
  return { text: buf.toString('utf8', 0, len), dataOffset: len, fileSize };
}

/**
 * The record's text alone, read into `scratch` (one buffer reused for every file
 * of a listing): open, one read, close — no fstat and no buffer per file, which
 * over 10 000 entries is what `mailq` spends its time on. A record longer than
 * `scratch` is read again in full by readHeadFd. Null when the file is gone.
 */
export function readRecord(path: string, scratch: Buffer): string | null {
  const fd = openIfPresent(path);
  if (fd === null) return null;
  try {
    const n = readSync(fd, scratch, 0, scratch.length, 0);
    const nl = scratch.indexOf(0x0a);
    if (nl >= 0 && nl < n) return scratch.toString('utf8', 0, nl);
    return n < scratch.length ? scratch.toString('utf8', 0, n) : readHeadFd(fd).text;
  } finally {
    closeSync(fd);
  }
}

/** The head of the file at `path`, or null when it does not exist. */
export function readHead(path: string): Head | null {
  const fd = openIfPresent(path);
  if (fd === null) return null;
  try {
    return readHeadFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** A descriptor for reading `path`, or null when it is gone (removed since the listing). */
function openIfPresent(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}
