// The control file (Sendmail's qf): one QueueEntry as JSON plus a format version,
// so a later Mailstop can read — or knowingly refuse — an older spool.
//
// Owns: encoding and validating control records. Never: I/O. A record that fails
// validation is reported with a reason a person can read; the spool moves it to
// the corrupt area (Postfix qmgr_active_corrupt()), it is never guessed at.
import type { QueueEntry, QueueId } from '../contracts.ts';

/** Bump when the meaning of a field changes; add-only changes keep the version. */
export const QF_VERSION = 1;
/**
 * Version 2 is the same record as version 1, but the message follows it in the
 * same file, right after the record's '\n' (there is no df). One file means one
 * fdatasync per accepted message instead of two, as Postfix keeps envelope and
 * content in one queue file. JSON.stringify escapes every newline inside strings,
 * so the first '\n' always ends the record.
 */
export const QF_INLINE_VERSION = 2;

export type Decoded = { ok: true; entry: QueueEntry; inline: boolean } | { ok: false; reason: string };

/** A version-1 control file: the record alone, the message is in dfID. */
export function encodeControl(entry: QueueEntry): string {
  return JSON.stringify({ qfVersion: QF_VERSION, ...entry }) + '\n';
}

/** The head of a version-2 control file; the message bytes follow it in the same file. */
export function encodeInlineHead(entry: QueueEntry): string {
  return JSON.stringify({ qfVersion: QF_INLINE_VERSION, ...entry }) + '\n';
}

const STATES = new Set(['active', 'deferred', 'hold']);
const RCPT_STATUSES = new Set(['pending', 'sent', 'bounced']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Parse and check a control record (the text up to its '\n'); `id` is the one its file name carries. */
export function decodeControl(text: string, id: QueueId): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return { ok: false, reason: `control file is not valid JSON (${err.message})` };
  }
  if (!isObject(raw)) return { ok: false, reason: 'control file is not a JSON object' };
  const { qfVersion, ...rest } = raw;
  if (qfVersion !== QF_VERSION && qfVersion !== QF_INLINE_VERSION) {
    return {
      ok: false,
      reason: `unknown control file version ${JSON.stringify(qfVersion)} (expected ${QF_VERSION} or ${QF_INLINE_VERSION})`,
    };
  }
  const problem = checkEntry(rest, id);
  if (problem) return { ok: false, reason: `invalid control file: ${problem}` };
  return { ok: true, entry: rest as unknown as QueueEntry, inline: qfVersion === QF_INLINE_VERSION };
}

/** The first thing wrong with a would-be QueueEntry, or null when the scheduler can use it. */
function checkEntry(e: Record<string, unknown>, id: QueueId): string | null {
  if (e.id !== id) return `id ${JSON.stringify(e.id)} does not match file name ${id}`;
  if (typeof e.sender !== 'string') return 'sender is not a string';
  if (!Array.isArray(e.recipients) || e.recipients.length === 0) return 'recipients is not a non-empty list';
  for (const [i, r] of e.recipients.entries()) {
    if (!isObject(r) || typeof r.address !== 'string' || !RCPT_STATUSES.has(r.status as string)) {
      return `recipients[${i}] lacks an address or a valid status`;
    }
  }
  if (!isTime(e.arrivalTime)) return 'arrivalTime is not a time';
  if (!isCount(e.size)) return 'size is not a byte count';
  if (!STATES.has(e.state as string)) return `state ${JSON.stringify(e.state)} is not active, deferred or hold`;
  if (typeof e.group !== 'string') return 'group is not a string';
  if (!isCount(e.attempts)) return 'attempts is not a count';
  if (!isTime(e.nextAttempt)) return 'nextAttempt is not a time';
  const c = e.client;
  if (!isObject(c) || typeof c.address !== 'string' || typeof c.protocol !== 'string' || typeof c.daemon !== 'string') {
    return 'client lacks address, protocol or daemon';
  }
  return null;
}
