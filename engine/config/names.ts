// What a host name, a domain, a next hop and a bindable address look like, for
// the settings schema and the semantic checks (issue 11 §4): `not a host!!`,
// `foo..bar`, `-x-.com` and `999.1.1.1` are refused when they are saved, not
// when a delivery or a bind meets them hours later. Pure; imports only node:net.
import { isIP } from 'node:net';

/** RFC 1035 §2.3.4: 63 octets a label, 253 a name (without the trailing dot). */
const MAX_LABEL = 63;
const MAX_NAME = 253;
/**
 * A label: letters, digits, hyphens, not starting or ending with a hyphen
 * (RFC 952 / RFC 1123 §2.1). Underscores appear in real DNS zones (`_dmarc`,
 * some internal hosts), so they are allowed as a letter would be.
 */
const LABEL_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/** Why `name` is not a host name, or null when it is one. A trailing dot (FQDN) is fine. */
export function hostNameError(name: string): string | null {
  if (name === '') return 'empty; a host name such as mail.example.com';
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length > MAX_NAME) return `"${shown(name)}" is longer than ${MAX_NAME} characters`;
  for (const label of bare.split('.')) {
    if (label === '') return `"${shown(name)}" has an empty label (two dots in a row, or a leading dot)`;
    if (label.length > MAX_LABEL) return `"${shown(name)}" has a label longer than ${MAX_LABEL} characters`;
    if (!LABEL_RE.test(label)) {
      return /^-|-$/.test(label) && /^[A-Za-z0-9_-]+$/.test(label)
        ? `"${shown(name)}": a label may not start or end with "-"`
        : `"${shown(name)}" is not a host name (letters, digits, hyphens and dots only)`;
    }
  }
  // A dotted quad is an IP address typed without brackets (or a typo of one: 999.1.1.1).
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bare)) return `"${shown(name)}" looks like an IP address: write it as [${bare}]`;
  return null;
}

/**
 * A next hop as routes and the smart host write it: a host name, or an address
 * literal in brackets (`[10.0.0.5]`, `[::1]`, `[IPv6:2001:db8::1]`) meaning "no MX lookup".
 */
export function nextHopError(host: string): string | null {
  // A bare IP address is something to connect to as well (a smart host of 127.0.0.1).
  if (isIP(host)) return null;
  const literal = /^\[(?:IPv6:)?([^\]]*)\]$/i.exec(host);
  if (literal) return isIP(literal[1]) ? null : `"${shown(host)}": "${shown(literal[1])}" is not an IP address`;
  const e = hostNameError(host);
  return e && `${e}, or [ip-address]`;
}

/** A mailertable key: `example.com`, `.example.com` (its subdomains) or `.` (everything). */
export function routeDomainError(domain: string): string | null {
  if (domain === '.') return null;
  const e = hostNameError(domain.startsWith('.') ? domain.slice(1) : domain);
  return e && `${e} (a domain, or .domain for its subdomains)`;
}

/** An address a listener can bind: an IPv4 or IPv6 literal (`0.0.0.0`/`::` for every interface). */
export function bindAddressError(address: string): string | null {
  if (isIP(address)) return null;
  return `"${shown(address)}" is not an IP address (use 127.0.0.1 for this machine only, 0.0.0.0 or :: for every interface)`;
}

/** Error text quotes what was typed; control characters in it are shown escaped. */
function shown(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** 127.0.0.0/8 and ::1 (and their IPv4-mapped form): reachable from this machine only. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}
