// Sendmail's MinFreeBlocks (smtp.minFreeBlocks): the spool's file system keeps a
// margin free, so the queue files of mail already accepted can still be rewritten
// and the disk never fills to the last block. Asked at MAIL FROM (with the size
// the client announced, RFC 1870 SIZE=) and again before each write of DATA;
// the answer is 452 4.3.1, which makes the client try again later (RFC 3463
// §3.4 "mail system full"). Owns only the arithmetic; free space comes from
// Spool.freeBlocks (statfs, shared for a second and charged with our own writes).
import { SmtpError } from '../contracts.ts';
import type { Spool } from './types.ts';

/** The reply that tells a client to come back when there is room. */
export function noRoom(): SmtpError {
  return new SmtpError(452, '4.3.1', 'Insufficient system storage; please try again later');
}

/**
 * Throws 452 4.3.1 unless `bytes` more still leave `minFreeBlocks` (1 KiB blocks)
 * free. A margin of 0 still refuses a write the disk cannot hold at all.
 */
export async function assertRoom(spool: Pick<Spool, 'freeBlocks'>, minFreeBlocks: number, bytes: number): Promise<void> {
  const free = await spool.freeBlocks();
  if (free - Math.ceil(bytes / 1024) < minFreeBlocks || (bytes > 0 && free * 1024 < bytes)) throw noRoom();
}
