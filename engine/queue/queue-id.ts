// Queue IDs: 14 characters of [0-9A-Za-z] that sort by arrival time as plain
// strings, like Sendmail's (which encode time + pid + a sequence letter).
//
// Owns: generating IDs. Never: touching the disk. Unique by construction among
// the processes of one PID namespace (below), and only one engine writes a spool
// (the pid lock; the CLI writes it only while no engine runs). The spool creates
// its files with O_EXCL, which also catches two writers racing on one ID; what it
// cannot catch is a commit renamed onto an older qf of the same ID, which would
// take two processes with the same pid digits writing in the same millisecond.
//
// Layout (all base 62, most significant digit first):
//   7 chars  milliseconds since the epoch  (62^7 ms ≈ 111 years: good until 2081)
//   4 chars  process id mod 62^4           (62^4 ≈ 14.8 M > Linux's pid_max 2^22,
//                                           so two live processes never share it)
//   3 chars  sequence within that ms       (62^3 = 238 328 IDs per ms per process)
// A restart gets a new pid or a later millisecond, so IDs are unique across restarts.
import type { QueueId } from '../contracts.ts';

/** ASCII order: digits < upper case < lower case, so string order = numeric order. */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TIME_DIGITS = 7;
const PID_DIGITS = 4;
const SEQ_DIGITS = 3;
const SEQ_LIMIT = 62 ** SEQ_DIGITS;
/**
 * A new millisecond starts its sequence at a random point in the lower half, so
 * that two processes which somehow share a pid (containers) rarely collide,
 * while leaving the upper half for bursts within one millisecond.
 */
const SEQ_RANDOM_START = Math.floor(SEQ_LIMIT / 2);

export const QUEUE_ID_LENGTH = TIME_DIGITS + PID_DIGITS + SEQ_DIGITS;
const QUEUE_ID_PATTERN = /^[0-9A-Za-z]{14}$/;

function base62(n: number, digits: number): string {
  let out = '';
  let rest = Math.floor(n);
  for (let i = 0; i < digits; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

const pidPart = base62(process.pid % 62 ** PID_DIGITS, PID_DIGITS);
let lastMs = -1;
let seq = 0;

/**
 * A new queue ID for a message arriving at `now` (epoch ms). IDs from one process
 * are strictly increasing for non-decreasing `now`; if the clock steps back we keep
 * using the last time so order and uniqueness still hold.
 */
export function newQueueId(now: number = Date.now()): QueueId {
  let ms = Math.max(0, Math.floor(now));
  if (ms < lastMs) ms = lastMs;
  if (ms === lastMs) {
    seq++;
    if (seq >= SEQ_LIMIT) {
      // More than 238 328 IDs in one millisecond: borrow the next millisecond.
      ms = lastMs + 1;
      seq = Math.floor(Math.random() * SEQ_RANDOM_START);
    }
  } else {
    seq = Math.floor(Math.random() * SEQ_RANDOM_START);
  }
  lastMs = ms;
  return base62(ms, TIME_DIGITS) + pidPart + base62(seq, SEQ_DIGITS);
}

/** True for a string shaped like a queue ID (used to refuse path tricks like "../x"). */
export function isQueueId(s: string): boolean {
  return QUEUE_ID_PATTERN.test(s);
}

/** The arrival millisecond encoded in an ID (for diagnostics of corrupt entries). */
export function queueIdTime(id: QueueId): number {
  let ms = 0;
  for (const c of id.slice(0, TIME_DIGITS)) ms = ms * 62 + ALPHABET.indexOf(c);
  return ms;
}

/**
 * The process id encoded in an ID: the process that created (and maybe still
 * writes) its files. Exact on Linux (pid_max ≤ 2^22 < 62^4); elsewhere and
 * across PID namespaces it is a hint, so callers use it only to speed up what a
 * time limit would decide anyway.
 */
export function queueIdPid(id: QueueId): number {
  let pid = 0;
  for (const c of id.slice(TIME_DIGITS, TIME_DIGITS + PID_DIGITS)) pid = pid * 62 + ALPHABET.indexOf(c);
  return pid;
}
