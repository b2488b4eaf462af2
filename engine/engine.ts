// The engine: wires every stage of the pipeline (DESIGN.md) and implements
// EngineApi, the one control surface the CLI, console and Electron adapters
// carry. Owns start-up order, the live settings (stages read them through a
// getter, so an update applies to the next message) and the event stream.
// Holds no mail logic of its own: each method delegates to the stage that owns it.
import { EventEmitter } from 'node:events';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.ts';
import { Readable } from 'node:stream';
import type {
  ActionResult, CorruptEntry, EngineApi, EngineEvent, EngineStatus, FlushOptions, FlushProgress, FlushSummary, Listener,
  QueueCounts,
  MessageDetail, OnlineState, QueueSelector, SettingsPatch, SettingsUpdate, SmartHostTestOptions, SmartHostTestStep,
  SubmitRequest,
} from './api.ts';
import { createCleanup, type Cleanup } from './cleanup/index.ts';
import { saveSettings } from './config/load.ts';
import { checkSettingsUpdate } from './settings-update.ts';
import type { Settings, SmartHost } from './config/schema.ts';
import { SmtpError, type ClientInfo, type Clock, type Envelope, type HistoryHour, type QueueEntry, type QueueId, type Resolution } from './contracts.ts';
import { addressSyntaxError } from './policy/address.ts';
import { createDns, type Dns } from './dns/resolver.ts';
import { createMailLog, type MailLog } from './log/maillog.ts';
import { createPolicy } from './policy/index.ts';
import { OnlineGate } from './qmgr/online.ts';
import { indexable, Qmgr } from './qmgr/index.ts';
import { createSpool } from './queue/spool.ts';
import type { Spool } from './queue/types.ts';
import { createResolver, type Resolver } from './resolve/index.ts';
import { localRefusal } from './resolve/verify.ts';
import { createRoutingApi, type RoutingApi } from './routing-api.ts';
import { createImportApi, type ImportApi } from './import-api.ts';
import { createSecurityApi, type SecurityApi } from './security-api.ts';
import { createDkimApi, type DkimApi } from './dkim-api.ts';
import { testSmartHost } from './smarthost-test.ts';
import { createSmtpd } from './smtpd/index.ts';
import { createVerifier } from './auth/verify.ts';
import { deliver } from './transports/index.ts';
import { ListenerSet } from './listeners.ts';
import { createHistory, type HistoryKeeper } from './log/history.ts';

export interface EngineOptions {
  home: string;
  settings: Settings;
  clock: Clock;
  /** Heartbeat and online re-check timers (default on). Tests may drive time with runDue() alone. */
  timers?: boolean;
  /** resolve's system accounts file; '' = none (tests). */
  passwdFile?: string;
  /** Where the smart-host password lives instead of config.json (see SettingsSecrets). */
  secrets?: SettingsSecrets;
  /** How long stop() lets deliveries in flight finish before cutting them off (qmgr STOP_GRACE_MS). */
  stopGraceMs?: number;
}

/**
 * A keeper for the smart-host password outside config.json (the desktop app's
 * OS keychain). With one, config.json is always written with `pass: ""`; a
 * password given to updateSettings goes to set(), and an empty `pass` in the
 * file or in an update means "the one get() returns".
 */
export interface SettingsSecrets {
  get(): string | undefined;
  set(pass: string): void;
}

export interface Engine extends EngineApi {
  readonly home: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Deliver what is due at the clock's now: cron runs, retries, expiry, warnings. */
  runDue(): Promise<void>;
  /** Resolves when no delivery attempt is in flight. */
  whenIdle(): Promise<void>;
  /** Index entries another process committed to the spool since start (the host calls it once its socket is open). */
  pickupSpool(): Promise<number>;
  /** One maillog line from the host (maildrop refusals, pickup failures). */
  note(id: QueueId | null, text: string): void;
}

const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** Events after which the numbers may differ: a queue:counts snapshot follows. */
const COUNTS_AFTER = new Set<EngineEvent['type']>([
  'queue:added', 'queue:changed', 'queue:removed', 'delivery:attempting', 'flush:started', 'flush:progress', 'flush:done',
  'online:changed', 'settings:changed',
]);
/** At most four snapshots a second: fast enough to watch a flush, cheap with 100 000 queued. */
const COUNTS_MS = 250;

/** Where generated mail (DSNs) comes from, for Received: and the maillog. */
const BOUNCE_CLIENT: ClientInfo = { address: '', protocol: 'local', daemon: 'bounce' };
const CLI_CLIENT: ClientInfo = { address: '', protocol: 'local', daemon: 'cli' };

export class MailEngine implements Engine {
  readonly home: string;
  private settings: Settings;
  private readonly clock: Clock;
  private readonly events = new EventEmitter();
  private startedAt = 0;
  private settingsChain: Promise<void> = Promise.resolve();
  private running = false;
  // Built in start(); the non-null assertions below are guarded by `ready()`.
  private spool!: Spool;
  private log!: MailLog;
  private readonly dns: Dns;
  private readonly security: SecurityApi;
  private readonly routing: RoutingApi;
  private readonly importer: ImportApi;
  private readonly dkim: DkimApi;
  private resolver!: Resolver;
  private cleanup!: Cleanup;
  private listeners!: ListenerSet;
  private qmgr!: Qmgr;
  private gate!: OnlineGate;
  private countsTimer: NodeJS.Timeout | undefined;
  /** Damaged entries kept aside: counted at start and at every status(), which lists them. */
  private corrupt = 0;
  private history!: HistoryKeeper;
  private unHistory: (() => void) | null = null;

  constructor(private readonly opts: EngineOptions) {
    this.home = path.resolve(opts.home);
    this.settings = this.withSecret(opts.settings);
    this.clock = opts.clock;
    // Many adapters (IPC, console SSE, CLI -v) subscribe at once; this is not a leak.
    this.events.setMaxListeners(0);
    // Question-answering parts that need no running stage (usable before start()).
    this.dns = createDns(() => this.settings.dns);
    this.security = createSecurityApi({
      settings: () => this.settings, home: this.home, dns: this.dns, now: () => this.clock.now(),
      updateSettings: (patch) => this.updateSettings(patch), emit: (e) => this.emit(e),
      listeners: () => (this.running ? this.listeners.current : configuredListeners(this.settings)),
    });
    this.routing = createRoutingApi({ settings: () => this.settings });
    this.importer = createImportApi({ settings: () => this.settings });
    this.dkim = createDkimApi({
      settings: () => this.settings, home: this.home, dns: this.dns, now: () => this.clock.now(),
      updateSettings: (patch) => this.updateSettings(patch),
    });
  }

  private emit(event: EngineEvent): void {
    this.events.emit('event', event);
    if (COUNTS_AFTER.has(event.type)) this.scheduleCounts();
  }

  /**
   * One snapshot of the numbers for every view (issue 10 §4): taken from qmgr when
   * the timer fires, so it includes every change before it; never more often than
   * COUNTS_MS, so a flush of 10 000 sends a few dozen, not 10 000.
   */
  private scheduleCounts(): void {
    if (this.countsTimer || !this.running) return;
    this.countsTimer = setTimeout(() => {
      this.countsTimer = undefined;
      if (!this.running) return;
      this.events.emit('event', { type: 'queue:counts', ...this.snapshot() } satisfies EngineEvent);
    }, COUNTS_MS);
    this.countsTimer.unref();
  }

  private snapshot(): { counts: QueueCounts; flushing: boolean; flush: FlushProgress | null } {
    return { counts: { ...this.qmgr.counts(), corrupt: this.corrupt }, flushing: this.qmgr.flushing, flush: this.qmgr.flushProgress };
  }
  private get hostname(): string { return this.settings.hostname; }
  private ready(): void { if (!this.running) throw new Error('engine is not running (call start() first)'); }

  async start(): Promise<void> {
    if (this.running) return;
    const settings = () => this.settings;
    const hostname = () => this.settings.hostname;
    const now = () => this.clock.now();
    this.startedAt = now();
    for (const dir of ['spool', 'log']) await fsp.mkdir(path.join(this.home, dir), { recursive: true });

    const engine = this;
    this.log = createMailLog({
      file: path.join(this.home, 'log', 'maillog'), now,
      // Read at every line, so a hostname change reaches the log's host field at once.
      get hostname() { return engine.hostname; },
      onLine: (line) => this.emit({ type: 'log:line', line }),
    });
    this.spool = createSpool(path.join(this.home, 'spool'));
    const recovered = await this.spool.recover({ keep: indexable });
    this.log.info(null, `starting Mailstop ${VERSION}: ${recovered.entries.length} queued message(s) recovered, ` +
      `${recovered.cleaned} half-written removed, ${recovered.corrupt.length} damaged moved to ${path.join(this.spool.dir, 'corrupt')}` +
      (recovered.young ? `, ${recovered.young} being written by another process left for a later scan` : ''));
    for (const c of recovered.corrupt) this.log.info(null, `corrupt queue file ${c.name} kept aside: ${c.reason}`);
    this.corrupt = (await this.spool.listCorrupt()).length;

    const passwd = this.opts.passwdFile !== undefined ? { passwdFile: this.opts.passwdFile } : {};
    this.resolver = createResolver({ settings, home: this.home, dns: this.dns, ...passwd });
    // Delivery's own resolver has no DNS: the MX lookup resolve does is only for the
    // address tester's trace, and offline nothing may touch the network (issue 10 §1).
    const deliveryResolver = createResolver({ settings, home: this.home, ...passwd });
    this.gate = new OnlineGate({
      settings, clock: this.clock, dns: this.dns, hostname,
      onChange: (state, offlineFrom) => this.onlineChanged(state, offlineFrom),
      log: (text) => this.log.info(null, text),
    });
    this.qmgr = new Qmgr({
      spool: this.spool, settings, clock: this.clock, hostname, emit: (e) => this.emit(e), log: this.log,
      resolve: (address) => deliveryResolver.resolve(address),
      deliver: (message, recipients, onTranscript, signal) =>
        deliver(message, recipients, { settings: this.settings, dns: this.dns, hostname: this.hostname, home: this.home, onTranscript, signal, log: (text) => this.log.info(message.id, text) }),
      enqueue: (envelope, message) => this.enqueue(envelope, message, BOUNCE_CLIENT, 'crlf-strict'),
      online: () => this.gate.isOnline(),
      offlineSince: () => this.gate.offlineSince(),
      recheck: (why, since) => this.gate.recheckAfter(why, since),
    });
    this.cleanup = createCleanup({ spool: this.spool, settings, now, onQueued: (e) => this.qmgr.add(e) });
    const verify = createVerifier({ settings, dns: this.dns });
    const policy = createPolicy({ settings, dns: this.dns, verifyLocal: (address) => localRefusal(this.resolver, address) });
    this.listeners = new ListenerSet({
      make: () => createSmtpd({ settings, hostname, cleanup: this.cleanup, spool: this.spool, log: this.log, home: this.home, policy, verify, onEtrn: (d) => void this.qmgr.flush({ recipient: `@${d}` }).catch((e: Error) => this.log.info(null, `ETRN ${d}: ${e.message}`)) }),
      log: (text) => this.log.info(null, text),
    });

    this.qmgr.load(recovered.entries);
    this.history = createHistory({ file: path.join(this.home, 'log', 'history.json'), now });
    await this.history.start(recovered.entries.length);
    this.unHistory = this.subscribe((e) => this.history.record(e.type === 'queue:removed' ? { type: e.type, why: e.why } : e));
    this.running = true;
    try {
      await this.listeners.open(this.settings.listen);
      for (const l of this.listeners.current) this.log.info(null, `listening: ${l.name} on ${l.address}:${l.port}`);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.qmgr.start({ timers: this.opts.timers });
    await this.gate.start({ timers: this.opts.timers });
    // Resume delivery of what was queued before the restart (issue 2 §3).
    void this.qmgr.runDue();
  }

  /**
   * Bounded: listeners close (sessions get smtpd's grace) while deliveries in
   * flight get qmgr's; what is cut off stays queued. Both graces run at once.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.countsTimer);
    this.countsTimer = undefined;
    this.gate.stop();
    await Promise.all([this.listeners.close(), this.qmgr.stop(this.opts.stopGraceMs)]);
    this.unHistory?.();
    await this.history.flush();
    this.log.info(null, 'stopped');
    await this.log.close();
  }

  runDue(): Promise<void> { this.ready(); return this.qmgr.runDue(); }
  whenIdle(): Promise<void> { this.ready(); return this.qmgr.whenIdle(); }
  pickupSpool(): Promise<number> { this.ready(); return this.qmgr.sweep(); }
  note(id: QueueId | null, text: string): void { if (this.running) this.log.info(id, text); }

  /** Through cleanup like any other message, so DSNs and submissions get the same checks. */
  private async enqueue(envelope: Envelope, message: Buffer, client: ClientInfo, lineEndings: 'crlf-strict' | 'lf', authWarnings?: string[]): Promise<QueueEntry> {
    const entry = await this.cleanup.accept(envelope, client, Readable.from([message]), { lineEndings, authWarnings });
    this.log.fromLine(entry);
    return entry;
  }

  private onlineChanged(state: OnlineState, offlineFrom: number | null): void {
    this.emit({ type: 'online:changed', online: state });
    if (!state.online || offlineFrom === null) return;
    // Back online flushes in the laptop mode; queueonly and deferred wait for their queue runs.
    const d = this.settings.delivery;
    void this.qmgr.cameOnline(offlineFrom, d.online.flushOnOnline && d.mode === 'whenonline');
  }

  // ---- EngineApi ------------------------------------------------------------------

  async status(): Promise<EngineStatus> {
    this.ready();
    this.corrupt = (await this.spool.listCorrupt()).length;
    return {
      version: VERSION, hostname: this.hostname, home: this.home, startedAt: this.startedAt, pid: process.pid,
      listeners: this.listeners.current, mode: this.settings.delivery.mode, online: this.gate.state(),
      ...this.snapshot(),
    };
  }

  async listQueue(selector?: QueueSelector): Promise<QueueEntry[]> { this.ready(); return this.qmgr.list(selector); }
  async listQueuePage(q?: import('./queue-view.ts').QueuePageQuery) { this.ready(); return (await import('./queue-view.ts')).queuePage(this.qmgr.list(), q, this.clock.now()); }

  async getMessage(id: QueueId): Promise<MessageDetail | null> {
    this.ready();
    const entry = this.qmgr.get(id);
    if (!entry) return null;
    return { entry, headers: await this.spool.readHeaders(id) };
  }

  async listCorrupt(): Promise<CorruptEntry[]> { this.ready(); return this.spool.listCorrupt(); }

  async flush(options?: FlushOptions): Promise<FlushSummary> { this.ready(); return this.qmgr.flush(options); }
  async hold(s: QueueSelector): Promise<ActionResult> { this.ready(); return this.qmgr.hold(s); }
  async release(s: QueueSelector): Promise<ActionResult> { this.ready(); return this.qmgr.release(s); }
  async remove(s: QueueSelector): Promise<ActionResult> { this.ready(); return this.qmgr.remove(s); }
  async bounceNow(s: QueueSelector): Promise<ActionResult> { this.ready(); return this.qmgr.bounceNow(s); }
  async requeue(s: QueueSelector): Promise<ActionResult> { this.ready(); return this.qmgr.requeue(s); }
  async moveToGroup(s: QueueSelector, group: string): Promise<ActionResult> { this.ready(); return this.qmgr.moveToGroup(s, group); }

  /**
   * The sendmail CLI's way in. Always 'lf': it accepts CRLF too and normalises a
   * script's mix of CRLF headers and LF body, which strict mode would refuse; the
   * smuggling checks matter for SMTP peers, not for a local user's own pipe.
   */
  async submit(request: SubmitRequest): Promise<{ id: QueueId }> {
    this.ready();
    refuseBadAddresses(request.envelope);
    const message = Buffer.from(request.messageBase64, 'base64');
    const client = request.user ? { ...CLI_CLIENT, user: request.user } : CLI_CLIENT;
    const entry = await this.enqueue(request.envelope, message, client, 'lf', request.authWarnings);
    return { id: entry.id };
  }

  async getSettings(): Promise<Settings> { return this.settings; }

  /** The live settings: an empty smart-host password filled from the secrets keeper. */
  private withSecret(s: Settings): Settings {
    const secrets = this.opts.secrets;
    const auth = s.smartHost?.auth;
    if (!secrets || !s.smartHost || !auth || auth.pass !== '') return s;
    return { ...s, smartHost: { ...s.smartHost, auth: { ...auth, pass: secrets.get() ?? '' } } };
  }

  /** What goes to config.json: with a secrets keeper, never the password. */
  private forDisk(s: Settings): Settings {
    const auth = s.smartHost?.auth;
    if (!this.opts.secrets || !s.smartHost || !auth) return s;
    return { ...s, smartHost: { ...s.smartHost, auth: { ...auth, pass: '' } } };
  }

  /**
   * Validate, rebind listeners if `listen` changed, write config.json atomically,
   * then swap; on any error nothing changes (the old listeners stay open).
   */
  /**
   * Updates run one at a time: each merges its patch into the settings the previous
   * one left, so two overlapping saves (a form and a certificate import) both land.
   */
  updateSettings(patch: SettingsPatch): Promise<SettingsUpdate> {
    const run = this.settingsChain.then(() => this.applySettingsUpdate(patch));
    this.settingsChain = run.then(() => undefined, () => undefined);
    return run;
  }

  private async applySettingsUpdate(patch: SettingsPatch): Promise<SettingsUpdate> {
    // The same checks the CLI applies when no engine runs (settings-update.ts).
    const validated = await checkSettingsUpdate(this.settings, patch, { home: this.home });
    if (!validated.ok) return validated;
    const result: SettingsUpdate = { ok: true, settings: this.withSecret(validated.settings) };
    const previous = this.settings;
    const listenChanged = this.running && JSON.stringify(previous.listen) !== JSON.stringify(result.settings.listen);
    if (listenChanged) {
      // The new listeners are built with the new settings (TLS, sizes) in force.
      this.settings = result.settings;
      const errors = await this.listeners.rebind(previous.listen, result.settings.listen);
      if (errors.length > 0) {
        this.settings = previous;
        return { ok: false, errors };
      }
    }
    try {
      // The keeper first: config.json must never be the only place without the password.
      const pass = result.settings.smartHost?.auth?.pass;
      if (this.opts.secrets && pass) this.opts.secrets.set(pass);
      await saveSettings(this.home, this.forDisk(result.settings));
    } catch (err) {
      if (listenChanged) await this.listeners.rebind(result.settings.listen, previous.listen);
      this.settings = previous;
      throw err;
    }
    this.settings = result.settings;
    if (this.running) {
      this.qmgr.applySettings();
      if (JSON.stringify(previous.delivery.online) !== JSON.stringify(result.settings.delivery.online)
        || JSON.stringify(previous.smartHost) !== JSON.stringify(result.settings.smartHost)) {
        void this.gate.check('settings changed');
      }
      if (previous.delivery.mode !== result.settings.delivery.mode) void this.qmgr.runDue();
    }
    this.log?.info(null, `settings changed: ${Object.keys(patch).join(', ')}`);
    this.emit({ type: 'settings:changed', settings: result.settings });
    return result;
  }

  async tailLog(lines: number, filter?: string): Promise<string[]> { this.ready(); return this.log.tail(lines, filter); }
  async testAddress(address: string): Promise<Resolution> { this.ready(); return this.resolver.resolve(address); }

  async networkChanged(): Promise<OnlineState> {
    this.ready();
    return this.gate.check('network changed');
  }

  async testSmartHost(smartHost?: SmartHost | null, options?: SmartHostTestOptions): Promise<SmartHostTestStep[]> {
    return testSmartHost(this.settings, smartHost === undefined ? this.settings.smartHost : smartHost, options);
  }

  async getHistory(hours?: number): Promise<HistoryHour[]> { this.ready(); return this.history.hours(hours); }

  // ---- issue 6: security (engine/security-api.ts) and issue 5: routing (engine/routing-api.ts)

  testRelay(...a: Parameters<SecurityApi['testRelay']>) { return this.security.testRelay(...a); }
  testDnsbl(...a: Parameters<SecurityApi['testDnsbl']>) { return this.security.testDnsbl(...a); }
  healthCheck(...a: Parameters<SecurityApi['healthCheck']>) { return this.security.healthCheck(...a); }
  generateSelfSigned(...a: Parameters<SecurityApi['generateSelfSigned']>) { return this.security.generateSelfSigned(...a); }
  generateDhParams(...a: Parameters<SecurityApi['generateDhParams']>) { return this.security.generateDhParams(...a); }
  importCertificate(...a: Parameters<SecurityApi['importCertificate']>) { return this.security.importCertificate(...a); }
  certificateInfo(...a: Parameters<SecurityApi['certificateInfo']>) { return this.security.certificateInfo(...a); }
  hashPassword(...a: Parameters<SecurityApi['hashPassword']>) { return this.security.hashPassword(...a); }
  parseAliases(...a: Parameters<RoutingApi['parseAliases']>) { return this.routing.parseAliases(...a); }
  previewRewrite(...a: Parameters<RoutingApi['previewRewrite']>) { return this.routing.previewRewrite(...a); }
  checkRouting(...a: Parameters<RoutingApi['checkRouting']>) { return this.routing.checkRouting(...a); }
  planImport(...a: Parameters<ImportApi['planImport']>) { return this.importer.planImport(...a); }
  dkimKeygen(...a: Parameters<DkimApi['dkimKeygen']>) { return this.dkim.dkimKeygen(...a); }
  dkimShow(...a: Parameters<DkimApi['dkimShow']>) { return this.dkim.dkimShow(...a); }
  dkimSetSigning(...a: Parameters<DkimApi['dkimSetSigning']>) { return this.dkim.dkimSetSigning(...a); }
  dkimRemove(...a: Parameters<DkimApi['dkimRemove']>) { return this.dkim.dkimRemove(...a); }
  dkimCheck(...a: Parameters<DkimApi['dkimCheck']>) { return this.dkim.dkimCheck(...a); }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    // A throwing subscriber (a closed IPC window) must not break delivery.
    const safe = (e: EngineEvent) => {
      try { listener(e); } catch { /* the adapter's problem; the engine goes on */ }
    };
    this.events.on('event', safe);
    return () => { this.events.off('event', safe); };
  }
}

/** The listeners the settings ask for (before start; ports as configured, 0 unresolved). */
function configuredListeners(s: Settings): Listener[] {
  const l = s.listen;
  return (['smtp', 'submission', 'smtps'] as const).flatMap((name) => {
    const port = l[name];
    return port === false ? [] : [{ name, address: l.address, port }];
  });
}

/**
 * Local submission's last line of defence (the CLI checks first): an envelope address
 * no server would take is refused now, not queued to fail forever at the first hop.
 */
function refuseBadAddresses(envelope: Envelope): void {
  const sender = envelope.sender === '' ? null : addressSyntaxError(envelope.sender);
  if (sender) throw new SmtpError(553, '5.1.7', `Bad sender address syntax: ${sender}`);
  if (!envelope.recipients.length) throw new SmtpError(554, '5.5.1', 'No recipients');
  for (const r of envelope.recipients) {
    const why = addressSyntaxError(r.address);
    if (why) throw new SmtpError(553, '5.1.3', `Bad recipient address syntax: ${why}`);
  }
}
