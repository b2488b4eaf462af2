// Who counts as "us" and who may relay: the local machine, and the networks and
// client domains listed in `domains.relay` (Sendmail's relay-domains, Postfix's
// mynetworks). Answers questions; never does I/O (no DNS: a client's host name
// only counts when smtpd already knows it).
import { BlockList, isIP } from 'node:net';
import type { ClientInfo } from '../contracts.ts';
import { bareIp } from '../config/access-map.ts';
import { inDomain } from './address.ts';

/**
 * The local machine: loopback 127.0.0.1 and ::1, plus the address the client
 * connected to (a client talking to us from our own address is on this host).
 * Deliberately not all of 127.0.0.0/8: other loopback addresses play strangers in
 * tests, and a container or proxy may map foreign traffic onto them.
 */
export function isLocalMachine(client: ClientInfo, localAddress: string): boolean {
  const a = bareIp(client.address);
  return a === '127.0.0.1' || a === '::1' || (a !== '' && a === bareIp(localAddress));
}

export interface RelayNetworks {
  /** Does this client's address or known host name match an entry of domains.relay? */
  matches(client: ClientInfo): boolean;
  /**
   * Is this recipient domain (lower-case) one of the domain entries or below one?
   * Mail to it is relayed for anyone (Sendmail relay-domains: we are its backup MX
   * or gateway). Address literals never match: entries are names or networks.
   */
  relaysTo(domain: string): boolean;
}

/**
 * Compile `domains.relay`: "192.168.0.0/24" and "2001:db8::/32" are networks,
 * "10.0.0.5" an address (clients that may relay); anything else a domain: clients
 * whose host name is in it may relay, and mail to it (and its subdomains) is relayed
 * for anyone (`relaysTo`). Entries that are neither are ignored here;
 * the settings schema is where bad entries get reported.
 */
export function compileRelayNetworks(entries: readonly string[]): RelayNetworks {
  const list = new BlockList();
  const domains: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const ip = entry.slice(0, slash);
      const prefix = Number(entry.slice(slash + 1));
      const family = isIP(ip);
      if (family && Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128)) {
        list.addSubnet(ip, prefix, family === 4 ? 'ipv4' : 'ipv6');
      }
    } else if (isIP(entry)) {
      list.addAddress(entry, isIP(entry) === 4 ? 'ipv4' : 'ipv6');
    } else if (entry) {
      domains.push(entry.toLowerCase().replace(/^\./, '').replace(/\.$/, ''));
    }
  }
  return {
    matches(client) {
      const ip = bareIp(client.address);
      const family = isIP(ip);
      if (family && list.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return true;
      const host = client.hostname?.toLowerCase().replace(/\.$/, '');
      return !!host && domains.some((d) => inDomain(host, d));
    },
    relaysTo(domain) {
      const d = domain.toLowerCase().replace(/\.$/, '');
      return d !== '' && !d.startsWith('[') && domains.some((p) => inDomain(d, p));
    },
  };
}
