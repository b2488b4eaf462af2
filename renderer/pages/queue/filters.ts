// Queue filtering for the Queue page: by state, sender, recipient, domain and free
// text. Pure and fast enough for 100 000 entries per keystroke: each entry's
// lower-cased search fields are computed once and cached by object identity
// (entries are replaced, never mutated, when the engine changes them).
import type { QueueEntry, QueueState } from '../../../engine/contracts.ts';
import { domainOf } from '../../lib/format.ts';

export interface QueueFilter {
  state: QueueState | 'all';
  sender: string;
  recipient: string;
  domain: string;
  text: string;
}

export const EMPTY_FILTER: QueueFilter = { state: 'all', sender: '', recipient: '', domain: '', text: '' };

// One cache per field, filled only when a filter on that field is used: the first
// keystroke in "Domain" should not pay for lower-casing every reply text too.
const senders = new WeakMap<QueueEntry, string>();
const recipients = new WeakMap<QueueEntry, string>();
const domains = new WeakMap<QueueEntry, string[]>();
const texts = new WeakMap<QueueEntry, string>();

function pending(e: QueueEntry) {
  return e.recipients.filter((r) => r.status === 'pending');
}

function cached<T>(map: WeakMap<QueueEntry, T>, e: QueueEntry, make: (e: QueueEntry) => T): T {
  let v = map.get(e);
  if (v === undefined) map.set(e, (v = make(e)));
  return v;
}

const senderKey = (e: QueueEntry): string => cached(senders, e, (x) => x.sender.toLowerCase());
const recipientKey = (e: QueueEntry): string => cached(recipients, e, (x) => pending(x).map((r) => r.address.toLowerCase()).join('\n'));
const domainKeys = (e: QueueEntry): string[] => cached(domains, e, (x) => {
  const p = pending(x);
  // Nearly every message has one recipient: skip the Set for that case.
  return p.length === 1 ? [domainOf(p[0].address)] : [...new Set(p.map((r) => domainOf(r.address)))];
});
const textKey = (e: QueueEntry): string => cached(texts, e, (x) => [x.id, x.sender, ...pending(x).map((r) => `${r.address}\n${r.lastReply ?? ''}`),
  x.reason ?? '', x.messageId ?? ''].join('\n').toLowerCase());

export function isEmptyFilter(f: QueueFilter): boolean {
  return f.state === 'all' && !f.sender.trim() && !f.recipient.trim() && !f.domain.trim() && !f.text.trim();
}

/** Entries matching every given part of the filter, in the order given (the live store keeps arrival order). */
export function filterQueue(entries: Iterable<QueueEntry>, f: QueueFilter): QueueEntry[] {
  const sender = f.sender.trim().toLowerCase();
  const recipient = f.recipient.trim().toLowerCase();
  const domain = f.domain.trim().toLowerCase().replace(/^@/, '');
  const text = f.text.trim().toLowerCase();
  const out: QueueEntry[] = [];
  for (const e of entries) {
    if (f.state !== 'all' && e.state !== f.state) continue;
    if (!sender && !recipient && !domain && !text) {
      out.push(e);
      continue;
    }
    if (sender && !senderKey(e).includes(sender)) continue;
    if (recipient && !recipientKey(e).includes(recipient)) continue;
    // A domain filter matches the domain and its subdomains, not any substring.
    if (domain && !domainKeys(e).some((d) => d === domain || d.endsWith('.' + domain))) continue;
    if (text && !textKey(e).includes(text)) continue;
    out.push(e);
  }
  return out;
}

/** Entries whose search keys are computed per slice of idle time: small enough not to drop a frame. */
const PREWARM_CHUNK = 2000;

/**
 * Fill the search caches in the background after the queue loads, so the first
 * keystroke in a filter costs a scan, not 100 000 lower-casings. Returns a cancel.
 */
export function prewarm(entries: readonly QueueEntry[]): () => void {
  let i = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const step = (): void => {
    const end = Math.min(entries.length, i + PREWARM_CHUNK);
    for (; i < end; i++) {
      const e = entries[i];
      senderKey(e);
      recipientKey(e);
      domainKeys(e);
      textKey(e);
    }
    timer = i < entries.length ? setTimeout(step, 0) : null;
  };
  timer = setTimeout(step, 0);
  return () => { if (timer) clearTimeout(timer); };
}
