// What qmgr needs from the rest of the engine, as plain functions and narrow
// interfaces: engine/index.ts wires the real stages in. Keeping these seams
// narrow is what lets qmgr never import cleanup, smtpd or a transport directly
// (STYLE.md §1: a stage never reaches into a sibling's internals).
import type { Settings } from '../config/schema.ts';
import type {
  Clock, DeliveryReport, DeliveryResult, Destination, Envelope, OutboundMessage, QueueEntry, QueueId, Resolution,
} from '../contracts.ts';
import type { EngineEvent } from '../contracts.ts';
import type { Spool } from '../queue/types.ts';

/** The part of the maillog qmgr writes (engine/log/maillog.ts implements it). */
export interface QmgrLog {
  toLine(entry: QueueEntry, r: DeliveryResult, x: { mailer: string; relay?: string; attemptStart: number }): void;
  info(id: QueueId | null, text: string): void;
}

export interface QmgrDeps {
  spool: Spool;
  settings: () => Settings;
  clock: Clock;
  /** Our name: Reporting-MTA of DSNs. */
  hostname: () => string;
  /** resolve's question: where does this address go (never writes). */
  resolve: (address: string) => Promise<Resolution>;
  /**
   * One transaction for destinations sharing (transport, nexthop, port). `signal`
   * fires when the engine stops and gives up waiting; a transport may end early on it.
   */
  deliver: (message: OutboundMessage, recipients: Destination[], onTranscript: (line: string) => void, signal?: AbortSignal) => Promise<DeliveryReport>;
  /** Put a generated message (a DSN) back into the queue through cleanup; durable when it resolves. */
  enqueue: (envelope: Envelope, message: Buffer) => Promise<QueueEntry>;
  log: QmgrLog;
  emit: (event: EngineEvent) => void;
  /** The online gate (issue 3); absent = always online. */
  online?: () => boolean;
  /** Offline milliseconds not yet credited to entries (the current offline spell), for ages. */
  offlineSince?: () => number | null;
  /**
   * A delivery started at `since` could not reach its next hop: have the gate check
   * again (a probe that started after `since` is answer enough) and say whether we
   * are still online. Absent = always online.
   */
  recheck?: (why: string, since: number) => Promise<boolean>;
}

/** What one attempt did to one message, for flush summaries. */
/** 'failed': tried, but the engine could not finish the attempt (e.g. the queue file could not be rewritten). */
export type AttemptOutcome = 'sent' | 'deferred' | 'bounced' | 'skipped' | 'failed';
