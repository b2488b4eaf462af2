// What repeats across queued mail is kept once in the index: the client a
// thousand messages came from, the sender of a mailing, the reply a dead MX gave
// every message for it and the transcript lines around it, the next hop's name. Each decoded control record (and
// each copy a commit makes) brings its own strings; with 100 000 queued those
// copies are most of the index (issue 13: the engine's RSS with 100 000 queued).
//
// Owns: sharing values between index entries. Never: changing what an entry says.
// Safe because index entries are never changed in place — every change is a new
// entry (store.ts) — and a shared client object is frozen, so a write to one would
// throw instead of silently changing a thousand messages.
import type { ClientInfo, QueueEntry, RecipientState } from '../contracts.ts';

/**
 * Distinct values remembered before the table starts over: enough for the senders,
 * domains and replies of a large queue; a value seen once (a queue ID in a reply)
 * does not make the table grow without bound. Starting over only forgets: values
 * already shared stay shared.
 */
const TABLE_MAX = 50_000;

export class Sharer {
  private strings = new Map<string, string>();
  private clients = new Map<string, ClientInfo>();

  str(s: string): string;
  str(s: string | undefined): string | undefined;
  str(s: string | undefined): string | undefined {
    if (s === undefined) return s;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= TABLE_MAX) this.strings = new Map();
    this.strings.set(s, s);
    return s;
  }

  client(c: ClientInfo): ClientInfo {
    const key = JSON.stringify(c);
    const known = this.clients.get(key);
    if (known) return known;
    if (this.clients.size >= TABLE_MAX) this.clients = new Map();
    // A copy: the caller's object (an SMTP session's) may still change after this message.
    const copy = structuredClone(c);
    if (copy.tls) Object.freeze(copy.tls);
    Object.freeze(copy);
    this.clients.set(key, copy);
    return copy;
  }

  /** The same entry, its repeated values shared. A new object: the caller's is left as it was. */
  entry(e: QueueEntry): QueueEntry {
    const out: QueueEntry = {
      ...e,
      sender: this.str(e.sender),
      group: this.str(e.group),
      client: this.client(e.client),
      recipients: e.recipients.map((r) => this.recipient(r)),
    };
    if (e.reason !== undefined) out.reason = this.str(e.reason);
    // The last attempt's transcript (up to 200 lines) is the biggest part of a deferred
    // entry, and after an outage thousands say the same ("Connecting to mx...",
    // "connect: ECONNREFUSED"): each line is kept once. The array stays the entry's own.
    if (e.transcript !== undefined) out.transcript = e.transcript.map((line) => this.str(line));
    // Authentication-Results of mail from one sender often match word for word.
    if (e.prepend !== undefined) out.prepend = this.str(e.prepend);
    return out;
  }

  private recipient(r: RecipientState): RecipientState {
    const out: RecipientState = { ...r, address: this.str(r.address) };
    if (r.lastReply !== undefined) out.lastReply = this.str(r.lastReply);
    if (r.dsnStatus !== undefined) out.dsnStatus = this.str(r.dsnStatus);
    if (r.remoteMta !== undefined) out.remoteMta = this.str(r.remoteMta);
    return out;
  }
}
