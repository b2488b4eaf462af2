// The queue as people and scripts read it: Sendmail's `mailq` layout, kept
// column for column so scripts written for Sendmail keep working (the seeds'
// `mailq | sed -n '5~3p' | sort | uniq -c | sort -nr | head`), and Postfix's
// `postqueue -j` JSON object per message.
//
// Owns: formatting. Never: reading the spool or deciding states (pure functions).
// Layout reference: /work/shared/reference/sendmail-formats.md and Sendmail's
// queue.c printqueue(): `%8ld %.16s ` size and ctime(), status `(%.60s)`.
import type { QueueEntry, QueueId } from '../contracts.ts';
import { inert } from '../inert-text.ts';

export interface MailqOptions {
  /** The spool directory, printed on the first line. */
  spoolDir: string;
  /** IDs being delivered right now (marker `*`). Default: entries whose state is 'active'. */
  active?: Set<QueueId>;
  /** Reference time for default status lines (epoch ms). */
  now?: number;
}

const HEADER = '-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------';
/** Sendmail 8.12+ prints the status after `\n    %10.10s   (`: 17 columns. */
const STATUS_INDENT = ' '.repeat(17);
/** Recipients start under the sender column: 14 ID + 1 marker + 8 size + 1 + 16 time + 1. */
const RECIPIENT_INDENT = ' '.repeat(41);
/** Sendmail prints at most 60 characters of the status (`%.60s`), keeping lines within 80 columns. */
const STATUS_MAX = 60;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** The first 16 characters of ctime(3) in local time: `Thu Sep 29 05:44`, day padded with a space like `Sep  9`. */
export function formatQueueTime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

function formatDuration(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  if (min < 60) return `${min}m`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h}h` : `${Math.round(h / 24)}d`;
}

/** The reason shown on the status line when qmgr left none. */
export function defaultReason(entry: QueueEntry, now: number): string {
  if (entry.state === 'hold') return entry.heldBy === 'mode' ? 'Deferred: held until online' : 'held by administrator';
  if (entry.state === 'active') return 'being delivered';
  const lastReply = entry.recipients.find((r) => r.status === 'pending' && r.lastReply)?.lastReply;
  if (lastReply) return `Deferred: ${lastReply}`;
  if (entry.attempts === 0) return 'Deferred: not yet tried';
  if (entry.nextAttempt > now) return `Deferred: next attempt in ${formatDuration(entry.nextAttempt - now)}`;
  return 'Deferred: waiting for a queue run';
}

/**
 * One line, at most 60 characters: a status with a newline in it would shift every
 * script's line count. Controls are shown escaped: qmgr stored them that way, and
 * this is the last line of defence before an administrator's terminal (issue 11 §3).
 */
function statusText(entry: QueueEntry, now: number): string {
  const text = inert(entry.reason?.trim() || defaultReason(entry, now)).replace(/\s+/g, ' ');
  return text.slice(0, STATUS_MAX);
}

const angle = (address: string) => `<${inert(address)}>`;

/**
 * Output is handed over in pieces of about this many characters: `mailq` over
 * 100 000 messages never holds its whole listing (~13 MB) as one string, and
 * `mailq | head` stops after the first piece or two.
 */
export const MAILQ_CHUNK = 64 * 1024;

/**
 * The lines of one entry, each ending with a newline: the ID line, the status
 * line and one line per pending recipient, so a single-recipient entry is always
 * three lines — what `sed -n '5~3p'` counts on. `active`: IDs being delivered
 * right now (marker `*`); default: the entry's state says so.
 */
export function mailqEntry(e: QueueEntry, now: number, active?: Set<QueueId>): string {
  const marker = (active ? active.has(e.id) : e.state === 'active') ? '*' : e.state === 'hold' ? 'X' : ' ';
  const sender = e.sender === '' ? 'MAILER-DAEMON' : angle(e.sender);
  let text = `${e.id.padEnd(14)}${marker}${String(e.size).padStart(8)} ${formatQueueTime(e.arrivalTime)} ${sender}\n` +
    `${STATUS_INDENT}(${statusText(e, now)})\n`;
  for (const r of e.recipients) {
    if (r.status === 'pending') text += `${RECIPIENT_INDENT}${angle(r.address)}\n`;
  }
  return text;
}

/** What comes before `count` entries: the spool directory, the count, the column titles. */
export function mailqHeader(spoolDir: string, count: number): string {
  if (count === 0) return `${spoolDir} is empty\n`;
  return `\t\t${spoolDir} (${count} request${count === 1 ? '' : 's'})\n${HEADER}\n`;
}

/** The last line, after the entries. */
export const mailqTotal = (count: number): string => `\t\tTotal requests: ${count}\n`;

/**
 * The whole listing around `count` entries whose lines `entries` gives (mailqEntry),
 * in pieces of about MAILQ_CHUNK characters: the header with the count, the
 * entries in the order given, the total. Lazy: `entries` is read as pieces are taken.
 */
export function* mailqPieces(spoolDir: string, count: number, entries: Iterable<string>): Generator<string> {
  let text = mailqHeader(spoolDir, count);
  for (const lines of entries) {
    text += lines;
    if (text.length >= MAILQ_CHUNK) {
      yield text;
      text = '';
    }
  }
  yield text + mailqTotal(count);
}

/**
 * Sendmail's `mailq` output in pieces (mailqPieces), each entry formatted when its
 * piece is asked for. Entries print in the order given (Spool.list() returns them
 * by ID, i.e. by arrival).
 */
export function mailqChunks(entries: readonly QueueEntry[], opts: MailqOptions): Generator<string> {
  const now = opts.now ?? Date.now();
  return mailqPieces(opts.spoolDir, entries.length, (function* () {
    for (const e of entries) yield mailqEntry(e, now, opts.active);
  })());
}

/** The whole of mailqChunks() as one string, ending with a newline (small queues, tests). */
export function formatMailq(entries: readonly QueueEntry[], opts: MailqOptions): string {
  return [...mailqChunks(entries, opts)].join('');
}

/** One message as Postfix's `postqueue -j` prints it, plus Mailstop's scheduling fields. */
export interface PostqueueJson {
  queue_name: 'active' | 'deferred' | 'hold';
  queue_id: QueueId;
  /** Epoch seconds, as Postfix. */
  arrival_time: number;
  message_size: number;
  /** Postfix 3.5+: set by `postsuper -e`; Mailstop's "bounce now" acts at once, so always false. */
  forced_expire: boolean;
  /** '' for the null sender, as Postfix prints it. */
  sender: string;
  /** Pending recipients only: Postfix lists only what is still to be delivered. */
  recipients: { address: string; delay_reason?: string }[];
  attempts: number;
  /** Epoch seconds of the next attempt; 0 = as soon as possible. */
  next_attempt: number;
  group: string;
}

export function toPostqueueJson(entry: QueueEntry): PostqueueJson {
  return {
    queue_name: entry.state,
    queue_id: entry.id,
    arrival_time: Math.floor(entry.arrivalTime / 1000),
    message_size: entry.size,
    forced_expire: false,
    sender: entry.sender,
    recipients: entry.recipients
      .filter((r) => r.status === 'pending')
      .map((r) => (r.lastReply ? { address: r.address, delay_reason: r.lastReply } : { address: r.address })),
    attempts: entry.attempts,
    next_attempt: Math.floor(entry.nextAttempt / 1000),
    group: entry.group,
  };
}
