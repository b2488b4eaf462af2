// The SMTP policy: what smtpd asks at connect, HELO, MAIL and RCPT. Each step is
// a list of small checks evaluated left to right like a Postfix restriction list
// (STYLE.md §4): the first verdict other than `continue` decides.
//   connect: access map Connect:, DNS block lists            (Sendmail check_relay)
//   MAIL:    access map From:                                (check_mail)
//   RCPT:    syntax, access map To:, relay control, and with delay_checks the
//            connect and MAIL checks for this recipient      (check_rcpt)
// Relay control (DESIGN.md: "Nothing relays for a stranger, whatever the address
// looks like") decides on the parsed domain. Answers questions; never writes.
import type { Settings } from '../config/schema.ts';
import type { Dns } from '../dns/resolver.ts';
import type { PolicySession, SmtpPolicy, Verdict } from './types.ts';
import { parseRecipient, type ParsedRecipient } from './address.ts';
import { isOurDomain, type InterfaceTable } from '../config/our-domains.ts';
import { compileRelayNetworks, isLocalMachine, type RelayNetworks } from './networks.ts';
import { checkClient, checkSender, connectRelays, delayed, delayedChecks, recipientAccess, recipientGetsChecks } from './restrictions.ts';

export interface PolicyDeps {
  settings: () => Settings;
  /** For the DNS block lists; without it no list is asked. */
  dns?: Dns;
  /** This machine's interface addresses (tests play a host with a public address); default os.networkInterfaces. */
  interfaces?: InterfaceTable;
  /**
   * Asks resolve whether a local recipient exists; returns the refusal, or null.
   * Without it unknown local users are accepted and bounced later (backscatter).
   */
  verifyLocal?: LocalVerifier;
}

export type LocalVerifier = (address: string) => Promise<{ code: number; enhanced: string; text: string } | null>;

/** What every check may look at, computed once per question. */
export interface CheckContext {
  settings: Settings;
  relayNetworks: RelayNetworks;
  dns?: Dns;
  interfaces?: InterfaceTable;
  verifyLocal?: LocalVerifier;
}

export type Check<A> = (session: PolicySession, arg: A, ctx: CheckContext) => Verdict | Promise<Verdict>;
/** RCPT checks get the parsed address too (null when it does not parse). */
export interface RcptArg { raw: string; parsed: ParsedRecipient | null }

export const CONTINUE: Verdict = { action: 'continue' };
export const reject = (code: number, enhanced: string, text: string): Verdict => ({ action: 'reject', code, enhanced, text });

/** Evaluate checks left to right; the first decisive verdict wins, `continue` if none. */
export async function evaluate<A>(checks: readonly Check<A>[], session: PolicySession, arg: A, ctx: CheckContext): Promise<Verdict> {
  for (const check of checks) {
    const verdict = await check(session, arg, ctx);
    if (verdict.action !== 'continue') return verdict;
  }
  return CONTINUE;
}

/** Trusted by configuration: local machine, domains.relay, or an authenticated user. */
export function isRelayClient(session: PolicySession, ctx: CheckContext): boolean {
  const { client } = session;
  return isLocalMachine(client, session.localAddress) || !!client.user || ctx.relayNetworks.matches(client);
}

/** May this client send mail anywhere? A relay client, or `Connect:` RELAY in the access map. */
export function mayRelay(session: PolicySession, ctx: CheckContext): boolean {
  return isRelayClient(session, ctx) || connectRelays(ctx.settings, session.client);
}

/**
 * Is this domain one we receive mail for (Sendmail's class w)? The very function
 * resolve asks (engine/config/our-domains.ts): accepting a domain here that
 * resolve then sends out by SMTP would loop mail back to us. Our address literals
 * are all of ours, not just the one this client connected to.
 */
export function isLocalDomain(domain: string, _session: PolicySession, settings: Settings, interfaces?: InterfaceTable): boolean {
  if (domain === '') return true; // the bare postmaster (RFC 5321 §4.1.1.3)
  return isOurDomain(domain, settings, interfaces);
}

// --- RCPT TO checks, in order -------------------------------------------------

/** `To:` REJECT / ERROR / DISCARD apply to every client, relay clients included. */
export const checkRecipientAccess: Check<RcptArg> = (_session, { raw, parsed }, ctx) =>
  parsed ? recipientAccess(ctx.settings, raw).verdict : CONTINUE;

export const permitRelayClient: Check<RcptArg> = (session, _arg, ctx) =>
  mayRelay(session, ctx) ? { action: 'relay' } : CONTINUE;

export const rejectBadSyntax: Check<RcptArg> = (_session, { raw, parsed }) =>
  parsed ? CONTINUE : reject(501, '5.1.3', `<${raw}>... Bad recipient address syntax`);

/** Percent hack, bang path, source route or a second '@': not for strangers, even to a local domain. */
export const rejectRoutingSyntax: Check<RcptArg> = (_session, { raw, parsed }) =>
  parsed?.routing ? reject(550, '5.7.1', `<${raw}>... Relaying denied (${parsed.routing} not allowed)`) : CONTINUE;

export const permitLocalDomain: Check<RcptArg> = (session, { parsed }, ctx) =>
  parsed && isLocalDomain(parsed.domain, session, ctx.settings, ctx.interfaces) ? { action: 'ok' } : CONTINUE;

/**
 * A domain we relay to for anyone (we are its backup MX or gateway): `To:domain
 * RELAY` in the access map, or a domain entry of `domains.relay` — Sendmail's
 * relay-domains lets mail *to* those domains (and their subdomains) through as
 * well as mail from clients in them. Routing syntax was refused just before.
 */
export const permitRelayDomain: Check<RcptArg> = (_session, { raw, parsed }, ctx) =>
  parsed && (ctx.relayNetworks.relaysTo(parsed.domain) || recipientAccess(ctx.settings, raw).relayTo) ? { action: 'relay' } : CONTINUE;

export const rejectUnauthDestination: Check<RcptArg> = (_session, { raw }) =>
  reject(550, '5.7.1', `<${raw}>... Relaying denied`);

export const RCPT_CHECKS: readonly Check<RcptArg>[] = [
  checkRecipientAccess,
  permitRelayClient,
  rejectBadSyntax,
  rejectRoutingSyntax,
  permitLocalDomain,
  permitRelayDomain,
  rejectUnauthDestination,
];

// --- connect and MAIL checks (run at RCPT instead with delay_checks) ------------

export const checkConnect: Check<null> = (session, _arg, ctx) =>
  delayed(ctx.settings) ? CONTINUE : checkClient(ctx.settings, session.client, { relayClient: isRelayClient(session, ctx) }, ctx.dns);

export const checkMail: Check<string> = (_session, sender, ctx) =>
  delayed(ctx.settings) ? CONTINUE : checkSender(ctx.settings, sender);

/**
 * With delay_checks, after the recipient itself passed: the client and sender
 * checks for this recipient (so the log names whom the rejection cost), unless
 * friend/hater spares it.
 */
export const checkDelayed: Check<RcptArg> = async (session, { raw, parsed }, ctx) => {
  if (!delayed(ctx.settings) || !parsed) return CONTINUE;
  if (!recipientGetsChecks(ctx.settings, raw, recipientAccess(ctx.settings, raw).exempt)) return CONTINUE;
  const v = await delayedChecks(ctx.settings, session, { relayClient: isRelayClient(session, ctx) }, ctx.dns);
  return v.action === 'reject' || v.action === 'tempfail' || v.action === 'discard' ? v : CONTINUE;
};

/**
 * An accepted recipient in one of our domains must exist: refuse `550 5.1.1` at
 * RCPT, as Sendmail does, instead of accepting and bouncing to a sender that is
 * often forged (backscatter). Applies to every client, trusted ones included.
 */
export const rejectUnknownLocalUser: Check<RcptArg> = async (session, { raw, parsed }, ctx) => {
  if (!ctx.verifyLocal || !parsed || !isLocalDomain(parsed.domain, session, ctx.settings, ctx.interfaces)) return CONTINUE;
  // RFC 5321 §4.5.1: postmaster must always be accepted; a missing alias shows up as a bounce instead.
  if (parsed.local.toLowerCase() === 'postmaster') return CONTINUE;
  const refusal = await ctx.verifyLocal(raw);
  return refusal ? reject(refusal.code, refusal.enhanced, refusal.text) : CONTINUE;
};

/** RCPT: the recipient checks decide acceptance; a delayed refusal can still overrule an accept. */
async function rcptVerdict(session: PolicySession, arg: RcptArg, ctx: CheckContext): Promise<Verdict> {
  const verdict = await evaluate(RCPT_CHECKS, session, arg, ctx);
  if (verdict.action === 'reject' || verdict.action === 'tempfail' || verdict.action === 'discard') return verdict;
  const unknown = await rejectUnknownLocalUser(session, arg, ctx);
  if (unknown.action !== 'continue') return unknown;
  const late = await checkDelayed(session, arg, ctx);
  return late.action === 'continue' ? verdict : late;
}

export function createPolicy(deps: PolicyDeps): SmtpPolicy {
  let relayKey = '';
  let relayNetworks = compileRelayNetworks([]);
  const context = (): CheckContext => {
    const settings = deps.settings();
    // Recompile only when the list changed (settings can be edited while running).
    const key = settings.domains.relay.join('\n');
    if (key !== relayKey) {
      relayKey = key;
      relayNetworks = compileRelayNetworks(settings.domains.relay);
    }
    return { settings, relayNetworks, ...(deps.dns ? { dns: deps.dns } : {}), ...(deps.interfaces ? { interfaces: deps.interfaces } : {}),
      ...(deps.verifyLocal ? { verifyLocal: deps.verifyLocal } : {}) };
  };
  const strip = (a: string) => (a.startsWith('<') && a.endsWith('>') ? a.slice(1, -1) : a);

  return {
    onConnect: async (session) => evaluate<null>([checkConnect], session, null, context()),
    onHelo: async (session, helo) => evaluate<string>([], session, helo, context()),
    onMailFrom: async (session, sender) => evaluate<string>([checkMail], session, strip(sender.trim()), context()),
    onRcptTo: async (session, recipient) => {
      const raw = strip(recipient.trim());
      return rcptVerdict(session, { raw, parsed: parseRecipient(raw) }, context());
    },
    mayRelay: async (session) => mayRelay(session, context()),
  };
}
