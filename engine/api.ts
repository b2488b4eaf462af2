// EngineApi: the one control surface of the engine. The Electron IPC bridge, the
// HTTP console and the CLI's control socket are thin adapters over exactly this
// interface; none of them holds logic of its own (DESIGN.md "The pipeline").
//
// Every method takes and returns plain JSON-serialisable data so that each
// adapter can carry it unchanged. Events flow out through `subscribe`.
import type { QueueEntry, QueueId, QueueState, Resolution, Envelope } from './contracts.ts';
import type { Settings, SmartHost } from './config/schema.ts';
import type { SecurityApi } from './security-api.ts';
import type { RoutingApi } from './routing-api.ts';
import type { DkimApi } from './dkim-api.ts';
import type { QueuePage, QueuePageQuery } from './queue-view.ts';

export interface Listener { name: 'smtp' | 'submission' | 'smtps' | 'console'; address: string; port: number }

export interface OnlineState {
  online: boolean;
  /** Epoch ms of the last change. */
  since: number;
  /** "smart host smtp.example:587 answered EHLO", "cannot resolve smtp.provider.example", ... */
  reason: string;
}

export interface EngineStatus {
  version: string;
  hostname: string;
  home: string;
  startedAt: number;
  pid: number;
  listeners: Listener[];
  mode: Settings['delivery']['mode'];
  online: OnlineState;
  counts: { total: number; active: number; deferred: number; hold: number; corrupt: number };
  /** A flush in progress, if any. */
  flushing: boolean;
}

/** Which messages a queue action applies to (sendmail -qI / -qR / -qS). All given parts must match. */
export interface QueueSelector {
  ids?: QueueId[];
  /** Substring of any pending recipient (case-insensitive), like -qR. */
  recipient?: string;
  /** Substring of the sender, like -qS. */
  sender?: string;
  state?: QueueState;
  group?: string;
}

export interface FlushOptions extends QueueSelector {
  /** Deliver even in deferred mode / while held by mode ("send now anyway"). */
  force?: boolean;
}

export interface FlushSummary { attempted: number; sent: number; deferred: number; bounced: number; skipped: number; durationMs: number }

export interface ActionResult { changed: QueueId[]; missing: QueueId[] }

export interface MessageDetail { entry: QueueEntry; headers: string }

export interface CorruptEntry { name: string; size: number; movedAt: number; reason: string }

export interface FieldError { path: string; message: string }
export type SettingsUpdate = { ok: true; settings: Settings } | { ok: false; errors: FieldError[] };

/** A deep partial of Settings; arrays and records are replaced whole. */
export type SettingsPatch = { [K in keyof Settings]?: Settings[K] extends object ? Partial<Settings[K]> | Settings[K] : Settings[K] };

export interface SubmitRequest {
  envelope: Envelope;
  /** The message, base64-encoded so every adapter can carry it as JSON. */
  messageBase64: string;
  /** X-Authentication-Warning texts the sendmail CLI found (untrusted -f); added only with authwarnings. */
  authWarnings?: string[];
}

/** One step of the smart host test (console's "Test connection" / "Send test message"). */
export interface SmartHostTestStep { step: 'connect' | 'tls' | 'auth' | 'send'; ok: boolean; detail: string }
export interface SmartHostTestOptions {
  /** After AUTH, send a short test message to this address ("Send test message"). */
  sendTo?: string;
  /** Envelope sender of the test message; default postmaster@hostname. */
  from?: string;
}

export type EngineEvent =
  | { type: 'queue:added'; entry: QueueEntry }
  | { type: 'queue:changed'; entry: QueueEntry }
  | { type: 'queue:removed'; id: QueueId; why: 'delivered' | 'deleted' | 'bounced' }
  | { type: 'delivery:attempting'; id: QueueId; recipients: string[]; nexthop: string }
  | { type: 'delivery:result'; id: QueueId; address: string; status: 'sent' | 'deferred' | 'bounced'; reply: string; relay?: string }
  | { type: 'delivery:transcript'; id: QueueId; line: string }
  | { type: 'flush:started'; total: number }
  | { type: 'flush:progress'; done: number; total: number; id: QueueId }
  | { type: 'flush:done'; summary: FlushSummary }
  | { type: 'online:changed'; online: OnlineState }
  | { type: 'settings:changed'; settings: Settings }
  | { type: 'log:line'; line: string }
  /** DH parameter generation (issue 6): openssl's candidate count so far; `done` at the end. */
  | { type: 'tls:dhparams'; marks: number; done: boolean; error?: string };

/**
 * Issue 6 (relay tester, DNSBL test, health, certificates, users): engine/security-api.ts.
 * Issue 5 (aliases import, rewrite preview, routing checks for the routing pages): engine/routing-api.ts.
 */
export interface EngineApi extends SecurityApi, RoutingApi, DkimApi {
  status(): Promise<EngineStatus>;
  listQueue(selector?: QueueSelector): Promise<QueueEntry[]>;
  /**
   * One window of the filtered queue with its counts (and optionally every matching
   * ID and the top / qshape summaries): what the Queue page draws, without the
   * whole list (engine/queue-view.ts).
   */
  listQueuePage(query?: QueuePageQuery): Promise<QueuePage>;
  getMessage(id: QueueId): Promise<MessageDetail | null>;
  listCorrupt(): Promise<CorruptEntry[]>;

  flush(options?: FlushOptions): Promise<FlushSummary>;
  hold(selector: QueueSelector): Promise<ActionResult>;
  release(selector: QueueSelector): Promise<ActionResult>;
  /** Delete without notice (Postfix postsuper -d). */
  remove(selector: QueueSelector): Promise<ActionResult>;
  /** Return to sender now with a DSN (Sendmail's qtool -B / Postfix -b). */
  bounceNow(selector: QueueSelector): Promise<ActionResult>;
  /** Reset attempts and schedule at once (Postfix postsuper -r). */
  requeue(selector: QueueSelector): Promise<ActionResult>;
  /** Move to a queue group ('default', 'slow'). */
  moveToGroup(selector: QueueSelector, group: string): Promise<ActionResult>;

  submit(request: SubmitRequest): Promise<{ id: QueueId }>;

  getSettings(): Promise<Settings>;
  updateSettings(patch: SettingsPatch): Promise<SettingsUpdate>;

  /** Last `lines` lines of the maillog, optionally only those containing `filter`. */
  tailLog(lines: number, filter?: string): Promise<string[]>;
  /** Address tester (sendmail -bv): how one address would be resolved. */
  testAddress(address: string): Promise<Resolution>;
  /** A hint that the network may have changed (interfaces, resume, Electron online). */
  networkChanged(): Promise<OnlineState>;
  /**
   * Try the smart host (the given one, e.g. an unsaved form, or the saved one):
   * connect, TLS, AUTH, and with `sendTo` one test message. Implemented by
   * engine/smarthost-test.ts `testSmartHost(settings, smartHost, options)`.
   */
  testSmartHost(smartHost?: SmartHost | null, options?: SmartHostTestOptions): Promise<SmartHostTestStep[]>;

  subscribe(listener: (event: EngineEvent) => void): () => void;
}

/** The request/response methods, for adapters that carry them by name (IPC, HTTP, socket). */
export const ENGINE_API_METHODS = [
  'status', 'listQueue', 'getMessage', 'listCorrupt',
  'flush', 'hold', 'release', 'remove', 'bounceNow', 'requeue', 'moveToGroup',
  'submit', 'getSettings', 'updateSettings', 'tailLog', 'testAddress', 'networkChanged',
  'testSmartHost', 'listQueuePage',
  // issue 6 (engine/security-api.ts SECURITY_API_METHODS)
  'testRelay', 'testDnsbl', 'healthCheck', 'generateSelfSigned', 'generateDhParams',
  'importCertificate', 'certificateInfo', 'hashPassword',
  // issue 5 (engine/routing-api.ts ROUTING_API_METHODS)
  'parseAliases', 'previewRewrite', 'checkRouting',
  // issue 15 (engine/dkim-api.ts DKIM_API_METHODS)
  'dkimKeygen', 'dkimShow', 'dkimSetSigning', 'dkimRemove', 'dkimCheck',
] as const satisfies readonly Exclude<keyof EngineApi, 'subscribe'>[];
export type EngineApiMethod = (typeof ENGINE_API_METHODS)[number];

// What the outside world (renderer, Electron, CLI) may name without reaching into
// the stages: the settings' types and the queue view's query and answer shapes.
export type { Route, SmartHost } from './config/schema.ts';
export type { Settings };
export type { QueueViewFilter, QueueSummaryBy, QueuePage, QueuePageQuery, ShapeRow, Top } from './queue-view.ts';
export { AGE_BUCKETS } from './queue-view.ts';
export type { DkimDomainInfo, DkimKeygenOptions, DkimRecordInfo, ReadinessItem } from './dkim-api.ts';
