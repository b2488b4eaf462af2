// DNS block lists (Sendmail FEATURE(dnsbl) / FEATURE(enhdnsbl), `antispam.dnsbl`):
// is this client's address listed in a zone? The query name is the address
// reversed in the zone (RFC 5782 §2.1: octets for IPv4, nibbles for IPv6); an A
// answer means listed, NXDOMAIN means not. What counts as listed can be narrowed
// to answer codes (`match`, enhdnsbl style: "127.0.0.2" exactly, "127.0.0." as a
// prefix). A failed lookup is "not listed" unless the list asks for a temp-fail.
// Answers questions through engine/dns; never caches, never writes.
import { isIP } from 'node:net';
import type { Settings } from '../config/schema.ts';
import { DnsError, type Dns } from '../dns/resolver.ts';
import { bareIp } from '../config/access-map.ts';
import type { Verdict } from './types.ts';
import type { DnsblList, DnsblResult } from '../types/security.ts';

export type { DnsblList, DnsblResult } from '../types/security.ts';

/** RFC 5782 §2.1/§2.4: 192.0.2.99 → 99.2.0.192.zone; IPv6 as 32 reversed nibbles. */
export function dnsblQueryName(ip: string, zone: string): string {
  const addr = bareIp(ip);
  const z = zone.replace(/\.$/, '');
  if (isIP(addr) === 4) return `${addr.split('.').reverse().join('.')}.${z}`;
  if (isIP(addr) === 6) return `${expandIpv6(addr).split('').reverse().join('.')}.${z}`;
  throw new Error(`not an IP address: ${ip}`);
}

/** "2001:db8::1" → 32 hex digits. */
function expandIpv6(ip: string): string {
  const [head, tail] = ip.toLowerCase().includes('::') ? ip.toLowerCase().split('::') : [ip.toLowerCase(), undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

/** Does an answer count as listed? No `match` = any 127.0.0.x (RFC 5782 §2.3 return codes). */
export function answerMatches(answer: string, match: readonly string[]): boolean {
  if (match.length === 0) return answer.startsWith('127.0.0.');
  return match.some((m) => (m.endsWith('.') ? answer.startsWith(m) : answer === m));
}

/** Look one address up in one list. Never throws for DNS trouble: that is status 'error'. */
export async function lookupDnsbl(ip: string, list: DnsblList, dns: Dns): Promise<DnsblResult> {
  const query = dnsblQueryName(ip, list.zone);
  const base = { zone: list.zone, query };
  let answers: string[];
  try {
    answers = await dns.resolve4(query);
  } catch (err) {
    if (!(err instanceof DnsError)) throw err;
    if (err.kind === 'temporary') return { ...base, status: 'error', answers: [], error: err.code };
    return { ...base, status: 'not-listed', answers: [] };
  }
  if (!answers.some((a) => answerMatches(a, list.match))) return { ...base, status: 'not-listed', answers };
  let reason: string | undefined;
  try {
    reason = (await dns.resolveTxt(query)).join(' ') || undefined;
  } catch (err) {
    if (!(err instanceof DnsError)) throw err; // no TXT is normal; the A answer decides
  }
  return { ...base, status: 'listed', answers, ...(reason ? { reason } : {}) };
}

/** Sendmail's macro expansion in dnsbl messages: $&{client_addr} and $&{zone} (also without &). */
export function expandDnsblMessage(message: string, ip: string, zone: string): string {
  return message
    .replace(/\$&?\{client_addr\}/g, bareIp(ip))
    .replace(/\$&?\{zone\}/g, zone);
}

/**
 * The DNSBL verdict for a client: the first list that lists it rejects (550 5.7.1
 * with the list's message); a lookup failure on a list with `tempfail` answers
 * 451 4.7.1 (Sendmail's "Temporary lookup failure"), otherwise that list is skipped.
 * Lists are asked one after another, in the configured order (the first decides).
 */
export async function dnsblVerdict(ip: string, lists: readonly DnsblList[], dns: Dns): Promise<{ verdict: Verdict; results: DnsblResult[] }> {
  const results: DnsblResult[] = [];
  if (!isIP(bareIp(ip))) return { verdict: { action: 'continue' }, results };
  for (const list of lists) {
    const r = await lookupDnsbl(ip, list, dns);
    results.push(r);
    if (r.status === 'listed') {
      return { verdict: { action: 'reject', code: 550, enhanced: '5.7.1', text: expandDnsblMessage(list.message, ip, list.zone) }, results };
    }
    if (r.status === 'error' && list.tempfail) {
      return {
        verdict: { action: 'tempfail', code: 451, enhanced: '4.7.1', text: `Temporary lookup failure of ${bareIp(ip)} at ${list.zone}` },
        results,
      };
    }
  }
  return { verdict: { action: 'continue' }, results };
}

/** The console's *Test lookup*: every list's answer for one address, nothing decided. */
export async function testDnsbl(ip: string, lists: readonly DnsblList[], dns: Dns): Promise<DnsblResult[]> {
  if (!isIP(bareIp(ip))) throw new Error(`not an IP address: ${ip}`);
  return Promise.all(lists.map((l) => lookupDnsbl(ip, l, dns)));
}
