// qmgr: the queue manager. Owns the in-memory index of queued mail, decides
// what is due (delivery mode, backoff, cron queue runs, expiry, the online gate)
// and runs attempts with bounded concurrency; it is the only stage that changes
// queue entries (STYLE.md §1), always durably through the spool. Never accepts
// mail (cleanup does), never talks SMTP (transports do), never resolves
// addresses itself (resolve does) — those arrive as injected functions.
// Delivery modes (engine/config/modes.ts): `whenonline` tries mail at once while
// the online gate is open; offline, and in `queueonly` mode, a message gets a
// local-only pass instead (mailboxes, files, programs: never gated, issue 10 §3);
// `deferred` and an admin's hold keep everything for a queue run or Flush.
// It also indexes entries another process committed to the spool (the sendmail
// CLI's fallback) with a periodic scan, and bounds stop(): deliveries still
// running after a grace period are cut off and stay queued.
import type { ActionResult, FlushOptions, FlushSummary, QueueSelector } from '../contracts.ts';
import type { QueueEntry, QueueId } from '../contracts.ts';
import * as actions from './actions.ts';
import { commitAttempt, WAITING_OFFLINE, WAITING_QUEUE_RUN } from './commit.ts';
import { attemptDelivery, type AttemptScope } from './deliver.ts';
import { isExpired, needsWarning, warnIfDue } from './expiry.ts';
import { Exclusion } from './exclusion.ts';
import { Limiter } from './limit.ts';
import { select } from './select.ts';
import { backoffMs, CronTicker, cronSpecs, isDue } from './schedule.ts';
import { EntryStore } from './store.ts';
import type { AttemptOutcome, QmgrDeps } from './types.ts';
import { closeIdleConnections } from '../transports/index.ts';

export type { QmgrDeps, QmgrLog, AttemptOutcome } from './types.ts';
export { indexable } from './store.ts';

// The heartbeat's period: cron's finest field is one second, and a retry whose
// time has come waits at most this long. Checking an in-memory index is cheap.
const HEARTBEAT_MS = 1000;

/**
 * How often the spool directory is scanned for entries another process committed
 * (`mailstop sendmail` writing the spool itself while the engine started) and for
 * crash leftovers that outlived their grace period. Such entries are rare (the CLI
 * talks to a running engine through its socket), so half a minute of delay is
 * fine; a listing of 10 000 entries costs a few milliseconds. A flush scans first.
 */
const SWEEP_MS = 30_000;

/**
 * How long stop() lets attempts in flight finish before cutting them off: most
 * SMTP transactions end within a second or two; a stop should not wait for a
 * peer that stalls (connect and reply timeouts are minutes, RFC 5321 §4.5.3.2).
 */
export const STOP_GRACE_MS = 5_000;

interface AttemptOptions {
  /** Try a message an admin holds (flush that names it by id). */
  ignoreHold?: boolean;
  /** "Send now anyway": try even while the online gate says offline. */
  ignoreOffline?: boolean;
  /** 'local': deliver only what needs no network (deliver.ts AttemptScope). Default 'all'. */
  scope?: AttemptScope;
}

/**
 * Held by a person: only a release or a flush by id moves it. Every hold is an
 * admin's (QueueEntry.heldBy 'mode' is never set: hold mode was not built).
 */
export function heldByAdmin(e: QueueEntry): boolean {
  return e.state === 'hold';
}

export class Qmgr {
  readonly store: EntryStore;
  private readonly inflight = new Map<QueueId, Promise<AttemptOutcome>>();
  /** Of those, the local-only passes: not shown as being delivered, and a full attempt waits for them. */
  private readonly localPasses = new Set<QueueId>();
  private readonly limiter: Limiter;
  private readonly cron: CronTicker;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | null = null;
  private tickChain: Promise<void> = Promise.resolve();
  private flushes = 0;
  /** The latest flush's progress: what it took on and how many it has finished. */
  private progress: { done: number; total: number } | null = null;
  private stopped = false;
  /** Fired by stop() after its grace period: attempts in flight give up (deliver.ts). */
  private halt = new AbortController();
  /** Admin actions never race a delivery of the same message. */
  private readonly exclusion = new Exclusion();
  /** Entries whose delay warning could not be queued: tried again once due (tick). */
  private readonly warnFailed = new Set<QueueId>();
  /**
   * Entries whose local destinations a local-only pass has settled (or found none):
   * mail that only waits for the network is not resolved again every heartbeat.
   * In memory only: after a restart each entry gets one local pass again.
   */
  private readonly localSettled = new Set<QueueId>();

  constructor(private readonly deps: QmgrDeps) {
    this.store = new EntryStore(deps.spool, deps.emit);
    this.limiter = new Limiter(() => deps.settings().delivery.concurrency);
    this.cron = new CronTicker(deps.clock.now());
  }

  // ---- lifecycle -------------------------------------------------------------

  /** Index what spool.recover() found. Delivery resumes on the first tick. */
  load(entries: QueueEntry[]): void { this.store.load(entries); }

  /** Start cron schedules and (unless `timers` is false) the heartbeat. */
  start(opts: { timers?: boolean } = {}): void {
    this.stopped = false;
    this.halt = new AbortController();
    this.applySettings();
    if (opts.timers !== false) {
      this.heartbeat = setInterval(() => { void this.runDue(); }, HEARTBEAT_MS);
      this.heartbeat.unref();
      this.sweeper = setInterval(() => { void this.sweep(); }, SWEEP_MS);
      this.sweeper.unref();
    }
  }

  /**
   * Stop scheduling and let attempts in flight finish for up to `graceMs`; then cut
   * them off: what they had not finished is committed as not tried (the entry stays
   * queued, its attempt not counted) and tried again after the next start.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.sweeper) clearInterval(this.sweeper);
    this.heartbeat = undefined;
    this.sweeper = undefined;
    this.cron.stop();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); });
    await Promise.race([this.whenIdle(), grace]);
    clearTimeout(timer);
    if (this.inflight.size > 0) {
      this.deps.log.info(null, `stopping: ${this.inflight.size} delivery attempt(s) still running after ${graceMs} ms cut off; they stay queued`);
      this.halt.abort();
    }
    await this.whenIdle();
    await this.tickChain;
    await this.sweeping;
    // Idle SMTP sessions kept for reuse would otherwise linger until their idle timeout.
    closeIdleConnections();
  }

  /** Re-read schedules after a settings change. Throws on a bad cron expression, keeping the old ones. */
  applySettings(): void {
    this.cron.set(cronSpecs(this.deps.settings()));
  }

  /** Resolves when no attempt is in flight (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  // ---- queries ----------------------------------------------------------------

  /** Entries as shown (honest state, see view()); a state selector matches the shown state. */
  list(sel?: QueueSelector): QueueEntry[] { return select(this.views(), sel); }
  get(id: QueueId): QueueEntry | undefined {
    const e = this.store.get(id);
    return e && this.view(e);
  }

  private views(): QueueEntry[] {
    const now = this.deps.clock.now();
    return this.store.values().map((e) => this.view(e, now));
  }

  /**
   * What the queue looks like to mailq, `mailq --json` and the UI, without a disk
   * write per message. The state is honest: `active` (mailq's `*`, Postfix's
   * active queue) only while an attempt is in flight or when background mode will
   * try it now; mail waiting for a queue run or for the network is `deferred`
   * whatever its control file says (cleanup and requeue write `active`). Mail
   * never tried has no reason yet; say why it waits: "waiting: offline" while the
   * gate is closed (whatever an older attempt said: that is what holds it now),
   * "waiting for a queue run" in queueonly/deferred mode.
   */
  private view(e: QueueEntry, now = this.deps.clock.now()): QueueEntry {
    const state = this.shownState(e, now);
    const v = state === e.state ? e : { ...e, state };
    if (state !== 'deferred') return v;
    if (!this.isOnline()) return v.reason === WAITING_OFFLINE ? v : { ...v, reason: WAITING_OFFLINE };
    if (v.reason && v.reason !== WAITING_OFFLINE) return v;
    if (this.deps.settings().delivery.mode !== 'whenonline') return { ...v, reason: WAITING_QUEUE_RUN };
    const { reason: _stale, ...fresh } = v;
    return fresh;
  }

  private shownState(e: QueueEntry, now: number): QueueEntry['state'] {
    if (e.state === 'hold') return 'hold';
    if (this.inflight.has(e.id) && !this.localPasses.has(e.id)) return 'active';
    if (e.state !== 'active') return e.state;
    return this.dueInBackground(e, now) ? 'active' : 'deferred';
  }

  /** The laptop mode tries this entry at once (on arrival, release or the next heartbeat). */
  private dueInBackground(e: QueueEntry, now: number): boolean {
    return this.deps.settings().delivery.mode === 'whenonline' && e.group === 'default'
      && !heldByAdmin(e) && this.isOnline() && isDue(e, now);
  }
  /** Ids being delivered right now (mailq's `*`). */
  activeIds(): Set<QueueId> { return new Set([...this.inflight.keys()].filter((id) => !this.localPasses.has(id))); }
  get flushing(): boolean { return this.flushes > 0; }
  /** The running flush's N of M (the latest, when several run); null when none runs. */
  get flushProgress(): { done: number; total: number } | null { return this.flushes > 0 && this.progress ? { ...this.progress } : null; }
  get cronSchedules() { return this.cron.specs; }

  /** Entries by state; they add up to total. Being delivered right now: activeIds(). */
  counts(): { total: number; active: number; deferred: number; hold: number } {
    // The shown state without the shown entry: the console asks up to four times a
    // second while mail arrives, and a copy of every entry each time (views()) was
    // most of what an SMTP burst left for the collector.
    const c = { total: 0, active: 0, deferred: 0, hold: 0 };
    const now = this.deps.clock.now();
    for (const e of this.store.each()) {
      c.total++;
      c[this.shownState(e, now)]++;
    }
    return c;
  }

  private isOnline(): boolean { return this.deps.online?.() ?? true; }

  // ---- arrivals and attempts -------------------------------------------------------

  /**
   * A message cleanup just committed. Online in the laptop mode it is tried at once;
   * offline, or in queueonly mode, its local destinations are (a local-only pass).
   */
  add(entry: QueueEntry): void {
    // queueonly/deferred and offline: no DNS or network work at submission (Sendmail
    // DeliveryMode). Mail that waits is indexed (and announced by queue:added) as
    // deferred, not as the `active` cleanup wrote; the control file catches up later.
    const mode = this.deps.settings().delivery.mode;
    const kick = mode === 'whenonline' && !heldByAdmin(entry) && entry.group === 'default' && this.isOnline();
    const indexed = entry.state === 'active' && !kick ? { ...entry, state: 'deferred' as const } : entry;
    if (!this.store.add(indexed)) return;
    if (kick) this.kick(entry.id);
    else if (this.localPassAllowed(entry)) this.kick(entry.id, { scope: 'local' });
  }

  /** Local delivery is never gated (issue 10 §3), except by a hold: an admin's or deferred mode's. */
  private localPassAllowed(e: QueueEntry): boolean {
    return this.deps.settings().delivery.mode !== 'deferred' && !heldByAdmin(e) && !this.localSettled.has(e.id);
  }

  /** Start an attempt without waiting for it; failures go to the maillog, never unhandled. */
  kick(id: QueueId, opts: AttemptOptions = {}): void {
    void this.attempt(id, opts);
  }

  /** One attempt of one message; concurrent requests for the same id share it. */
  attempt(id: QueueId, opts: AttemptOptions = {}): Promise<AttemptOutcome> {
    const running = this.inflight.get(id);
    const local = opts.scope === 'local';
    // A full attempt asked for during a local-only pass (a queue run, coming online)
    // runs after it rather than being answered by it.
    if (running && this.localPasses.has(id) && !local) return running.then(() => this.attempt(id, opts));
    if (running) return running;
    const p = this.limiter.run(() => this.attemptNow(id, opts))
      .catch((err: Error) => {
        this.deps.log.info(id, `delivery attempt failed inside the engine, will retry: ${err.message}`);
        // Counted as tried (a flush must not call it "skipped"): deliveries may well have happened.
        return 'failed' as const;
      })
      .finally(() => {
        this.inflight.delete(id);
        this.localPasses.delete(id);
      });
    this.inflight.set(id, p);
    if (local) this.localPasses.add(id);
    else this.localPasses.delete(id);
    return p;
  }

  private async attemptNow(id: QueueId, opts: AttemptOptions): Promise<AttemptOutcome> {
    const entry = this.store.get(id);
    if (!entry || this.stopped || !this.exclusion.free(id)) return 'skipped';
    if (heldByAdmin(entry) && !opts.ignoreHold) return 'skipped';
    const scope = opts.scope ?? 'all';
    if (scope === 'all' && !opts.ignoreOffline && !this.isOnline()) return 'skipped';
    return this.exclusion.delivery(id, async () => {
      const report = await attemptDelivery(this.deps, entry, { signal: this.halt.signal, scope });
      if (scope === 'local') {
        const triedLocally = report.outcomes.length > 0;
        if (!report.outcomes.some((o) => o.status === 'deferred')) this.localSettled.add(id);
        // Nothing here for a local mailbox: no write, no event; the entry waits as it was.
        if (!triedLocally) return 'skipped';
      } else {
        this.localSettled.delete(id);
        if (report.unreachable && !opts.ignoreOffline && this.deps.recheck) {
          // The next hop vanished under us: ask the gate now rather than at its next timer.
          const why = `delivery to ${report.unreachable.nexthop} failed: ${report.unreachable.reply}`;
          if (!(await this.deps.recheck(why, report.startedAt))) report.offline = true;
        }
      }
      return commitAttempt(this.deps, this.store, id, report);
    });
  }

  /**
   * An action that must not race a delivery (exclusion.ts): the ids are chosen
   * once, from the queue as shown (a state selector means mailq's state), it waits
   * for their attempts in flight, and fn acts on exactly those ids. Re-selecting
   * inside fn could name a message not waited for: one shown `active` (a retry in
   * flight) but stored `deferred`, or one that arrived meanwhile.
   */
  private exclusive<T>(sel: QueueSelector, fn: (ids: QueueId[]) => Promise<T>): Promise<T> {
    const ids = select(this.views(), sel).map((e) => e.id);
    return this.exclusion.action(ids, () => fn(ids));
  }

  // ---- the spool directory --------------------------------------------------------

  /**
   * Index committed entries another process wrote since start (the sendmail CLI's
   * fallback racing our start-up) and let aged crash leftovers go (queue/scan.ts).
   * One scan at a time; returns how many entries were picked up.
   */
  sweep(): Promise<number> {
    this.sweeping ??= (async () => {
      try {
        const found = await this.deps.spool.sweep((id) => this.store.has(id));
        for (const c of found.corrupt) this.deps.log.info(null, `corrupt queue file ${c.name} kept aside: ${c.reason}`);
        let added = 0;
        for (const e of found.entries) {
          if (this.store.has(e.id)) continue;
          this.deps.log.info(e.id, 'picked up from the spool (queued by another process)');
          this.add(e);
          added++;
        }
        return added;
      } catch (err) {
        this.deps.log.info(null, `spool scan failed, will try again: ${(err as Error).message}`);
        return 0;
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  // ---- time-driven work -------------------------------------------------------------

  /**
   * Deliver what is due now: cron queue runs whose moment passed, retries whose
   * backoff ended (background mode), expired messages' last attempt, and delay
   * warnings. Serialised, so the heartbeat and a test's call never overlap.
   */
  runDue(): Promise<void> {
    const run = this.tickChain.then(() => this.tick());
    this.tickChain = run.catch((err: Error) => this.deps.log.info(null, `queue scheduler error: ${err.message}`));
    return this.tickChain;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const groups = this.cron.due(now);
    // Offline (issue 3, issue 10): no network attempt, no counter touched; local
    // destinations still go (a local-only pass), as they do between queue runs.
    const online = this.isOnline();
    if (online) for (const g of groups) await this.queueRun(g);
    const d = this.deps.settings().delivery;
    const offline = this.deps.offlineSince?.() ?? null;
    const jobs: Promise<unknown>[] = [];
    for (const id of this.warnFailed) if (!this.store.has(id)) this.warnFailed.delete(id);
    for (const id of this.localSettled) if (!this.store.has(id)) this.localSettled.delete(id);
    for (const e of this.store.values()) {
      // A local-only pass in flight does not stop the real attempt: attempt() runs it after.
      if ((this.inflight.has(e.id) && !this.localPasses.has(e.id)) || heldByAdmin(e)) continue;
      const due = isDue(e, now);
      const retry = online && d.mode === 'whenonline' && e.group === 'default' && due;
      // Expired mail gets its last attempt when its backoff has passed too: if that
      // attempt cannot queue the failure report, commit defers it by the backoff,
      // and the remote MX must not be contacted again every heartbeat.
      if (retry || (online && due && isExpired(e, now, d, offline))) jobs.push(this.attempt(e.id));
      else if (online && needsWarning(e, now, d, offline) && (due || !this.warnFailed.has(e.id))) jobs.push(this.warn(e.id, now));
      else if (due && this.localPassAllowed(e)) jobs.push(this.attempt(e.id, { scope: 'local' }));
    }
    await Promise.all(jobs);
  }

  /**
   * The delay warning from the scheduler (commit.ts sends it after an attempt).
   * When it cannot be queued: log it and try again after the backoff, by pushing
   * nextAttempt, instead of every heartbeat.
   */
  private async warn(id: QueueId, now: number): Promise<void> {
    try {
      if (await warnIfDue(this.deps, this.store, id)) this.warnFailed.delete(id);
    } catch (err) {
      this.deps.log.info(id, `delay warning not queued, will try again: ${(err as Error).message}`);
      this.warnFailed.add(id);
      await this.store.locked(id, async (e) => {
        if (!e) return;
        const later = now + backoffMs(Math.max(e.attempts, 1), this.deps.settings().delivery);
        if (e.nextAttempt < later) await this.store.save({ ...e, nextAttempt: later });
      }).catch((e: Error) => this.deps.log.info(id, `could not record the next attempt: ${e.message}`));
    }
  }

  /** A scheduled queue run of one group (`sendmail -q` from cron): what is due in it. */
  async queueRun(group: string): Promise<number> {
    if (!this.isOnline()) return 0;
    const now = this.deps.clock.now();
    const due = this.store.values().filter((e) => e.group === group && !heldByAdmin(e) && e.nextAttempt <= now);
    this.deps.log.info(null, `queue run: group ${group}: ${due.length} message(s) due`);
    await Promise.all(due.map((e) => this.attempt(e.id)));
    return due.length;
  }

  /**
   * The online gate saw the next hop again after an offline spell that began at
   * `offlineFrom`: credit that time to every entry (issue 3 §3: offline time does
   * not count toward queueWarn/queueReturn), then flush if flushOnOnline.
   */
  async cameOnline(offlineFrom: number, flush: boolean): Promise<void> {
    const now = this.deps.clock.now();
    const credited = this.store.values().filter((e) => now - Math.max(offlineFrom, e.arrivalTime) > 0).map((e) => e.id);
    if (credited.length > 0) this.deps.log.info(null, `back online after ${Math.round((now - offlineFrom) / 1000)} s offline: not counted toward queue lifetimes`);
    // Under the entry's lock: a writer holding it (a forced delivery committing)
    // would otherwise save its older copy over the credit. In memory first, so an
    // attempt of the flush below already sees the right age; then durably (if
    // that write fails the credit stays in memory and the next save writes it).
    // Not awaited before the flush: an entry whose lock is free is credited in a
    // microtask, before the flush's first attempt; one a slow forced delivery holds
    // must not hold up the flush of all the others.
    const credit = Promise.all(credited.map((id) => this.store.locked(id, async (e) => {
      if (!e) return;
      const spell = now - Math.max(offlineFrom, e.arrivalTime);
      this.store.amend(id, () => ({ ...e, offlineMs: (e.offlineMs ?? 0) + spell }));
    })));
    if (flush) await this.flush({});
    else await this.runDue();
    await credit;
    // Written after the flush, not a thousand writes ahead of its first delivery (they
    // share libuv's four file-system threads): what the flush tried was saved with its
    // credit by the attempt's commit, what it delivered needs nothing. Should the engine
    // die before this, those messages lose the credit: a warning or return may come
    // early, a message is never kept longer than queueReturn allows.
    for (const id of credited) {
      await this.store.locked(id, async (e) => {
        const committedSince = e?.lastAttempt !== undefined && e.lastAttempt >= now;
        if (e && !committedSince) await this.store.save(e);
      }).catch((err: Error) => this.deps.log.info(id, `could not record offline time: ${err.message}`));
    }
  }

  // ---- EngineApi actions ------------------------------------------------------------

  /**
   * sendmail -q / -qI / -qR / -qS: try every selected message now, whatever its
   * backoff. Admin-held mail only when named by id; while offline only with force.
   */
  async flush(opts: FlushOptions = {}): Promise<FlushSummary> {
    const started = this.deps.clock.now();
    await this.sweep(); // `sendmail -q` also finds what the CLI queued by itself
    const { force, ...sel } = opts;
    const named = new Set(opts.ids ?? []);
    const entries = select(this.views(), sel); // a state selector means the state mailq shows
    const summary: FlushSummary = { attempted: 0, sent: 0, deferred: 0, bounced: 0, skipped: 0, failed: 0, durationMs: 0 };
    const total = entries.length;
    let done = 0;
    const progress = { done: 0, total };
    this.progress = progress;
    this.flushes++;
    this.deps.emit({ type: 'flush:started', total });
    try {
      const online = this.isOnline();
      await Promise.all(entries.map(async (e) => {
        let outcome: AttemptOutcome = 'skipped';
        if ((!heldByAdmin(e) || named.has(e.id)) && (online || force)) {
          outcome = await this.attempt(e.id, { ignoreHold: named.has(e.id), ignoreOffline: !!force });
        }
        if (outcome === 'skipped') summary.skipped++;
        else if (outcome === 'failed') { summary.attempted++; summary.failed = (summary.failed ?? 0) + 1; }
        else { summary.attempted++; summary[outcome]++; }
        done++;
        progress.done = done;
        this.deps.emit({ type: 'flush:progress', done, total, id: e.id });
      }));
    } finally {
      this.flushes--;
    }
    summary.durationMs = this.deps.clock.now() - started;
    this.deps.emit({ type: 'flush:done', summary });
    const failed = summary.failed ? `, ${summary.failed} failed (queue file not updated)` : '';
    this.deps.log.info(null, `flush: ${summary.attempted} attempted, ${summary.sent} sent, ${summary.deferred} deferred, ${summary.bounced} bounced, ${summary.skipped} skipped${failed}`);
    return summary;
  }

  hold(sel: QueueSelector): Promise<ActionResult> { return actions.hold(this.store, sel); }

  async release(sel: QueueSelector): Promise<ActionResult> {
    const r = await actions.release(this.store, sel, this.deps.clock.now());
    this.kickIfBackground(r.changed);
    return r;
  }

  remove(sel: QueueSelector): Promise<ActionResult> { return this.exclusive(sel, (ids) => actions.remove(this.deps, this.store, sel, ids)); }
  /** Waits for an attempt in flight: what it delivered is not bounced, the rest is. */
  bounceNow(sel: QueueSelector): Promise<ActionResult> { return this.exclusive(sel, (ids) => actions.bounceNow(this.deps, this.store, sel, ids)); }

  async requeue(sel: QueueSelector): Promise<ActionResult> {
    const r = await actions.requeue(this.store, sel);
    this.kickIfBackground(r.changed);
    return r;
  }

  moveToGroup(sel: QueueSelector, group: string): Promise<ActionResult> { return actions.moveToGroup(this.store, sel, group); }

  /** After release / requeue: what the mode does with a new message, it does with these. */
  private kickIfBackground(ids: QueueId[]): void {
    const full = this.deps.settings().delivery.mode === 'whenonline' && this.isOnline();
    for (const id of ids) {
      this.localSettled.delete(id);
      const e = this.store.get(id);
      if (!e || heldByAdmin(e)) continue;
      if (full && e.group === 'default') this.kick(id);
      else if (this.localPassAllowed(e)) this.kick(id, { scope: 'local' });
    }
  }
}
