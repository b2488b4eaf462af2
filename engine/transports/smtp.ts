// The SMTP transport: one delivery attempt of one message to one nexthop (a
// domain's MX hosts, a bracketed literal, or the smart host), one transaction
// carrying every recipient of that nexthop. It walks the MX list (RFC 5321 §5.1)
// past hosts that cannot be reached, does opportunistic STARTTLS (and, like
// Sendmail, retries a host in clear text when the TLS handshake fails), and
// turns every reply into a per-recipient sent / deferred / bounced value.
// It never touches the queue, the log or the retry schedule: qmgr does.
import { isIP } from 'node:net';
import { durationMs, type Settings } from '../config/schema.ts';
import type { DeliveryReport, DeliveryResult, Destination, OutboundMessage } from '../contracts.ts';
import { DnsError, type Dns } from '../dns/resolver.ts';
import { dnsFailure, findMailHosts, type MailHost } from './mx.ts';
import { runSession, type SessionOutcome, type SessionRecipient, type TlsPolicy } from './smtp-session.ts';
import { Transcript } from './smtp-transcript.ts';
import type { ConnectionCache } from './smtp-cache.ts';
import { tryTls } from '../tls/outbound.ts';

export interface SmtpContext {
  settings: Settings;
  dns: Dns;
  /** Our name, for EHLO and for spotting an MX list that points back at us. */
  hostname: string;
  /** Every transcript line as it happens (the UI shows a live session). */
  onTranscript?: (line: string) => void;
  /** Shuffle source for equal MX preferences; tests inject one. */
  random?: () => number;
  /** Idle sessions to reuse (smtp-cache.ts); without one every attempt connects and QUITs. */
  cache?: ConnectionCache;
}

interface Target {
  nexthop: string;
  port: number;
  tls: TlsPolicy;
  auth?: { user: string; pass: string };
  smartHost: boolean;
}

export async function deliverSmtp(message: OutboundMessage, recipients: Destination[], ctx: SmtpContext): Promise<DeliveryReport> {
  if (recipients.length === 0) return { results: [], transcript: [] };
  const target = targetFor(recipients[0], ctx.settings);
  const secrets = target.auth ? authSecrets(target.auth) : [];
  const transcript = new Transcript(ctx.onTranscript, secrets);
  const report = (results: DeliveryResult[], relay?: string): DeliveryReport =>
    ({ results, relay, transcript: transcript.lines() });
  const everyone = (status: DeliveryResult['status'], dsnStatus: string, reply: string, remoteMta?: string): DeliveryResult[] =>
    recipients.map((r) => ({ address: r.address, status, dsnStatus, reply, ...(remoteMta ? { remoteMta } : {}) }));

  const found = await findMailHosts(target.nexthop, ctx.dns, {
    random: ctx.random,
    // The smart host is chosen by the admin; the loop check is for MX lists.
    self: target.smartHost ? undefined : ctx.hostname,
  });
  if (!found.ok) {
    transcript.note(`${target.nexthop}: ${found.reply}`);
    return report(everyone(found.status, found.dsnStatus, found.reply));
  }

  const sessionRecipients: SessionRecipient[] = recipients.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt }));
  const connectTimeoutMs = durationMs(ctx.settings.delivery.connectTimeout);
  // Why the last host could not take the message: the reason recipients get when all fail.
  let last: { status: 'deferred' | 'bounced'; dsnStatus: string; reply: string; relay?: string; remoteMta?: string } | undefined;
  let lookupNx = 0;

  for (const host of found.hosts) {
    const addresses = await addressesOf(host, ctx.dns, transcript);
    if (!Array.isArray(addresses)) {
      if (addresses.kind === 'bounced') lookupNx++;
      last = { status: 'deferred', dsnStatus: '4.4.3', reply: addresses.reply };
      continue;
    }
    for (const ip of addresses) {
      const relay = relayName(host.name, ip);
      let outcome = await attempt(ip, host, target.tls);
      if (outcome.kind === 'tls-failed' && target.tls === 'opportunistic') {
        // Sendmail: a failed STARTTLS handshake is retried on the same host without TLS.
        transcript.note(`STARTTLS handshake with ${relay} failed (${outcome.detail}); retrying without TLS`);
        outcome = await attempt(ip, host, 'none');
      }
      if (outcome.kind === 'done') return report(verdicts(outcome, recipients, relay, host.name), relay);
      // Unreachable, TLS trouble, or a greeting/EHLO refusal: the next host may do better
      // (Postfix's smtp_skip_5xx_greeting default). Only the last host's failure is reported.
      last = { ...failureOf(outcome, host, ip), relay, ...(outcome.kind === 'session-rejected' ? { remoteMta: host.name } : {}) };
    }
  }

  if (!last) return report(everyone('deferred', '4.4.3', 'No mail hosts'));
  if (lookupNx === found.hosts.length) {
    // Every host name is unknown: the domain's mail setup is broken for good (Sendmail: Host unknown).
    return report(everyone('bounced', '5.1.2', last.reply));
  }
  // A 5xx greeting from the last host is a refusal (RFC 5321 §3.1: 554 "no SMTP service here").
  return report(everyone(last.status, last.dsnStatus, last.reply, last.remoteMta), last.relay);

  function attempt(ip: string, host: MailHost, tls: TlsPolicy): Promise<SessionOutcome> {
    return runSession({
      ip,
      port: target.port,
      hostName: host.name,
      helo: ctx.hostname,
      // Try_TLS:host NO in the access map: that server's TLS is known broken (issue 6).
      tls: tls === 'opportunistic' && !tryTls(ctx.settings, host.name, ip) ? 'none' : tls,
      auth: target.auth,
      connectTimeoutMs,
      transcript,
      cache: ctx.cache,
    }, message.sender, sessionRecipients, message);
  }
}

/** Smart host (settings.smartHost, flagged by resolve) or the recipient's own nexthop. */
function targetFor(first: Destination, settings: Settings): Target {
  const sh = settings.smartHost;
  if (first.smartHost && sh) {
    const tls: TlsPolicy = sh.tls === 'implicit' ? 'implicit' : sh.tls === 'none' ? 'none' : sh.requireTls ? 'required' : 'opportunistic';
    return { nexthop: sh.host, port: first.port ?? sh.port, tls, auth: sh.auth, smartHost: true };
  }
  return { nexthop: first.nexthop, port: first.port ?? settings.delivery.remotePort, tls: 'opportunistic', smartHost: false };
}

/** The password as it could appear on the wire: plain, and inside a PLAIN / LOGIN token. */
function authSecrets(auth: { user: string; pass: string }): string[] {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return [auth.pass, b64(auth.pass), b64(`\u0000${auth.user}\u0000${auth.pass}`), b64(`${auth.user}\u0000${auth.user}\u0000${auth.pass}`)];
}

/** Addresses of one MX host, or why it has none (a host that does not resolve is skipped). */
async function addressesOf(host: MailHost, dns: Dns, t: Transcript): Promise<string[] | { kind: 'bounced' | 'deferred'; reply: string }> {
  if (host.addresses) return host.addresses;
  try {
    return await dns.resolveHost(host.name);
  } catch (err) {
    if (!(err instanceof DnsError)) throw err;
    const f = dnsFailure(err, host.name);
    t.note(`${host.name}: ${f.reply}`);
    return { kind: f.status === 'bounced' ? 'bounced' : 'deferred', reply: f.reply };
  }
}

/** Sendmail's relay= form: "mx.example.com. [192.0.2.1]", or "[192.0.2.1] [192.0.2.1]" for a literal. */
export function relayName(name: string, ip: string): string {
  return isIP(name) ? `[${name}] [${ip}]` : `${name}. [${ip}]`;
}

/** How Sendmail names a host in "Connection refused by ...": the IP bare, a name with its dot. */
function hostLabel(name: string): string {
  return isIP(name) ? name : `${name}.`;
}

function failureOf(o: Exclude<SessionOutcome, { kind: 'done' }>, host: MailHost, ip: string): { status: 'deferred' | 'bounced'; dsnStatus: string; reply: string } {
  const label = hostLabel(host.name);
  switch (o.kind) {
    case 'unreachable':
      // RFC 3463: 4.4.1 no answer from host; 4.4.2 bad connection.
      if (o.reason === 'refused') return { status: 'deferred', dsnStatus: '4.4.1', reply: `Connection refused by ${label}` };
      if (o.reason === 'timeout') return { status: 'deferred', dsnStatus: '4.4.1', reply: `Connection timed out with ${label}` };
      if (o.reason === 'closed') return { status: 'deferred', dsnStatus: '4.4.2', reply: `Connection reset by ${label}` };
      return { status: 'deferred', dsnStatus: '4.4.1', reply: `${o.detail} (${label} [${ip}])` };
    case 'tls-failed':
      return { status: 'deferred', dsnStatus: '4.7.5', reply: `TLS failure with ${label}: ${o.detail}` };
    case 'session-rejected': {
      // A refused AUTH at the smart host is an admin's problem (credentials), not the sender's.
      // RFC 4954 §6: 4.7.0 is the temporary authentication failure.
      if (o.stage === 'AUTH') return { status: 'deferred', dsnStatus: '4.7.0', reply: `AUTH failure with ${label}: ${oneLine(o.reply)}` };
      const permanent = o.code >= 500 && o.stage === 'greeting';
      return { status: permanent ? 'bounced' : 'deferred', dsnStatus: enhancedOf(o.reply, permanent ? 5 : 4), reply: oneLine(o.reply) };
    }
  }
}

/** Per recipient: 2xx sent, 4xx deferred, 5xx bounced; no reply at all (lost connection) deferred. */
function verdicts(o: Extract<SessionOutcome, { kind: 'done' }>, recipients: Destination[], relay: string, remoteMta: string): DeliveryResult[] {
  return recipients.map((r, i) => {
    const x = o.results[i];
    if (x.code === 0) {
      return { address: r.address, status: 'deferred', dsnStatus: '4.4.2', reply: `Lost connection with ${relay} during ${o.lostDuring ?? 'message transfer'}`, remoteMta };
    }
    const reply = oneLine(x.reply);
    const cls = Math.floor(x.code / 100);
    const status = cls === 2 ? 'sent' : cls === 5 ? 'bounced' : 'deferred';
    const passed = status === 'sent' && x.dsnPassedOn ? { dsnPassedOn: true } : {};
    return { address: r.address, status, dsnStatus: enhancedOf(reply, cls === 2 || cls === 5 ? cls : 4), reply, remoteMta, ...passed };
  });
}

/** RFC 3463 status from the reply's enhanced code, or the class default (2.0.0 / 4.0.0 / 5.0.0). */
export function enhancedOf(reply: string, cls: number): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  if (m && Number(m[1][0]) === cls) return m[1];
  return `${cls}.0.0`;
}

/** A multi-line reply as one line (its last line carries the meaning, RFC 5321 §4.2.1). */
function oneLine(reply: string): string {
  const lines = reply.trim().split(/\r?\n/);
  return lines[lines.length - 1].replace(/^(\d{3})-/, '$1 ');
}
