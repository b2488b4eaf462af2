// The one settings schema. Everything that reads settings (engine start-up,
// EngineApi.updateSettings, the console's forms) validates against this, so an
// error always names the same field the same way. Defaults live here too:
// `SettingsSchema.parse({})` is a complete, runnable configuration.
import { z } from 'zod';

/** "30s", "15m", "4h", "5d" → milliseconds. Sendmail's time-unit syntax. */
export const DURATION_RE = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };
export function durationMs(value: string): number {
  const m = DURATION_RE.exec(value);
  if (!m) throw new Error(`not a duration: ${value}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}
const duration = z.string().regex(DURATION_RE, 'a duration such as 30s, 15m, 4h or 5d');

const port = z.number().int().min(0).max(65535);
/** A port that may be switched off with `false` (e.g. no SMTPS listener). */
const optionalPort = z.union([port, z.literal(false)]);
const hostname = z.string().min(1).regex(/^[A-Za-z0-9.-]+$/, 'a host name (letters, digits, dots, hyphens)');
/** "host", "[1.2.3.4]" (no MX lookup), or "[::1]". */
const nextHop = z.string().min(1).regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/, 'a host name or [ip-address]');

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
  domain: z.string().min(1).regex(/^\.?[A-Za-z0-9.-]+$/, 'a domain, or .domain for its subdomains'),
  mailer: z.enum(['esmtp', 'smtp', 'relay', 'local', 'error']),
  /** esmtp/smtp/relay: host or [ip]; local: user; error: "5.7.1:message". */
  host: z.string().default(''),
  port: port.optional(),
});

export const DnsblSchema = z.strictObject({
  zone: hostname,
  message: z.string().default('Rejected: $&{client_addr} listed at $&{zone}'),
  tempfail: z.boolean().default(false),
  /** Answer codes that count as listed; empty = any 127.0.0.x answer. */
  match: z.array(z.string()).default([]),
  enhanced: z.boolean().default(false),
});

export const AccessRuleSchema = z.strictObject({
  key: z.string().min(1),
  action: z.string().min(1),
});

export const SlowQueueSchema = z.strictObject({
  enabled: z.boolean().default(false),
  afterAttempts: z.number().int().min(1).default(5),
  afterAge: duration.default('1d'),
  queueRun: z.string().default('0 */4 * * *'),
});

/**
 * Upper bound for session counts: each session is a socket and a few KiB of state;
 * beyond this a typo (an extra zero or three), not a plan.
 */
const MAX_SESSIONS = 10_000;

export const SettingsSchema = z.strictObject({
  hostname: hostname.default('localhost'),
  listen: z.strictObject({
    address: z.string().default('127.0.0.1'),
    smtp: optionalPort.default(2525),
    submission: optionalPort.default(2587),
    smtps: optionalPort.default(false),
  }).prefault({}),
  console: z.strictObject({
    address: z.string().default('127.0.0.1'),
    port: optionalPort.default(8025),
  }).prefault({}),
  domains: z.strictObject({
    local: z.array(hostname).default([]),
    /** Networks (CIDR or IP) whose clients may relay, and domains we relay mail to (relay-domains). */
    relay: z.array(z.string()).default([]),
  }).prefault({}),
  aliases: z.record(z.string(), z.array(z.string())).default({ postmaster: ['root'] }),
  forwards: z.record(z.string(), z.array(z.string())).default({}),
  users: z.array(z.strictObject({ name: z.string().min(1), passwordHash: z.string().min(1) })).default([]),
  routes: z.array(RouteSchema).default([]),
  smartHost: SmartHostSchema.nullable().default(null),
  delivery: z.strictObject({
    mode: z.enum(['background', 'queueonly', 'deferred']).default('background'),
    /** node-cron expressions; each runs the default queue group. */
    queueRun: z.union([z.string(), z.array(z.string())]).default('*/30 * * * *'),
    online: z.strictObject({
      probe: z.enum(['smarthost', 'dns', 'none']).default('none'),
      /** Host to probe in `dns` mode (resolved through dns.servers, then connected). */
      probeHost: z.string().default(''),
      flushOnOnline: z.boolean().default(true),
      /** Longest gap between re-checks while offline; 1s keeps "reachable again → first message sent" under 2 s. */
      recheck: duration.default('1s'),
    }).prefault({}),
    slowQueue: SlowQueueSchema.prefault({}),
    queueWarn: duration.default('4h'),
    queueReturn: duration.default('5d'),
    doubleBounce: z.string().default('postmaster'),
    remotePort: port.default(25),
    /** First retry after this; doubles each attempt up to maxBackoff (Postfix: 300s..4000s). */
    minBackoff: duration.default('5m'),
    maxBackoff: duration.default('1h'),
    concurrency: z.number().int().min(1).max(100).default(10),
    connectTimeout: duration.default('30s'),
  }).prefault({}),
  rewrite: z.strictObject({
    masqueradeAs: z.string().default(''),
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
    greeting: z.string().default('$j ESMTP'),
    privacy: z.array(z.enum(['novrfy', 'noexpn', 'needmailhelo', 'noetrn', 'goaway', 'authwarnings',
      'restrictqrun', 'restrictmailq'])).default(['novrfy', 'noexpn']),
    help: z.boolean().default(false),
    maxMessageSize: z.number().int().min(1024).default(15 * 1024 * 1024),
    maxRcptsPerMessage: z.number().int().min(1).default(100),
    badRcptThrottle: z.number().int().min(0).default(4),
    maxDaemonChildren: z.number().int().min(1).default(20),
    /** Concurrent sessions on submission and smtps together: a pool of their own (smtpd/anvil.ts). */
    maxSubmissionChildren: z.number().int().min(1).max(MAX_SESSIONS).default(20),
    /** Concurrent sessions per client address (Sendmail ClientConn:, Postfix anvil); 0 = no limit. */
    clientConnLimit: z.number().int().min(0).max(MAX_SESSIONS).default(10),
    /** New connections per client address per minute (Sendmail ClientRate:, Postfix anvil); 0 = no limit. */
    clientConnRate: z.number().int().min(0).max(MAX_SESSIONS * 60).default(100),
    maxHeadersLength: z.number().int().min(1024).default(32000),
    /** Free 1 KiB blocks the spool's filesystem must keep; below this, 452 4.3.1. */
    minFreeBlocks: z.number().int().min(0).default(100),
    /** Unknown commands and syntax errors before the session is closed (421). */
    maxErrors: z.number().int().min(1).default(10),
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
  dns: z.strictObject({
    /** "ip" or "ip:port"; empty = the system's resolvers. */
    servers: z.array(z.string()).default([]),
    timeout: duration.default('5s'),
  }).prefault({}),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SmartHost = z.infer<typeof SmartHostSchema>;
export type Route = z.infer<typeof RouteSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;
