// EngineApi: the one control surface of the engine. The Electron IPC bridge, the
// HTTP console and the CLI's control socket are thin adapters over exactly this
// interface; none of them holds logic of its own (DESIGN.md "The pipeline").
//
// Every method takes and returns plain JSON-serialisable data so that each
// adapter can carry it unchanged. Events flow out through `subscribe`.
import type {
  ActionResult, CorruptEntry, EngineEvent, EngineStatus, FlushOptions, FlushSummary, HistoryHour, MessageDetail, OnlineState,
  QueueEntry, QueueId, QueueSelector, Resolution, SettingsPatch, SettingsUpdate, SmartHostTestOptions, SmartHostTestStep,
  SubmitRequest,
} from './contracts.ts';
export type {
  ActionResult, CorruptEntry, EngineEvent, EngineStatus, FieldError, FlushOptions, FlushSummary, Listener, MessageDetail,
  OnlineState, QueueCounts, FlushProgress, QueueSelector, SettingsPatch, SettingsUpdate, SmartHostTestOptions, SmartHostTestStep, SubmitRequest,
} from './contracts.ts';
import type { Settings, SmartHost } from './config/schema.ts';
import type { SecurityApi } from './types/security.ts';
import type { RoutingApi } from './types/routing.ts';
import type { QueuePage, QueuePageQuery } from './types/queue-view.ts';
import type { ImportApi } from './types/import.ts';
import type { DkimApi } from './types/dkim.ts';

/**
 * Issue 6 (relay tester, DNSBL test, health, certificates, users): engine/security-api.ts.
 * Issue 5 (aliases import, rewrite preview, routing checks for the routing pages): engine/routing-api.ts.
 */
export interface EngineApi extends SecurityApi, RoutingApi, ImportApi, DkimApi {
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
  /**
   * Messages received / delivered / bounced per clock hour and the queue size at
   * each hour's end, the last `hours` hours (default 24), oldest first. Kept and
   * persisted by the engine (engine/log/history.ts), so every window draws the same chart.
   */
  getHistory(hours?: number): Promise<HistoryHour[]>;

  subscribe(listener: (event: EngineEvent) => void): () => void;
}

/** The request/response methods, for adapters that carry them by name (IPC, HTTP, socket). */
export const ENGINE_API_METHODS = [
  'status', 'listQueue', 'getMessage', 'listCorrupt',
  'flush', 'hold', 'release', 'remove', 'bounceNow', 'requeue', 'moveToGroup',
  'submit', 'getSettings', 'updateSettings', 'tailLog', 'testAddress', 'networkChanged',
  'testSmartHost', 'listQueuePage', 'getHistory',
  // issue 6 (engine/security-api.ts SECURITY_API_METHODS)
  'testRelay', 'testDnsbl', 'healthCheck', 'generateSelfSigned', 'generateDhParams',
  'importCertificate', 'certificateInfo', 'hashPassword',
  // issue 5 (engine/routing-api.ts ROUTING_API_METHODS)
  'parseAliases', 'previewRewrite', 'checkRouting',
  // issue 14 (engine/import-api.ts IMPORT_API_METHODS)
  'planImport',
  // issue 15 (engine/dkim-api.ts DKIM_API_METHODS)
  'dkimKeygen', 'dkimShow', 'dkimSetSigning', 'dkimRemove', 'dkimCheck',
] as const satisfies readonly Exclude<keyof EngineApi, 'subscribe'>[];
export type EngineApiMethod = (typeof ENGINE_API_METHODS)[number];

// What the outside world (renderer, Electron, CLI) may name without reaching into
// the stages: the settings' types and the queue view's query and answer shapes.
export type { Route, SmartHost } from './config/schema.ts';
export type { ImportPlan, PlanItem, SourceFile } from './types/import.ts';
export type { Settings };
export type { HistoryHour } from './contracts.ts';
export type { QueueViewFilter, QueueSummaryBy, QueuePage, QueuePageQuery, ShapeRow, Top } from './types/queue-view.ts';
export { AGE_BUCKETS } from './types/queue-view.ts';
export { DELIVERY_MODES, MODE_WORDS, modeLabel, type DeliveryMode, type ModeWords } from './config/modes.ts';
export type {
  CertificateImport, CertificateInfo, CertificateStatus, DnsblList, DnsblResult, HealthItem, HealthLevel,
  RelayTestRequest, RelayTestResult, SecurityApi, TlsCheck, TlsChange,
} from './types/security.ts';
export type { AliasImport, AliasProblem, RewritePreview, RoutingApi } from './types/routing.ts';
export type { DkimDomainInfo, DkimKeygenOptions, DkimRecordInfo, ReadinessItem } from './types/dkim.ts';
