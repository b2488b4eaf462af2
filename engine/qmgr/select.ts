// Which queue entries a QueueSelector names (sendmail -qI / -qR / -qS, and the
// UI's filters). Pure: answers a question about entries, never changes one.
import type { QueueEntry, QueueId } from '../contracts.ts';
import type { QueueSelector } from '../contracts.ts';

/**
 * All given parts must match; an empty selector matches everything (postsuper ALL).
 * A given but empty `ids` list names no message and matches nothing: a UI or API
 * client with nothing selected must never delete or bounce the whole queue.
 */
export function matches(entry: QueueEntry, sel: QueueSelector): boolean {
  if (sel.ids && !sel.ids.includes(entry.id)) return false;
  if (sel.state && entry.state !== sel.state) return false;
  if (sel.group && entry.group !== sel.group) return false;
  if (sel.sender !== undefined && sel.sender !== '') {
    // -qS matches the sender as mailq prints it, so "MAILER-DAEMON" finds bounces.
    const shown = entry.sender === '' ? 'MAILER-DAEMON' : entry.sender;
    if (!shown.toLowerCase().includes(sel.sender.toLowerCase())) return false;
  }
  if (sel.recipient !== undefined && sel.recipient !== '') {
    const want = sel.recipient.toLowerCase();
    const hit = entry.recipients.some((r) => r.status === 'pending' && r.address.toLowerCase().includes(want));
    if (!hit) return false;
  }
  return true;
}

export function select(entries: Iterable<QueueEntry>, sel: QueueSelector = {}): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const e of entries) if (matches(e, sel)) out.push(e);
  // Oldest first, like mailq and like a queue run: queue IDs are time-ordered.
  return out.sort((a, b) => a.arrivalTime - b.arrivalTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Ids asked for by name that are not in the queue (ActionResult.missing). */
export function missingIds(sel: QueueSelector, has: (id: QueueId) => boolean): QueueId[] {
  return (sel.ids ?? []).filter((id) => !has(id));
}
