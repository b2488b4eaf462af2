// MX selection: which hosts to try, in which order, for one SMTP nexthop.
// RFC 5321 §5.1: MX by preference, equal preferences in random order, the
// domain's own A/AAAA as an implicit MX when it has no MX; RFC 7505 null MX
// ("0 .") means the domain accepts no mail. A nexthop in brackets ("[10.0.0.5]",
// "[relay.example]") skips the MX lookup, as in Sendmail's mailertable and
// SMART_HOST. This module only answers the question; it never connects.
import { isIP } from 'node:net';
import { DnsError, type Dns } from '../dns/resolver.ts';

export interface MailHost {
  /** Host name as found in DNS (no trailing dot), or the IP for a literal. */
  name: string;
  /** MX preference; 0 for implicit MX and literals. */
  preference: number;
  /** Known addresses (IP literals); otherwise resolved when it is this host's turn. */
  addresses?: string[];
}

/** Not a list of hosts: the recipients' fate, decided by DNS alone. */
export interface MailHostFailure {
  status: 'bounced' | 'deferred';
  dsnStatus: string;
  reply: string;
}

export type MailHostResult = { ok: true; hosts: MailHost[] } | ({ ok: false } & MailHostFailure);

export interface FindOptions {
  /** Randomness for shuffling ties (tests inject a fixed one). */
  random?: () => number;
  /**
   * Our own host name: RFC 5321 §5.1 — when we are one of the domain's MX hosts,
   * only hosts with a lower preference than ours may be used.
   */
  self?: string;
}

const stripDot = (name: string): string => name.replace(/\.$/, '');

/** "[1.2.3.4]" → "1.2.3.4"; "[host]" → "host"; anything else → null. */
export function bracketed(nexthop: string): string | null {
  const m = /^\[(.+)\]$/.exec(nexthop.trim());
  return m ? m[1] : null;
}

export async function findMailHosts(nexthop: string, dns: Dns, opts: FindOptions = {}): Promise<MailHostResult> {
  const random = opts.random ?? Math.random;
  const inside = bracketed(nexthop);
  if (inside !== null) {
    // Literal address: nothing to look up. A bracketed name: A/AAAA only, no MX.
    return isIP(inside)
      ? { ok: true, hosts: [{ name: inside, preference: 0, addresses: [inside] }] }
      : { ok: true, hosts: [{ name: stripDot(inside), preference: 0 }] };
  }
  const domain = stripDot(nexthop.trim()).toLowerCase();
  if (isIP(domain)) return { ok: true, hosts: [{ name: domain, preference: 0, addresses: [domain] }] };

  let records;
  try {
    records = await dns.resolveMx(domain);
  } catch (err) {
    if (!(err instanceof DnsError)) throw err;
    if (err.kind === 'nodata') {
      // RFC 5321 §5.1: no MX → the domain itself is the implicit MX (when it has an address;
      // smtp.ts finds that out when it resolves the host, and bounces if there is none).
      return { ok: true, hosts: [{ name: domain, preference: 0 }] };
    }
    return dnsFailure(err, domain);
  }

  // RFC 7505 §3: a single MX with an empty exchange ("." on the wire) is a null MX.
  if (records.some((r) => stripDot(r.exchange) === '')) {
    if (records.length === 1) {
      return { ok: false, status: 'bounced', dsnStatus: '5.1.10', reply: `Domain ${domain} does not accept mail (null MX)` };
    }
    // §3: a null MX mixed with real ones is a misconfiguration; use the real ones.
    records = records.filter((r) => stripDot(r.exchange) !== '');
  }
  if (records.length === 0) return { ok: true, hosts: [{ name: domain, preference: 0 }] };

  let hosts = order(records.map((r) => ({ name: stripDot(r.exchange).toLowerCase(), preference: r.priority })), random);
  const self = opts.self ? stripDot(opts.self).toLowerCase() : '';
  const mine = hosts.find((h) => h.name === self);
  if (mine) {
    hosts = hosts.filter((h) => h.preference < mine.preference);
    if (hosts.length === 0) {
      // Sendmail: "MX list for <domain> points back to <host>" (554 5.3.5): a loop, not a delay.
      return { ok: false, status: 'bounced', dsnStatus: '5.3.5', reply: `MX list for ${domain}. points back to ${self}` };
    }
  }
  return { ok: true, hosts };
}

/** Sort by preference; shuffle each group of equal preference (RFC 5321 §5.1). */
export function order(hosts: MailHost[], random: () => number = Math.random): MailHost[] {
  const byPref = new Map<number, MailHost[]>();
  for (const h of hosts) byPref.set(h.preference, [...(byPref.get(h.preference) ?? []), h]);
  const out: MailHost[] = [];
  for (const pref of [...byPref.keys()].sort((a, b) => a - b)) {
    const group = byPref.get(pref)!;
    // Fisher–Yates: every order equally likely.
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [group[i], group[j]] = [group[j], group[i]];
    }
    out.push(...group);
  }
  return out;
}

/** What an unusable DNS answer means for the recipients, in Sendmail's words. */
export function dnsFailure(err: DnsError, domain: string): { ok: false } & MailHostFailure {
  if (err.kind === 'nxdomain') {
    return { ok: false, status: 'bounced', dsnStatus: '5.1.2', reply: `Host unknown (Name server: ${domain}.: host not found)` };
  }
  if (err.kind === 'nodata') {
    return { ok: false, status: 'bounced', dsnStatus: '5.1.2', reply: `Host unknown (Name server: ${domain}.: no data known)` };
  }
  return { ok: false, status: 'deferred', dsnStatus: '4.4.3', reply: `Name server: ${domain}.: host name lookup failure` };
}
