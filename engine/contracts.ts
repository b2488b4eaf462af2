// Mail nouns shared by every stage. A stage imports these and the stage below it,
// never a sibling's internals (STYLE.md §1). Nothing here does I/O. The shapes the
// outer surface (engine/api.ts) carries live here too, so a stage that emits an
// event or answers a queue action never imports api.ts. The only import is the
// settings' type (engine/config/schema.ts, a leaf).
import type { Settings, SmartHost } from './config/schema.ts';

/** Sendmail-style queue ID: 14 characters of [0-9A-Za-z], unique per spool. */
export type QueueId = string;

/** Where a queued message sits. Only qmgr moves entries between states. */
export type QueueState = 'active' | 'deferred' | 'hold';

/** RFC 3461 NOTIFY values. */
export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

export interface RecipientRequest {
  address: string;
  /** RFC 3461 ORCPT, as given ("rfc822;user@example.com"). */
  orcpt?: string;
  notify?: DsnNotify[];
}

/** What the client asked for: MAIL FROM / RCPT TO plus DSN parameters. */
export interface Envelope {
  /** Envelope sender; '' is the null sender `<>` (bounces). */
  sender: string;
  recipients: RecipientRequest[];
  /** RFC 3461 RET and ENVID. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** BODY=8BITMIME / SMTPUTF8 as declared by the client. */
  body?: '7BIT' | '8BITMIME';
  smtputf8?: boolean;
}

/** Who handed the message to us; feeds the Received: header and the maillog. */
export interface ClientInfo {
  /** IP address, or '' for local submission (sendmail CLI). */
  address: string;
  /** Reverse name if known; we never do ident and only do PTR when configured. */
  hostname?: string;
  helo?: string;
  /** ESMTP, ESMTPS, ESMTPA, ESMTPSA, or 'local' for the CLI. */
  protocol: string;
  /** Authenticated user, if any. */
  user?: string;
  /** Which listener: 'smtp' | 'submission' | 'smtps' | 'cli' | 'bounce'. */
  daemon: string;
  /** verify: the client certificate verdict (Sendmail's verify=OK|NO|FAIL), issue 6. */
  tls?: { version: string; cipher: string; bits?: number; verify?: 'OK' | 'NO' | 'FAIL' };
  /**
   * A client inside our trust boundary (it may relay: local machine, domains.relay,
   * Connect: RELAY): its mail is DKIM-signed like submitted mail, never verified (issue 15).
   */
  internal?: boolean;
}

export type RecipientStatus = 'pending' | 'sent' | 'bounced';

export interface RecipientState extends RecipientRequest {
  status: RecipientStatus;
  /** Last remote reply or local reason for this recipient. */
  lastReply?: string;
  /** Last enhanced status code (e.g. "4.4.1"). */
  dsnStatus?: string;
  /** Host that gave lastReply. */
  remoteMta?: string;
  /**
   * While pending: the destinations this recipient expanded to that are already
   * settled (delivered, or bounced and reported), by qmgr's destination key
   * (`local:alice`, `smtp:alice@elsewhere.example`, ...). A retry skips them, so a
   * partly delivered alias or .forward never delivers a second copy.
   */
  done?: string[];
}

/**
 * The control record of one queued message (Sendmail's qf file). Everything the
 * scheduler and `mailq` need is here, so listing the queue never reads bodies.
 */
export interface QueueEntry {
  id: QueueId;
  /** Envelope sender, '' for `<>`. */
  sender: string;
  recipients: RecipientState[];
  /** Epoch ms when the message was accepted. */
  arrivalTime: number;
  /** Size of the stored message (headers + body) in octets. */
  size: number;
  state: QueueState;
  /** Queue group: 'default' or 'slow' (issue 3), or another named group. */
  group: string;
  attempts: number;
  /** Epoch ms of the next attempt; 0 = as soon as possible. */
  nextAttempt: number;
  lastAttempt?: number;
  /** Human-readable reason for the message's state: the mailq status line. */
  reason?: string;
  /** RFC 3461 parameters carried for the DSN. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  body?: '7BIT' | '8BITMIME';
  smtputf8?: boolean;
  client: ClientInfo;
  messageId?: string;
  /** A delay warning (queueWarn) has been sent. */
  warned?: boolean;
  /** Milliseconds spent offline since arrival; not counted toward warn/return (issue 3). */
  offlineMs?: number;
  /** Who put it on hold: 'admin' (a person) or 'mode' (deferred delivery mode). */
  heldBy?: 'admin' | 'mode';
  /** The last SMTP transcript of a delivery attempt (bounded). */
  transcript?: string[];
  /**
   * Header fields decided only after the whole message was stored (Authentication-Results
   * needs the body for DKIM), CRLF-terminated. The spool presents them on top of the
   * stored message, as Sendmail keeps headers in the qf (issue 15). Counted in `size`.
   */
  prepend?: string;
}

/** Where resolve sends one recipient. */
export type Transport = 'smtp' | 'local' | 'pipe' | 'file' | 'discard' | 'error';

export interface Destination {
  transport: Transport;
  /**
   * smtp: next hop: a domain whose MX to look up, or "[1.2.3.4]" for no MX lookup,
   * or the smart host name. local: mailbox user. pipe: command. file: path.
   * error: "5.7.1:text" style.
   */
  nexthop: string;
  port?: number;
  /** smtp only: the smart host's TLS mode / auth, when this is the smart host. */
  smartHost?: boolean;
  /** Sendmail mailer name for the maillog (esmtp, relay, local, prog, *file*). */
  mailer: string;
  /** The final recipient address on this transport (after aliases / forward). */
  address: string;
  /** The original recipient it came from (for DSN ORCPT and the log). */
  original: string;
  /** RFC 3461 NOTIFY / ORCPT of the recipient request, relayed on RCPT TO when the next hop offers DSN. */
  notify?: DsnNotify[];
  orcpt?: string;
}

/** One step of an address resolution; the address tester prints these. */
export interface ResolveStep {
  stage: 'input' | 'rewrite' | 'local' | 'virtual' | 'alias' | 'forward' | 'luser' | 'route' | 'smarthost' | 'mx' | 'verdict';
  detail: string;
}

export interface Resolution {
  destinations: Destination[];
  /** Recipients that could not be resolved, with the bounce reason. */
  failures: { address: string; status: string; reason: string }[];
  trace: ResolveStep[];
}

/** Per-recipient outcome of one delivery attempt (STYLE.md §4). */
export type DeliveryResult =
  | {
    address: string; status: 'sent'; reply: string; dsnStatus: string; remoteMta?: string;
    /**
     * SMTP only: the next hop offered DSN, so NOTIFY/ORCPT went on with the RCPT and
     * any success report is the next hop's to send, not ours (RFC 3461 §6.2.6.1).
     */
    dsnPassedOn?: boolean;
  }
  | { address: string; status: 'deferred'; reply: string; dsnStatus: string; remoteMta?: string }
  | { address: string; status: 'bounced'; reply: string; dsnStatus: string; remoteMta?: string };

export interface DeliveryReport {
  results: DeliveryResult[];
  /** Host we ended up talking to, "name [ip]" as Sendmail logs relay=. */
  relay?: string;
  transcript: string[];
}

/** The message as a transport needs it: a readable body, its envelope. */
export interface OutboundMessage {
  id: QueueId;
  sender: string;
  /** Opens a fresh stream of the stored message (headers + body, CRLF lines). */
  open(): NodeJS.ReadableStream;
  /**
   * The same bytes in one buffer when the message is small (stored inline), read with
   * one open and one read instead of a stream; undefined when it must be streamed.
   * A wrapper that changes the content (DKIM signing) replaces it along with open().
   */
  bytes?(): Buffer | undefined;
  size: number;
  body?: '7BIT' | '8BITMIME';
  smtputf8?: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** Who handed the message to us: decides whether it is DKIM-signed (issue 15). */
  client?: ClientInfo;
}

/** An SMTP-facing error: carries its reply, never a bare string (STYLE.md §4). */
export class SmtpError extends Error {
  constructor(
    public readonly responseCode: number,
    public readonly enhanced: string,
    text: string,
  ) {
    super(`${enhanced} ${text}`);
  }
}

/** Time source; tests inject one to move time without sleeping (issue 3). */
/** A policy answer (smtpd's restriction lists, the access map), evaluated left to right like Postfix's. */
export type Verdict =
  | { action: 'continue' }
  /** Accept and stop evaluating (access map OK). */
  | { action: 'ok' }
  /** Accept, and this client/recipient may relay (access map RELAY). */
  | { action: 'relay' }
  /** Accept the transaction but throw the message away (access map DISCARD). */
  | { action: 'discard' }
  | { action: 'reject'; code: number; enhanced: string; text: string }
  | { action: 'tempfail'; code: number; enhanced: string; text: string };

export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() };

// ---- Shapes the outer surface carries (engine/api.ts re-exports them) ----

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
  counts: QueueCounts;
  /** A flush in progress, if any. */
  flushing: boolean;
  /** Its progress: `total` is what the flush took on, `done` how many of those it has finished. */
  flush?: FlushProgress | null;
}

/** The queue by shown state (they add up to total) and the damaged entries kept aside. */
export interface QueueCounts { total: number; active: number; deferred: number; hold: number; corrupt: number }
export interface FlushProgress { done: number; total: number }

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

/** failed: attempted, but the engine could not record the outcome (e.g. a full disk); they stay queued with the error as reason. */
export interface FlushSummary { attempted: number; sent: number; deferred: number; bounced: number; skipped: number; failed?: number; durationMs: number }

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
  /**
   * The submitting local user's login (Received: "(from alice@localhost)", maillog
   * relay=alice@localhost). Set by the sendmail CLI over the owner-only control
   * socket and by the maildrop pickup, which takes it from the drop file's owner.
   */
  user?: string;
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
  /**
   * The one snapshot of the numbers (issue 10 §4), sent at most every 250 ms while
   * the queue changes: header, cards, tray and progress all show these, as status() does.
   */
  | { type: 'queue:counts'; counts: QueueCounts; flushing: boolean; flush: FlushProgress | null }
  | { type: 'settings:changed'; settings: Settings }
  | { type: 'log:line'; line: string }
  /** DH parameter generation (issue 6): openssl's candidate count so far; `done` at the end. */
  | { type: 'tls:dhparams'; marks: number; done: boolean; error?: string };

/**
 * One clock hour of the engine's history (Overview chart; engine/log/history.ts).
 * Every count is of messages: received (queued), delivered (left the queue
 * delivered), bounced (returned to sender), and the queue size at the hour's end.
 */
export interface HistoryHour { hour: number; received: number; delivered: number; bounced: number; queued: number }
