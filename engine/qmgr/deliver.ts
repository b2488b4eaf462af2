// One delivery attempt of one queued message: resolve every pending recipient,
// group destinations by (transport, nexthop, port) so each destination gets ONE
// transaction carrying all its recipients (issue 2 §4), hand each group to the
// transport, and fold the per-destination results back into per-recipient
// outcomes. Never writes the spool: the caller commits the outcomes durably.
import type {
  DeliveryReport, DeliveryResult, Destination, OutboundMessage, QueueEntry,
} from '../contracts.ts';
import type { QmgrDeps } from './types.ts';

/** The outcome of one recipient (by its index in entry.recipients). */
export interface RecipientOutcome {
  index: number;
  status: 'sent' | 'deferred' | 'bounced';
  reply: string;
  dsnStatus: string;
  remoteMta?: string;
}

export interface AttemptReport {
  outcomes: RecipientOutcome[];
  transcript: string[];
  startedAt: number;
}

// A bounded transcript keeps the control file small; the last lines say why.
const MAX_TRANSCRIPT_LINES = 200;

export function outboundOf(entry: QueueEntry, deps: Pick<QmgrDeps, 'spool'>): OutboundMessage {
  return {
    id: entry.id, sender: entry.sender, size: entry.size,
    open: () => deps.spool.open(entry.id),
    body: entry.body, smtputf8: entry.smtputf8, ret: entry.ret, envid: entry.envid,
  };
}

function groupKey(d: Destination): string {
  return JSON.stringify([d.transport, d.nexthop.toLowerCase(), d.port ?? null, !!d.smartHost]);
}

/** Worst first: a deferral keeps the recipient queued; otherwise a bounce is reported. */
const RANK = { deferred: 2, bounced: 1, sent: 0 } as const;

export async function attemptDelivery(deps: QmgrDeps, entry: QueueEntry): Promise<AttemptReport> {
  const startedAt = deps.clock.now();
  const transcript: string[] = [];
  const perRecipient = new Map<number, RecipientOutcome[]>();
  const push = (o: RecipientOutcome) => {
    const list = perRecipient.get(o.index) ?? [];
    list.push(o);
    perRecipient.set(o.index, list);
  };

  // 1. Resolve. A resolver that throws is a temporary failure of ours, not the address's.
  const groups = new Map<string, { dests: Destination[]; owners: number[] }>();
  await Promise.all(entry.recipients.map(async (r, index) => {
    if (r.status !== 'pending') return;
    try {
      const res = await deps.resolve(r.address);
      for (const f of res.failures) {
        const deferred = f.status.startsWith('4');
        push({ index, status: deferred ? 'deferred' : 'bounced', reply: f.reason, dsnStatus: f.status });
      }
      if (res.destinations.length === 0 && res.failures.length === 0) {
        push({ index, status: 'bounced', reply: '550 5.1.1 No deliverable destination for this address', dsnStatus: '5.1.1' });
      }
      for (const d of res.destinations) {
        const k = groupKey(d);
        const g = groups.get(k) ?? { dests: [], owners: [] };
        g.dests.push(d);
        g.owners.push(index);
        groups.set(k, g);
      }
    } catch (err) {
      push({ index, status: 'deferred', reply: `address resolution failed: ${(err as Error).message}`, dsnStatus: '4.3.0' });
    }
  }));

  // 2. One transaction per destination, one after the other: concurrency is
  //    bounded across messages by the caller, so a message never holds several slots.
  const message = outboundOf(entry, deps);
  for (const { dests, owners } of groups.values()) {
    deps.emit({ type: 'delivery:attempting', id: entry.id, recipients: dests.map((d) => d.address), nexthop: dests[0].nexthop });
    const onTranscript = (line: string) => {
      transcript.push(line);
      if (transcript.length > MAX_TRANSCRIPT_LINES) transcript.shift();
      deps.emit({ type: 'delivery:transcript', id: entry.id, line });
    };
    const groupStart = deps.clock.now();
    let report: DeliveryReport;
    try {
      report = await deps.deliver(message, dests, onTranscript);
    } catch (err) {
      // A transport that throws has a bug or met the unexpected; the mail stays queued.
      const reply = `transport ${dests[0].transport} failed: ${(err as Error).message}`;
      report = { results: dests.map((d) => ({ address: d.address, status: 'deferred', reply, dsnStatus: '4.3.0' })), transcript: [] };
    }
    const matched = matchResults(dests, report.results);
    matched.forEach((result, i) => {
      const d = dests[i];
      push({ index: owners[i], status: result.status, reply: result.reply, dsnStatus: result.dsnStatus, remoteMta: result.remoteMta });
      deps.log.toLine(entry, { ...result, address: d.address }, { mailer: d.mailer, relay: report.relay, attemptStart: groupStart });
      deps.emit({ type: 'delivery:result', id: entry.id, address: d.address, status: result.status, reply: result.reply, relay: report.relay });
    });
  }

  // 3. Fold: one outcome per recipient, worst first.
  const outcomes: RecipientOutcome[] = [];
  for (const [, list] of perRecipient) {
    outcomes.push(list.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a)));
  }
  return { outcomes: outcomes.sort((a, b) => a.index - b.index), transcript, startedAt };
}

/**
 * Pair each destination with its result: by position when the transport kept the
 * order, otherwise by address. A destination without a result stays queued.
 */
export function matchResults(dests: Destination[], results: DeliveryResult[]): DeliveryResult[] {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (results.length === dests.length && results.every((r, i) => same(r.address, dests[i].address))) return results;
  const pool = [...results];
  return dests.map((d) => {
    const i = pool.findIndex((r) => same(r.address, d.address));
    if (i >= 0) return pool.splice(i, 1)[0];
    return { address: d.address, status: 'deferred', reply: 'transport returned no result for this recipient', dsnStatus: '4.3.0' };
  });
}
