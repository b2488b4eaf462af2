// The SMTP policy: what smtpd asks at connect, HELO, MAIL and RCPT. Each step is
// a list of small checks evaluated left to right like a Postfix restriction list
// (STYLE.md §4): the first verdict other than `continue` decides. This first
// version is relay control only (DESIGN.md: "Nothing relays for a stranger,
// whatever the address looks like"); issue 6 adds access maps, DNSBL and AUTH
// rules by putting more checks into these lists. Answers questions; never writes.
import type { Settings } from '../config/schema.ts';
import type { Dns } from '../dns/resolver.ts';
import type { PolicySession, SmtpPolicy, Verdict } from './types.ts';
import { addressLiteral, parseRecipient, type ParsedRecipient } from './address.ts';
import { compileRelayNetworks, isLocalMachine, type RelayNetworks } from './networks.ts';

export interface PolicyDeps {
  settings: () => Settings;
  /** Unused until the DNSBL checks arrive (issue 6). */
  dns?: Dns;
}

/** What every check may look at, computed once per question. */
export interface CheckContext {
  settings: Settings;
  relayNetworks: RelayNetworks;
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

/** May this client send mail anywhere? Local machine, domains.relay, or an authenticated user. */
export function mayRelay(session: PolicySession, ctx: CheckContext): boolean {
  const { client } = session;
  return isLocalMachine(client, session.localAddress) || !!client.user || ctx.relayNetworks.matches(client);
}

/** Is this domain one we receive mail for (Sendmail's class w)? */
export function isLocalDomain(domain: string, session: PolicySession, settings: Settings): boolean {
  if (domain === '') return true; // the bare postmaster (RFC 5321 §4.1.1.3)
  if (domain === settings.hostname.toLowerCase() || domain === 'localhost') return true;
  if (domain.startsWith('[')) return domain === addressLiteral(session.localAddress).toLowerCase();
  return settings.domains.local.some((d) => d.toLowerCase().replace(/\.$/, '') === domain);
}

// --- RCPT TO checks, in order -------------------------------------------------

export const permitRelayClient: Check<RcptArg> = (session, _arg, ctx) =>
  mayRelay(session, ctx) ? { action: 'relay' } : CONTINUE;

export const rejectBadSyntax: Check<RcptArg> = (_session, { raw, parsed }) =>
  parsed ? CONTINUE : reject(501, '5.1.3', `<${raw}>... Bad recipient address syntax`);

/** Percent hack, bang path, source route or a second '@': not for strangers, even to a local domain. */
export const rejectRoutingSyntax: Check<RcptArg> = (_session, { raw, parsed }) =>
  parsed?.routing ? reject(550, '5.7.1', `<${raw}>... Relaying denied (${parsed.routing} not allowed)`) : CONTINUE;

export const permitLocalDomain: Check<RcptArg> = (session, { parsed }, ctx) =>
  parsed && isLocalDomain(parsed.domain, session, ctx.settings) ? { action: 'ok' } : CONTINUE;

export const rejectUnauthDestination: Check<RcptArg> = (_session, { raw }) =>
  reject(550, '5.7.1', `<${raw}>... Relaying denied`);

export const RCPT_CHECKS: readonly Check<RcptArg>[] = [
  permitRelayClient,
  rejectBadSyntax,
  rejectRoutingSyntax,
  permitLocalDomain,
  rejectUnauthDestination,
];

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
    return { settings, relayNetworks };
  };
  const strip = (a: string) => (a.startsWith('<') && a.endsWith('>') ? a.slice(1, -1) : a);

  return {
    onConnect: async (session) => evaluate<null>([], session, null, context()),
    onHelo: async (session, helo) => evaluate<string>([], session, helo, context()),
    onMailFrom: async (session, sender) => evaluate<string>([], session, sender, context()),
    onRcptTo: async (session, recipient) => {
      const raw = strip(recipient.trim());
      return evaluate(RCPT_CHECKS, session, { raw, parsed: parseRecipient(raw) }, context());
    },
  };
}
