// mailauth's DNS resolver function, answered by the engine's one DNS client
// (engine/dns/resolver.ts), so SPF, DKIM key, DMARC and ARC lookups go to
// `dns.servers` with `dns.timeout` like every other lookup (and to the loopback
// DNS server in tests). Errors keep the resolver's code (ENOTFOUND, ENODATA,
// ETIMEOUT, ESERVFAIL, ...), which is how mailauth tells "no record" (none /
// neutral) from "ask again later" (temperror). Never caches, never writes.
import type { Dns } from '../dns/resolver.ts';
import { DnsError } from '../dns/resolver.ts';

/** The shape mailauth calls: dns.promises.resolve(name, rrtype). */
export type MailauthResolver = (name: string, rrtype: string) => Promise<any>;

export function mailauthResolver(dns: Dns): MailauthResolver {
  return async (name, rrtype) => {
    switch (rrtype.toUpperCase()) {
      // Our client joins each record's strings; mailauth joins them too, so one string per record is the same answer.
      case 'TXT': return (await dns.resolveTxt(name)).map((t) => [t]);
      case 'A': return dns.resolve4(name);
      case 'AAAA': return dns.resolve6(name);
      case 'MX': return dns.resolveMx(name);
      case 'PTR': {
        const ip = ipOfReverseName(name);
        if (!ip) throw new DnsError('nxdomain', name, 'ENOTFOUND');
        return dns.reverse(ip);
      }
      // SPF's old RR type 99 and anything else: "no such record" (RFC 7208 §3.1 dropped type 99).
      default: throw new DnsError('nodata', name, 'ENODATA');
    }
  };
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; an ip6.arpa nibble name → the IPv6 address; else null. */
export function ipOfReverseName(name: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p)) ? parts.reverse().join('.') : null;
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return null;
    const hex = nibbles.reverse().join('');
    return hex.match(/.{4}/g)!.join(':');
  }
  return null;
}
