// Mail nouns shared by every stage. A stage imports these and the stage below it,
// never a sibling's internals (STYLE.md §1). Nothing here does I/O.

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
  stage: 'input' | 'rewrite' | 'local' | 'alias' | 'forward' | 'luser' | 'route' | 'smarthost' | 'mx' | 'verdict';
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
export interface Clock { now(): number }
export const systemClock: Clock = { now: () => Date.now() };
