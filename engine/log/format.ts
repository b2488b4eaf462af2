// Text shapes of the maillog, kept byte-compatible with Sendmail's so that log
// readers written for it (pflogsumm-style scripts, grep one-liners) keep working
// (shared/reference/sendmail-formats.md). Pure functions; no I/O.
import { inert } from '../inert-text.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');
const DAY_MS = 86_400_000;

/**
 * Sendmail's delay=/xdelay= value: `hh:mm:ss`, or `d+hh:mm:ss` from one day on
 * (sendmail/util.c pintvl). Whole seconds, rounded down; negative (clock stepped
 * back) reads as zero rather than as nonsense.
 */
export function formatDelay(ms: number): string {
  const total = Math.max(0, Math.floor((Number.isFinite(ms) ? ms : 0) / 1000));
  const days = Math.floor(total / (DAY_MS / 1000));
  const rest = total % (DAY_MS / 1000);
  const hms = `${pad2(Math.floor(rest / 3600))}:${pad2(Math.floor((rest % 3600) / 60))}:${pad2(rest % 60)}`;
  return days > 0 ? `${days}+${hms}` : hms;
}

/**
 * The syslog (RFC 3164 §4.1.2) head of a line: `Sep 10 22:23:41 host mailstop[PID]:`.
 * Local time, day of month space-padded (`Sep  1`), exactly as syslogd writes it.
 */
export function syslogPrefix(date: Date, host: string, pid: number, program = 'mailstop'): string {
  const day = String(date.getDate()).padStart(2, ' ');
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  return `${MONTHS[date.getMonth()]} ${day} ${time} ${host} ${program}[${pid}]:`;
}

/**
 * One log field value on one line: a line break would let a remote reply forge
 * log lines, and ESC/NUL/BEL would act on the terminal of whoever reads the log.
 * Line breaks and tabs become spaces; other controls are shown escaped (`\x1b`).
 */
export function logSafe(text: string): string {
  return inert(text).replace(/ {2,}/g, ' ').trim();
}

/**
 * "250 2.0.0 Ok: queued as X" → "Ok: queued as X", and Sendmail's own
 * "550 5.1.1 <bob@x>... User unknown" → "User unknown": the text Sendmail puts in
 * stat=Sent (…) and in a bounce's stat=.
 */
export function replyText(reply: string): string {
  return logSafe(reply)
    .replace(/^\d{3}[ -]/, '')
    .replace(/^[245]\.\d{1,3}\.\d{1,3}\s*/, '')
    .replace(/^<[^>]*>\.\.\.\s*/, '')
    .trim();
}
