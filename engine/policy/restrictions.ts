// The anti-spam restrictions of issue 6, as checks for the policy's lists:
// the access map's Connect:/From:/To: lookups, the DNS block lists, and
// Sendmail's delay_checks (connect and sender checks run at RCPT time, per
// recipient, so a rejection names the recipient it cost; `friend` recipients
// are spared them, or with `hater` only haters get them).
// Answers questions (DNS lookups through engine/dns); never writes.
import type { Settings } from '../config/schema.ts';
import type { ClientInfo } from '../contracts.ts';
import type { Dns } from '../dns/resolver.ts';
import { accessMapOf, verdictOf } from '../config/access-map.ts';
import { dnsblVerdict } from './dnsbl.ts';
import type { PolicySession, Verdict } from './types.ts';

const CONTINUE: Verdict = { action: 'continue' };
const decisive = (v: Verdict) => v.action !== 'continue';

/** Clients the block lists never judge: they were let in on purpose. */
export interface TrustedClient {
  /** Local machine, relay network/domain or authenticated user (the policy's mayRelay). */
  relayClient: boolean;
}

/**
 * Sendmail's check_relay: `Connect:` in the access map, then the DNS block lists.
 * A Connect: OK or RELAY exempts the client from the lists (the seeds' advice:
 * put your own address in as OK), and so do our own relay clients.
 */
export async function checkClient(settings: Settings, client: ClientInfo, trusted: TrustedClient, dns: Dns | undefined): Promise<Verdict> {
  const action = accessMapOf(settings).connect(client);
  if (action) {
    const v = verdictOf(action, `[${client.address}]`);
    if (v.action === 'reject' || v.action === 'tempfail' || v.action === 'discard') return v;
    if (v.action === 'ok' || v.action === 'relay') return v;
  }
  if (trusted.relayClient || !dns || settings.antispam.dnsbl.length === 0) return CONTINUE;
  return (await dnsblVerdict(client.address, settings.antispam.dnsbl, dns)).verdict;
}

/** Does `Connect:` RELAY give this client relay rights? */
export function connectRelays(settings: Settings, client: ClientInfo): boolean {
  return accessMapOf(settings).connect(client)?.kind === 'RELAY';
}

/**
 * Sendmail's check_mail: `From:` in the access map. The null sender is never
 * looked up (bounces must get through). RELAY on a sender grants nothing beyond
 * OK: a sender address is the client's claim, not its identity.
 */
export function checkSender(settings: Settings, sender: string): Verdict {
  if (!sender) return CONTINUE;
  const action = accessMapOf(settings).from(sender);
  if (!action) return CONTINUE;
  const v = verdictOf(action, `<${sender}>`);
  return v.action === 'relay' ? { action: 'ok' } : v;
}

/** `To:` in the access map: REJECT/ERROR/DISCARD refuse, RELAY opens the domain for relaying, OK marks the recipient spam-exempt. */
export function recipientAccess(settings: Settings, recipient: string): { verdict: Verdict; relayTo: boolean; exempt: boolean } {
  const action = accessMapOf(settings).to(recipient);
  if (!action) return { verdict: CONTINUE, relayTo: false, exempt: false };
  const v = verdictOf(action, `<${recipient}>`);
  if (v.action === 'reject' || v.action === 'tempfail' || v.action === 'discard') return { verdict: v, relayTo: false, exempt: false };
  return { verdict: CONTINUE, relayTo: v.action === 'relay', exempt: v.action === 'ok' };
}

/** Are connect/sender checks delayed to RCPT (delay_checks)? */
export const delayed = (settings: Settings) => settings.antispam.delayChecks !== 'off';

/** With delay_checks: does this recipient get the delayed checks? */
export function recipientGetsChecks(settings: Settings, recipient: string, exempt: boolean): boolean {
  const mode = settings.antispam.delayChecks;
  const spam = accessMapOf(settings).spam(recipient);
  if (mode === 'friend') return !exempt && spam !== 'FRIEND';
  if (mode === 'hater') return spam === 'HATER';
  return !exempt;
}

/**
 * The delayed checks for one recipient: the client's, then the sender's. An `ok`
 * from the client check (Connect: OK) still lets the sender check speak, as in
 * Sendmail where check_mail runs independently of check_relay.
 */
export async function delayedChecks(settings: Settings, session: PolicySession, trusted: TrustedClient, dns: Dns | undefined): Promise<Verdict> {
  const client = await checkClient(settings, session.client, trusted, dns);
  if (decisive(client) && client.action !== 'ok' && client.action !== 'relay') return client;
  const sender = checkSender(settings, session.sender ?? '');
  if (decisive(sender) && sender.action !== 'ok') return sender;
  return CONTINUE;
}
