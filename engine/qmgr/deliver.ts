// One delivery attempt of one queued message: resolve every pending recipient,
// group destinations by (transport, nexthop, port) so each destination gets ONE
// transaction carrying all its recipients (issue 2 §4), hand each group to the
// transport, and report every destination's result under the recipient it came
// from. Destinations an earlier attempt settled (RecipientState.done) are not
// tried again, so a partly delivered expansion (\alice + alice@elsewhere) never
// gives alice a second copy. Never writes the spool: commit.ts does, durably.
import type {
  DeliveryReport, DeliveryResult, Destination, OutboundMessage, QueueEntry,
} from '../contracts.ts';
import { inert } from '../inert-text.ts';
import { isLocalDomain } from '../resolve/index.ts';
import type { QmgrDeps } from './types.ts';

/**
 * A result as it will be stored, logged, shown and put in a DSN: the peer's (or
 * program's, or file's) words with every control character escaped (issue 11 §3).
 * This is where outside text enters the queue, so nothing downstream sees it raw.
 */
function inertResult<T extends { reply: string; remoteMta?: string }>(r: T): T {
  return { ...r, reply: inert(r.reply), ...(r.remoteMta !== undefined ? { remoteMta: inert(r.remoteMta) } : {}) };
}

/** One destination (or resolution failure) of a recipient, and what this attempt did to it. */
export interface DestinationOutcome {
  /** destinationKey(): what RecipientState.done remembers once it is settled. */
  key: string;
  /** The final address (after aliases / .forward): a DSN about it names this one. */
  address: string;
  status: 'sent' | 'deferred' | 'bounced';
  reply: string;
  dsnStatus: string;
  remoteMta?: string;
  /** Sent to a next hop that offered DSN: NOTIFY went on, a success report is not ours (RFC 3461 §6.2.6.1). */
  dsnPassedOn?: boolean;
  /** Not tried in this attempt (a local-only pass): stays open, says nothing new about the recipient. */
  skipped?: boolean;
}

/** The outcome of one recipient (by its index in entry.recipients). */
export interface RecipientOutcome {
  index: number;
  /** Worst of `parts` (deferred > bounced > sent), or the recipient's own when it has none. */
  status: 'sent' | 'deferred' | 'bounced';
  reply: string;
  dsnStatus: string;
  remoteMta?: string;
  /**
   * Each destination tried in this attempt. Empty when the outcome is about the
   * recipient itself: resolution failed (deferred), resolved to nothing (bounced),
   * or every destination was already done in an earlier attempt (sent).
   */
  parts: DestinationOutcome[];
}

export interface AttemptReport {
  outcomes: RecipientOutcome[];
  transcript: string[];
  startedAt: number;
  /** The engine stopped mid-attempt: unfinished destinations were not tried (or were cut off). */
  interrupted?: boolean;
  /** 'local': only mailboxes, files and programs were tried; mail for other hosts was left as it was. */
  scope: AttemptScope;
  /**
   * Some SMTP destination could not reach its next hop at all (connection refused or
   * timed out, no route, DNS failure: RFC 3463 4.4.x): qmgr asks the online gate.
   */
  unreachable?: { nexthop: string; reply: string };
  /** The gate, asked after `unreachable`, says we are offline: this attempt is not counted. */
  offline?: boolean;
}

/**
 * `all`: every pending destination. `local`: only those that need no network
 * (local mailboxes, files, programs, discard, error) — what runs while offline or
 * waiting for a queue run (issue 10 §3: local delivery is never gated).
 */
export type AttemptScope = 'all' | 'local';

/** Transports that go over the network; the rest are delivered on this machine. */
function needsNetwork(d: Destination): boolean {
  return d.transport === 'smtp';
}

/**
 * A deferral that says the next hop was not reached at all: a network or routing
 * status (RFC 3463 §3.5, 4.4.x) with no remote MTA behind it. A server's own reply
 * carrying 4.4.x ("451 4.4.1 busy") names its remoteMta: it was reached.
 */
export function nextHopUnreachable(r: DeliveryResult): boolean {
  return r.status === 'deferred' && /^4\.4\.[0-9]+$/.test(r.dsnStatus) && !r.remoteMta;
}

/** The transport's transcript note of a new TLS session (transports/smtp-session.ts), copied to the maillog. */
const TLS_NOTE = '*** STARTTLS=client, ';

// A bounded transcript keeps the control file small; the last lines say why.
const MAX_TRANSCRIPT_LINES = 200;

export const INTERRUPTED_REPLY = 'delivery interrupted: Mailstop is stopping; will try again after restart';

export function outboundOf(entry: QueueEntry, deps: Pick<QmgrDeps, 'spool'>): OutboundMessage {
  return {
    id: entry.id, sender: entry.sender, size: entry.size,
    open: () => deps.spool.open(entry.id),
    bytes: () => deps.spool.readInline(entry.id) ?? undefined,
    body: entry.body, smtputf8: entry.smtputf8, ret: entry.ret, envid: entry.envid, client: entry.client,
  };
}

function groupKey(d: Destination): string {
  return JSON.stringify([d.transport, d.nexthop.toLowerCase(), d.port ?? null, !!d.smartHost]);
}

/**
 * What RecipientState.done remembers about a destination: `local:alice` (the
 * mailbox), `smtp:alice@elsewhere.example`, `pipe:/usr/bin/procmail`,
 * `file:/var/mail/x`, `discard:/dev/null`. An SMTP destination is keyed by its
 * address alone, not its nexthop: if the route changes between attempts (a smart
 * host is set), a copy already handed over must still not be sent again.
 * Domains compare case-insensitively; local parts as written (RFC 5321 §2.4).
 */
export function destinationKey(d: Pick<Destination, 'transport' | 'nexthop' | 'address'>): string {
  switch (d.transport) {
    case 'smtp':
    case 'error': {
      const at = d.address.lastIndexOf('@');
      return `${d.transport}:${at < 0 ? d.address : d.address.slice(0, at + 1) + d.address.slice(at + 1).toLowerCase()}`;
    }
    default: return `${d.transport}:${d.nexthop}`;
  }
}

/** Resolution failures are remembered too, so a bounced alias member is reported once. */
export function failureKey(address: string): string {
  return `fail:${address}`;
}

/** Worst first: a deferral keeps the recipient queued; otherwise a bounce is reported. */
const RANK = { deferred: 2, bounced: 1, sent: 0 } as const;

/** What stops an attempt early; engine stop() fires it after its grace period. */
export interface AttemptControl {
  signal?: AbortSignal;
  /** Default 'all'. */
  scope?: AttemptScope;
}

/** Every destination deferred: not tried, or cut off, because the engine stops (RFC 3463 4.3.2 system not accepting). */
function interruptedReport(dests: Destination[]): DeliveryReport {
  return {
    results: dests.map((d) => ({ address: d.address, status: 'deferred', reply: INTERRUPTED_REPLY, dsnStatus: '4.3.2' })),
    transcript: [],
  };
}

/**
 * Resolves with the transport's report, or with deferrals the moment `signal`
 * fires. The transport's connection is abandoned, not closed (transports take no
 * signal yet); it ends with its own timeouts and its late result is ignored.
 */
function raceAbort(p: Promise<DeliveryReport>, dests: Destination[], signal: AbortSignal | undefined): Promise<DeliveryReport> {
  if (!signal) return p;
  const cut = () => interruptedReport(dests);
  if (signal.aborted) return Promise.resolve(cut());
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(cut());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (r) => { signal.removeEventListener('abort', onAbort); resolve(r); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}

export async function attemptDelivery(deps: QmgrDeps, entry: QueueEntry, control: AttemptControl = {}): Promise<AttemptReport> {
  const startedAt = deps.clock.now();
  const transcript: string[] = [];
  const own = new Map<number, RecipientOutcome>(); // about the recipient itself
  const parts = new Map<number, DestinationOutcome[]>();
  const addPart = (index: number, o: DestinationOutcome) => {
    const list = parts.get(index) ?? [];
    list.push(o);
    parts.set(index, list);
  };

  // A recipient that never reaches a transport still gets its maillog line and its
  // event, as Sendmail logs `to=<x@localhost>, …, mailer=local, dsn=5.1.1, stat=User
  // unknown`: an administrator greps the log for every recipient, and `flush -v`
  // must say why nothing was sent. No relay= — no host was talked to.
  const report = (address: string, result: Pick<DeliveryResult, 'status' | 'reply' | 'dsnStatus'>) => {
    const r = inertResult({ ...result, address } as DeliveryResult);
    deps.log.toLine(entry, r, { mailer: resolutionMailer(address, deps), attemptStart: startedAt });
    deps.emit({ type: 'delivery:result', id: entry.id, address, status: r.status, reply: r.reply });
  };

  // 1. Resolve, skipping what earlier attempts settled (RecipientState.done). A
  //    resolver that throws is a temporary failure of ours, not the address's.
  //    The same destination reached from two recipients is delivered once for both.
  const groups = new Map<string, { dests: Destination[]; owners: number[][] }>();
  await Promise.all(entry.recipients.map(async (r, index) => {
    if (r.status !== 'pending') return;
    const done = new Set(r.done ?? []);
    try {
      const res = await deps.resolve(r.address);
      let open = 0;
      for (const f of res.failures) {
        const key = failureKey(f.address);
        if (done.has(key)) continue;
        open++;
        const deferred = f.status.startsWith('4');
        const status = deferred ? 'deferred' : 'bounced';
        // A failure's reason can quote a file (aliases, .forward, a route's error: text).
        addPart(index, { key, address: f.address, status, reply: inert(f.reason), dsnStatus: f.status });
        report(f.address, { status, reply: f.reason, dsnStatus: f.status });
      }
      for (const raw of res.destinations) {
        const key = destinationKey(raw);
        if (done.has(key)) continue;
        open++;
        // RFC 3461 §4: NOTIFY and ORCPT travel with the recipient to the next hop.
        const d: Destination = { ...raw, ...(r.notify ? { notify: r.notify } : {}), ...(r.orcpt ? { orcpt: r.orcpt } : {}) };
        const g = groups.get(groupKey(d)) ?? { dests: [], owners: [] };
        const same = g.dests.findIndex((x) => destinationKey(x) === key);
        if (same >= 0) g.owners[same].push(index);
        else {
          g.dests.push(d);
          g.owners.push([index]);
        }
        groups.set(groupKey(d), g);
      }
      if (open > 0) return;
      if (done.size > 0) {
        own.set(index, { index, status: 'sent', reply: 'every destination delivered in an earlier attempt', dsnStatus: '2.0.0', parts: [] });
      } else {
        const o = { status: 'bounced', reply: '550 5.1.1 No deliverable destination for this address', dsnStatus: '5.1.1' } as const;
        own.set(index, { index, ...o, parts: [] });
        report(r.address, o);
      }
    } catch (err) {
      const o = { status: 'deferred', reply: inert(`address resolution failed: ${(err as Error).message}`), dsnStatus: '4.3.0' } as const;
      own.set(index, { index, ...o, parts: [] });
      report(r.address, o);
    }
  }));

  // 2. One transaction per destination, one after the other: concurrency is
  //    bounded across messages by the caller, so a message never holds several slots.
  const message = outboundOf(entry, deps);
  const scope = control.scope ?? 'all';
  let interrupted = false;
  let unreachable: AttemptReport['unreachable'];
  for (const { dests, owners } of groups.values()) {
    if (scope === 'local' && needsNetwork(dests[0])) {
      // Not tried: no DNS, no connection, no log line; the recipient keeps what it had.
      dests.forEach((d, i) => {
        for (const index of owners[i]) addPart(index, { key: destinationKey(d), address: d.address, status: 'deferred', reply: '', dsnStatus: '4.4.1', skipped: true });
      });
      continue;
    }
    if (control.signal?.aborted) interrupted = true;
    const groupStart = deps.clock.now();
    let report: DeliveryReport;
    if (interrupted) {
      report = interruptedReport(dests);
    } else {
      deps.emit({ type: 'delivery:attempting', id: entry.id, recipients: dests.map((d) => d.address), nexthop: dests[0].nexthop });
      const onTranscript = (raw: string) => {
        const line = inert(raw);
        // Sendmail logs every outbound TLS handshake; the transport notes it once per session.
        if (line.startsWith(TLS_NOTE)) deps.log.info(entry.id, line.slice(4));
        transcript.push(line);
        if (transcript.length > MAX_TRANSCRIPT_LINES) transcript.shift();
        deps.emit({ type: 'delivery:transcript', id: entry.id, line });
      };
      try {
        report = await raceAbort(deps.deliver(message, dests, onTranscript, control.signal), dests, control.signal);
      } catch (err) {
        // A transport that throws has a bug or met the unexpected; the mail stays queued.
        const reply = `transport ${dests[0].transport} failed: ${(err as Error).message}`;
        report = { results: dests.map((d) => ({ address: d.address, status: 'deferred', reply, dsnStatus: '4.3.0' })), transcript: [] };
      }
      if (control.signal?.aborted) interrupted = true;
    }
    const matched = matchResults(dests, report.results).map(inertResult);
    const relay = report.relay === undefined ? undefined : inert(report.relay);
    if (!interrupted && needsNetwork(dests[0]) && !unreachable) {
      const gone = matched.find(nextHopUnreachable);
      if (gone) unreachable = { nexthop: dests[0].smartHost ? `smart host ${dests[0].nexthop}` : dests[0].nexthop, reply: gone.reply };
    }
    matched.forEach((result, i) => {
      const d = dests[i];
      for (const index of owners[i]) {
        const passed = result.status === 'sent' && result.dsnPassedOn ? { dsnPassedOn: true } : {};
        addPart(index, { key: destinationKey(d), address: d.address, status: result.status, reply: result.reply, dsnStatus: result.dsnStatus, remoteMta: result.remoteMta, ...passed });
      }
      deps.log.toLine(entry, { ...result, address: d.address }, { mailer: d.mailer, relay, attemptStart: groupStart });
      deps.emit({ type: 'delivery:result', id: entry.id, address: d.address, status: result.status, reply: result.reply, relay });
    });
  }

  // 3. One outcome per recipient: its parts, and their worst status for the summary.
  //    A recipient whose every destination was skipped has no outcome: nothing happened to it.
  const outcomes: RecipientOutcome[] = [...own.values()];
  for (const [index, list] of parts) {
    const tried = list.filter((p) => !p.skipped);
    if (tried.length === 0) continue;
    const worst = tried.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
    outcomes.push({ index, status: worst.status, reply: worst.reply, dsnStatus: worst.dsnStatus, remoteMta: worst.remoteMta, parts: list });
  }
  return {
    outcomes: outcomes.sort((a, b) => a.index - b.index), transcript, startedAt, scope,
    ...(interrupted ? { interrupted } : {}), ...(unreachable ? { unreachable } : {}),
  };
}

/**
 * The maillog mailer= of an address that resolved to no destination: `local` for
 * our own domains (and unqualified names, which resolve treats as local), else
 * `esmtp`, the mailer it would have gone out with.
 */
export function resolutionMailer(address: string, deps: Pick<QmgrDeps, 'settings'>): 'local' | 'esmtp' {
  const at = address.lastIndexOf('@');
  if (at < 0) return 'local';
  const domain = address.slice(at + 1).replace(/>$/, '').replace(/\.$/, '');
  return isLocalDomain(domain, deps.settings()) ? 'local' : 'esmtp';
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
