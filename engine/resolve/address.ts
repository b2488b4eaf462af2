// Address syntax for the resolve stage: split an envelope address into local part
// and domain, and decide whether a domain is ours. Pure functions; no I/O beyond
// reading this machine's interface table (our-domains.ts).
import type { Settings } from '../config/schema.ts';
import { isOurDomain } from '../config/our-domains.ts';

export interface ParsedAddress {
  /** Local part as given (case kept: RFC 5321 §2.4 says only the final host may fold it). */
  local: string;
  /** Lower-cased domain without a trailing dot; null for an unqualified address ("alice"). */
  domain: string | null;
}

const DOMAIN_RE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
/** RFC 5321 §4.1.3 address literal: [1.2.3.4] or [IPv6:...]. */
const LITERAL_RE = /^\[(?:ipv6:)?[0-9a-f:.]+\]$/;

/** Parses "alice", "alice@Example.COM", "<alice@example.com>", '"a b"@x'. */
export function parseAddress(input: string): ParsedAddress | { error: string } {
  let s = input.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1).trim();
  // RFC 5321 §4.1.2: a source route "@a,@b:user@c" must be accepted and should be ignored.
  s = s.replace(/^@[^:]*:/, '');
  if (s === '') return { error: 'empty address' };
  const at = s.lastIndexOf('@');
  if (at === -1) return checkLocal(s, null);
  const local = s.slice(0, at);
  const domain = s.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (!DOMAIN_RE.test(domain) && !LITERAL_RE.test(domain)) return { error: `bad domain "${s.slice(at + 1)}"` };
  return checkLocal(local, domain);
}

function checkLocal(local: string, domain: string | null): ParsedAddress | { error: string } {
  if (local === '') return { error: 'empty local part' };
  const quoted = local.startsWith('"') && local.endsWith('"') && local.length >= 2;
  if (!quoted && /[\s<>(),;:\\"[\]]/.test(local)) return { error: `bad local part "${local}"` };
  return { local, domain };
}

export function formatAddress(a: ParsedAddress): string {
  return a.domain === null ? a.local : `${a.local}@${a.domain}`;
}

/**
 * Sendmail's class $=w: the host name, "localhost", `domains.local`
 * (local-host-names) and our own address literals. Mail for these is delivered
 * here. The same function policy asks (engine/config/our-domains.ts), so what
 * smtpd accepts as local is what gets delivered locally.
 */
export function isLocalDomain(domain: string, settings: Settings): boolean {
  return isOurDomain(domain, settings);
}

/** Case-insensitive lookup in a settings table (aliases, forwards): local parts fold here. */
export function lookupFolded<T>(table: Record<string, T>, key: string): T | undefined {
  const k = key.toLowerCase();
  if (Object.prototype.hasOwnProperty.call(table, k)) return table[k];
  for (const [name, value] of Object.entries(table)) if (name.toLowerCase() === k) return value;
  return undefined;
}
