// Why a message is where it is, in words a person understands ("waiting: offline",
// "held by you", "remote said 452 mailbox full"). Pure: entry + online state in,
// sentence out; the engine's own `reason` is the fallback, never discarded.
import type { OnlineState } from '../../engine/api.ts';
import type { QueueEntry } from '../../engine/contracts.ts';
import type { Settings } from '../../engine/api.ts';
import { plainError } from './errors.ts';

/** "452-4.2.2 Mailbox full\n452 4.2.2 try later" → "452 mailbox full, try later" */
export function plainReply(reply: string): string {
  const lines = reply.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const code = /^(\d{3})[ -]/.exec(lines[0] ?? '')?.[1];
  const text = lines
    .map((l) => l.replace(/^\d{3}[ -]/, '').replace(/^\d\.\d{1,3}\.\d{1,3}\s+/, ''))
    .join(', ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!code) return text;
  // Lower-case the server's shouting but keep what looks like a name or host.
  const soft = text.replace(/^[A-Z][a-z]/, (m) => m.toLowerCase());
  return `${code} ${soft}`;
}

export function lastReplyOf(entry: QueueEntry): { reply: string; host?: string } | null {
  const r = entry.recipients.find((x) => x.status === 'pending' && x.lastReply) ?? entry.recipients.find((x) => x.lastReply);
  return r?.lastReply ? { reply: r.lastReply, host: r.remoteMta } : null;
}

export interface ReasonContext {
  online: OnlineState | null;
  mode?: Settings['delivery']['mode'];
  /** A delivery attempt for this message is in flight (delivery:attempting seen). */
  delivering?: boolean;
}

export function plainReason(entry: QueueEntry, ctx: ReasonContext): string {
  const offline = ctx.online !== null && !ctx.online.online;
  if (ctx.delivering) return 'being delivered now';
  if (entry.state === 'hold') {
    if (entry.heldBy === 'admin' || entry.heldBy === undefined) return 'held by you';
    return offline ? 'waiting: offline' : 'waiting: hold mode';
  }
  if (offline) return 'waiting: offline';
  const last = lastReplyOf(entry);
  if (last) return /^\d{3}[ -]/.test(last.reply) ? `remote said ${plainReply(last.reply)}` : plainError(last.reply);
  if (entry.reason) return plainError(entry.reason);
  if (entry.attempts === 0) {
    if (ctx.mode === 'deferred') return 'waiting: holding all mail until a queue run or Flush';
    if (ctx.mode === 'queueonly') return 'waiting for the next queue run';
    return 'new: about to be delivered';
  }
  return 'waiting to retry';
}
