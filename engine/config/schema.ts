// The one settings schema. Everything that reads settings (engine start-up,
// EngineApi.updateSettings, the console's forms) validates against this, so an
// error always names the same field the same way. Defaults live here too:
// `SettingsSchema.parse({})` is a complete, runnable configuration.
import { z } from 'zod';
import { DELIVERY_MODES, migrateMode } from './modes.ts';
import { bindAddressError, hostNameError, nextHopError, routeDomainError } from './names.ts';

/** "30s", "15m", "4h", "5d" → milliseconds. Sendmail's time-unit syntax. */
export const DURATION_RE = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };
export function durationMs(value: string): number {
  const m = DURATION_RE.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}
/**
 * A duration with an upper bound (issue 11 §4): `99999999999999999999d` is a typo,
 * not a wish, and a number that large turns every comparison into nonsense.
 */
const durationUpTo = (max: string) => z.string().regex(DURATION_RE, 'a duration such as 30s, 15m, 4h or 5d')
  // zod runs this even when the regex failed: a non-duration is the regex's to report.
  .refine((v) => !DURATION_RE.test(v) || durationMs(v) <= durationMs(max), `at most ${max}`);
/** Queue lifetimes (queueWarn, queueReturn, slow-queue age): a year is already absurd. */
const duration = durationUpTo('365d');
/** A count with a sane ceiling; the reason for each ceiling is given where it is used. */
const count = (min: number, max: number) => z.number().int('a whole number').min(min, `at least ${min}`).max(max, `at most ${max}`);

/** A string checked by one of names.ts's judges, whose message says what is wrong. */
const judged = (judge: (s: string) => string | null) => z.string().superRefine((v, ctx) => {
  const e = judge(v);
  if (e) ctx.addIssue({ code: 'custom', message: e });
});
/**
 * Text we send in SMTP replies (greeting, DNSBL messages): printable ASCII, since
 * RFC 5321 §4.2 replies are ASCII and a control character would reach the peer's terminal.
 */
const replyText = z.string().regex(/^[\x20-\x7e]*$/, 'printable ASCII only (it is sent in SMTP replies)');

const port = z.number().int().min(0).max(65535);
/** A port that may be switched off with `false` (e.g. no SMTPS listener). */
const optionalPort = z.union([port, z.literal(false)]);
const hostname = judged(hostNameError);
/** "host", "[1.2.3.4]" (no MX lookup), or "[::1]". */
const nextHop = judged(nextHopError);
const bindAddress = judged(bindAddressError);
/** An optional host name: '' means "not set". */
const optionalHost = judged((v) => (v === '' ? null : hostNameError(v)));

export const SmartHostSchema = z.strictObject({
  host: nextHop,
  port: port.default(587),
  tls: z.enum(['none', 'starttls', 'implicit']).default('starttls'),
  auth: z.strictObject({ user: z.string().min(1), pass: z.string() }).optional(),
  /** Refuse to send without TLS (otherwise STARTTLS is opportunistic). */
  requireTls: z.boolean().default(false),
});

export const RouteSchema = z.strictObject({
  /** "example.com" (that domain) or ".example.com" (any subdomain), mailertable style. */
  domain: judged(routeDomainError),
  mailer: z.enum(['esmtp', 'smtp', 'relay', 'local', 'error']),
  /** esmtp/smtp/relay: host or [ip]; local: user; error: "5.7.1:message". */
  host: z.string().default(''),
  port: port.optional(),
}).superRefine((r, ctx) => {
  // An SMTP route's host must be something we can connect to: `not a host!!` would
  // otherwise be "deliverable" to `sendmail -bv` and fail at every delivery.
  if (r.mailer === 'local' || r.mailer === 'error') return;
  const m = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d+))?$/.exec(r.host.trim());
  const e = m ? (m[1] === '' ? null : nextHopError(m[1])) : `bad host "${r.host}": use host, host:port, [ip] or [ip]:port`;
  if (e) ctx.addIssue({ code: 'custom', path: ['host'], message: e });
  else if (m?.[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) {
    ctx.addIssue({ code: 'custom', path: ['host'], message: `bad port ${m[2]} (1-65535)` });
  }
});

export const DnsblSchema = z.strictObject({
  zone: hostname,
  message: replyText.default('Rejected: $&{client_addr} listed at $&{zone}'),
  tempfail: z.boolean().default(false),
  /** Answer codes that count as listed; empty = any 127.0.0.x answer. */
  match: z.array(z.string()).default([]),
  enhanced: z.boolean().default(false),
});

export const AccessRuleSchema = z.strictObject({
  key: z.string().min(1),
  action: z.string().min(1),
});

/**
 * Virtual users (Sendmail's virtusertable, Postfix's virtual_alias_maps):
 * "user@domain" or "@domain" (catch-all) → targets: addresses, local users,
 * "%1@other.example" (the local part carried over), or one "error:5.1.1 text".
 * A domain named here is ours (engine/config/our-domains.ts).
 */
export const VIRTUAL_KEY_RE = /^([^@\s]+)?@[A-Za-z0-9.-]+$/;
export const VirtualSchema = z.record(
  z.string().regex(VIRTUAL_KEY_RE, 'a virtual key is user@domain or @domain'),
  z.array(z.string().trim().min(1)).min(1, 'name at least one target, or error:5.1.1 text'),
).default({});

export const SlowQueueSchema = z.strictObject({
  enabled: z.boolean().default(false),
  afterAttempts: count(1, 1000).default(5),
  afterAge: duration.default('1d'),
  queueRun: z.string().default('0 */4 * * *'),
});

/** RFC 6376 §3.1: a selector is one or more dot-separated labels (letters, digits, hyphens). */
export const DKIM_SELECTOR_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** One DKIM key of a sending domain (issue 15). `signing: false` = retired, still published until removed. */
export const DkimKeySchema = z.strictObject({
  selector: z.string().regex(DKIM_SELECTOR_RE, 'a DKIM selector: labels of letters, digits and hyphens, separated by dots'),
  type: z.enum(['rsa', 'ed25519']),
  /** PEM private key, relative to the data directory (dkim/<domain>.<selector>.key). */
  file: z.string().min(1),
  signing: z.boolean().default(true),
});

export const SettingsSchema = z.strictObject({
  hostname: hostname.default('localhost'),
  listen: z.strictObject({
    address: bindAddress.default('127.0.0.1'),
    smtp: optionalPort.default(2525),
    submission: optionalPort.default(2587),
    smtps: optionalPort.default(false),
  }).prefault({}),
  console: z.strictObject({
    address: bindAddress.default('127.0.0.1'),
    port: optionalPort.default(8025),
    /**
     * A console bound off loopback speaks HTTPS with tls.cert/tls.key; this flag
     * lets it speak plain HTTP instead (behind a TLS proxy, or a trusted LAN).
     */
    allowPlainHttp: z.boolean().default(false),
  }).prefault({}),
  domains: z.strictObject({
    local: z.array(hostname).default([]),
    /** Networks (CIDR or IP) whose clients may relay, and domains we relay mail to (relay-domains). */
    relay: z.array(z.string()).default([]),
  }).prefault({}),
  aliases: z.record(z.string(), z.array(z.string())).default({ postmaster: ['root'] }),
  forwards: z.record(z.string(), z.array(z.string())).default({}),
  virtual: VirtualSchema,
  users: z.array(z.strictObject({ name: z.string().min(1), passwordHash: z.string().min(1) })).default([]),
  routes: z.array(RouteSchema).default([]),
  smartHost: SmartHostSchema.nullable().default(null),
  delivery: z.strictObject({
    /** engine/config/modes.ts; an old name (`background`) is read as its new one. */
    mode: z.preprocess(migrateMode, z.enum(DELIVERY_MODES, { error: 'whenonline, queueonly or deferred' })).default('whenonline'),
    /** node-cron expressions; each runs the default queue group. */
    queueRun: z.union([z.string(), z.array(z.string())]).default('*/30 * * * *'),
    online: z.strictObject({
      probe: z.enum(['smarthost', 'dns', 'none']).default('none'),
      /** Host to probe in `dns` mode (resolved through dns.servers, then connected). */
      probeHost: optionalHost.default(''),
      flushOnOnline: z.boolean().default(true),
      /** Longest gap between re-checks while offline; 1s keeps "reachable again → first message sent" under 2 s. */
      recheck: durationUpTo('1d').default('1s'),
      /**
       * Re-check this often while online, so a next hop that went away is noticed even
       * when no mail is failing (a failed delivery re-checks at once anyway).
       */
      recheckOnline: durationUpTo('1d').default('60s'),
    }).prefault({}),
    slowQueue: SlowQueueSchema.prefault({}),
    queueWarn: duration.default('4h'),
    queueReturn: duration.default('5d'),
    doubleBounce: z.string().default('postmaster'),
    remotePort: port.default(25),
    /** First retry after this; doubles each attempt up to maxBackoff (Postfix: 300s..4000s). */
    // A week between attempts already means a message expires after a handful of tries.
    minBackoff: durationUpTo('7d').default('5m'),
    maxBackoff: durationUpTo('7d').default('1h'),
    concurrency: z.number().int().min(1).max(100).default(10),
    /** An hour is far beyond any SMTP server's greeting delay (RFC 5321 §4.5.3.2.1: 5 minutes). */
    connectTimeout: durationUpTo('1h').default('30s'),
  }).prefault({}),
  rewrite: z.strictObject({
    masqueradeAs: optionalHost.default(''),
    masqueradeEntireDomain: z.boolean().default(false),
    masqueradeEnvelope: z.boolean().default(false),
    alwaysAddDomain: z.boolean().default(true),
    generics: z.record(z.string(), z.string()).default({}),
  }).prefault({}),
  access: z.array(AccessRuleSchema).default([]),
  antispam: z.strictObject({
    dnsbl: z.array(DnsblSchema).default([]),
    delayChecks: z.enum(['off', 'on', 'friend', 'hater']).default('off'),
  }).prefault({}),
  smtp: z.strictObject({
    greeting: replyText.default('$j ESMTP'),
    privacy: z.array(z.enum(['novrfy', 'noexpn', 'needmailhelo', 'noetrn', 'goaway', 'authwarnings',
      'restrictqrun', 'restrictmailq'])).default(['novrfy', 'noexpn']),
    help: z.boolean().default(false),
    // Ceilings (issue 11 §4): far above any real use, low enough that a typo
    // such as 1e15 is refused instead of meaning "no limit" by accident.
    /** 1 GiB: a message is one file in the spool and one SMTP transaction. */
    maxMessageSize: count(1024, 1024 ** 3).default(15 * 1024 * 1024),
    /** RFC 5321 §4.5.3.1.8 asks for at least 100; 100 000 is a mailing list's worth. */
    maxRcptsPerMessage: count(1, 100_000).default(100),
    badRcptThrottle: count(0, 100_000).default(4),
    /** Each session is a socket and some memory; 10 000 is beyond one process's sensible load. */
    maxDaemonChildren: count(1, 10_000).default(20),
    /** Concurrent sessions on submission and smtps together: a pool of their own (anvil.ts). */
    maxSubmissionChildren: count(1, 10_000).default(20),
    /** Concurrent sessions per client address (Sendmail ClientConnLimit); 0 = no limit. */
    clientConnLimit: count(0, 10_000).default(10),
    /** New connections per client address per minute (ConnectionRateThrottle, Postfix anvil); 0 = no limit. */
    clientConnRate: count(0, 1_000_000).default(100),
    /** 1 MiB of header is already hostile (Postfix's header_size_limit is 100 KiB). */
    maxHeadersLength: count(1024, 1024 ** 2).default(32000),
    /** Free 1 KiB blocks the spool's filesystem must keep; below this, 452 4.3.1. Ceiling: 1 PiB. */
    minFreeBlocks: count(0, 2 ** 40).default(100),
    /** Unknown commands and syntax errors before the session is closed (421). */
    maxErrors: count(1, 1000).default(10),
  }).prefault({}),
  tls: z.strictObject({
    cert: z.string().default(''),
    key: z.string().default(''),
    ca: z.string().default(''),
    dhParams: z.string().default(''),
    verifyClients: z.boolean().default(false),
    ciphers: z.string().default(''),
  }).prefault({}),
  localDelivery: z.strictObject({
    agent: z.enum(['maildir', 'mbox', 'pipe']).default('maildir'),
    command: z.string().default('/usr/bin/procmail -d $u'),
    /** Where mailboxes live: relative paths are under the data directory. */
    mailboxDir: z.string().default('mail'),
    luserRelay: z.string().default(''),
    forwardEnabled: z.boolean().default(true),
    readHomeForward: z.boolean().default(false),
  }).prefault({}),
  /** DKIM signing per sending domain: { "shop.test": { "sign": true, "keys": [...] } } (issue 15). */
  dkim: z.strictObject({
    domains: z.record(hostname, z.strictObject({ sign: z.boolean().default(true), keys: z.array(DkimKeySchema).default([]) })).default({}),
  }).prefault({}),
  /** Inbound SPF / DKIM / DMARC / ARC checks on the SMTP port (issue 15). */
  auth: z.strictObject({
    /** Add Authentication-Results (RFC 8601) to mail from strangers on the SMTP port. */
    verify: z.boolean().default(true),
    /** Act on the sender's DMARC policy: p=reject → 550 5.7.1, p=quarantine → `quarantine`. */
    enforceDmarc: z.boolean().default(false),
    /** p=quarantine failures: `hold` in the queue (reason says why) or `tag` with X-Quarantine:. */
    quarantine: z.enum(['hold', 'tag']).default('hold'),
  }).prefault({}),
  dns: z.strictObject({
    /** "ip" or "ip:port"; empty = the system's resolvers. */
    servers: z.array(z.string()).default([]),
    timeout: durationUpTo('5m').default('5s'),
  }).prefault({}),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SmartHost = z.infer<typeof SmartHostSchema>;
export type Route = z.infer<typeof RouteSchema>;
export type DkimKey = z.infer<typeof DkimKeySchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;
