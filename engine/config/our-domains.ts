// "Is this domain ours?" — Sendmail's class $=w, in one place. Policy (may a
// stranger send to it?) and resolve (deliver here or send out?) must give the
// same answer: if policy accepts a domain that resolve sends out by SMTP, mail
// to it goes to ourselves and loops (postmaster@[our public IP]).
// Ours: domains.local, the domains of virtual users (`virtual` keys), the host
// name, localhost, and our own address literals
// (RFC 5321 §4.1.3) — loopback, listen.address when it names one address, and
// every interface address of this machine when listening on 0.0.0.0 / ::
// (Sendmail puts [ip] of each interface into $=w the same way).
// Pure apart from reading the interface table; never does DNS.
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Settings } from './schema.ts';

/** The interface table, injectable so tests can play a machine with a public address. */
export type InterfaceTable = () => ReturnType<typeof networkInterfaces>;

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** "::ffff:192.0.2.1" → "192.0.2.1": a socket may report either form of one address. */
function bare(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** Is this IP address (no brackets) one of ours? BlockList compares numerically, so "0:0::1" = "::1". */
export function isOurAddress(ip: string, settings: Settings, interfaces: InterfaceTable = networkInterfaces): boolean {
  const a = bare(ip);
  const family = isIP(a);
  if (!family) return false;
  const ours = new BlockList();
  // All of 127.0.0.0/8 is this machine (RFC 1122 §3.2.1.3); ::1 likewise (RFC 4291 §2.5.3).
  ours.addSubnet('127.0.0.0', 8, 'ipv4');
  ours.addAddress('::1', 'ipv6');
  const listen = bare(settings.listen.address.trim());
  if (!WILDCARDS.has(listen)) {
    if (isIP(listen)) ours.addAddress(listen, isIP(listen) === 4 ? 'ipv4' : 'ipv6');
  } else {
    for (const list of Object.values(interfaces())) {
      for (const i of list ?? []) ours.addAddress(bare(i.address), isIP(bare(i.address)) === 4 ? 'ipv4' : 'ipv6');
    }
  }
  return ours.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Is mail for this domain (lower- or mixed-case, trailing dot allowed) delivered
 * here? An address literal "[192.0.2.1]" / "[IPv6:2001:db8::1]" is ours when its
 * address is (isOurAddress).
 */
export function isOurDomain(domain: string, settings: Settings, interfaces: InterfaceTable = networkInterfaces): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (d.startsWith('[') && d.endsWith(']')) return isOurAddress(d.slice(1, -1).replace(/^ipv6:/, ''), settings, interfaces);
  if (d === 'localhost' || d === 'localhost.localdomain') return true;
  if (d === settings.hostname.toLowerCase().replace(/\.$/, '')) return true;
  if (settings.domains.local.some((l) => l.toLowerCase().replace(/\.$/, '') === d)) return true;
  // Virtual domains (keys of `virtual`) are ours too, as Postfix's virtual_alias_domains.
  return virtualDomains(settings).has(d);
}

/** Domains named by virtual keys: mail for them is ours (Postfix virtual_alias_domains). */
export function virtualDomains(settings: Pick<Settings, 'virtual'>): Set<string> {
  const out = new Set<string>();
  for (const key of Object.keys(settings.virtual ?? {})) {
    const at = key.lastIndexOf('@');
    if (at >= 0) out.add(key.slice(at + 1).toLowerCase().replace(/\.$/, ''));
  }
  return out;
}
