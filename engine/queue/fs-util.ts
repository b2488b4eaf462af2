// Small file-system helpers the spool's modules share.
// Owns: durable small-file writes and bounded parallel maps. Never: spool policy.
import { writevSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';

/** Spool files hold mail: readable by the owner only, as Sendmail's QueueFileMode 0600. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * Files handled at once by async scans (the corrupt area). Keeps libuv's thread
 * pool busy while staying far below a default 1024 open-file limit.
 */
export const SCAN_CONCURRENCY = 64;

/**
 * Control files read per batch by a spool scan. A control file is a few hundred
 * bytes, so an async read costs four thread-pool round trips (open, fstat, read,
 * close) for almost no I/O: measured on 10 000 files, async reads took ~400-700 ms,
 * synchronous ones ~140 ms. So a scan reads a batch synchronously and yields to
 * the event loop between batches; 256 small files block it for ~3 ms, which SMTP
 * sessions sharing the loop do not notice.
 */
const SCAN_BATCH = 256;

/**
 * `fn(item)` for every item, synchronously within a batch, yielding to the event
 * loop between batches. Results keep the input order.
 */
export async function inBatches<T, R>(items: readonly T[], fn: (item: T) => R): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += SCAN_BATCH) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const item of items.slice(i, i + SCAN_BATCH)) out.push(fn(item));
  }
  return out;
}

export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** Errors of a full file system or quota: the write did not happen (or only in part). */
export const NO_SPACE: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);

/** ENOENT is "already gone" for removals and "skip it" for scans; everything else is rethrown. */
export function isMissing(err: unknown): boolean {
  return errCode(err) === 'ENOENT';
}

/** Write `text` to `path` (created or truncated) and fdatasync it before resolving. */
/** Remove a file; true if it was there. A missing file is not an error (crash leftovers come and go). */
export async function unlinkQuietly(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (!isMissing(err)) throw err;
    return false;
  }
}

export async function writeSynced(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w', FILE_MODE);
  try {
    await fh.writeFile(text);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Write every byte of `bufs` at the file's current position (writev may write less than asked). */
export async function writevAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs.filter((b) => b.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0].length) {
      bytesWritten -= rest[0].length;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0) rest = [rest[0].subarray(bytesWritten), ...rest.slice(1)];
  }
}

/** writevAll for a descriptor, synchronously (small files only: it blocks the event loop). */
export function writevAllSync(fd: number, bufs: Buffer[]): void {
  let rest = bufs.filter((b) => b.length > 0);
  while (rest.length > 0) {
    let written = writevSync(fd, rest);
    while (rest.length > 0 && written >= rest[0].length) {
      written -= rest[0].length;
      rest = rest.slice(1);
    }
    if (written > 0) rest = [rest[0].subarray(written), ...rest.slice(1)];
  }
}

/** Write `bufs` to `path` (created or truncated) and fdatasync it before resolving. */
export async function writeFileSynced(path: string, bufs: Buffer[]): Promise<void> {
  const fh = await open(path, 'w', FILE_MODE);
  try {
    await writevAll(fh, bufs);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Map with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
