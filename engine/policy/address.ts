// Recipient address anatomy for relay control: which domain does a path really
// name, and does it carry an old routing syntax that another MTA could honour
// behind our back (percent hack, bang path, source route, extra '@')? Sendmail's
// check_rcpt and Postfix's reject_unauth_destination refuse these for strangers
// because "user%victim.example@ourdomain" becomes relaying after a rewrite.
// Pure functions; never does I/O.

export interface ParsedRecipient {
  /** Local part as given (quotes removed). */
  local: string;
  /** Lower-cased domain without a trailing dot; '' for the bare `postmaster` (RFC 5321 §4.1.1.3). */
  domain: string;
  /** Why this address must not be accepted from a client without relay rights, if it must not. */
  routing?: 'source route' | 'percent hack' | 'bang path' | 'extra @' | 'no domain';
}

/**
 * Parse an RCPT TO path (with or without <>). A source route "@a,@b:user@c"
 * (RFC 5321 §4.1.1.3 / Appendix C) is recognised and flagged; null = unparseable.
 */
export function parseRecipient(path: string): ParsedRecipient | null {
  let addr = path.trim();
  if (addr.startsWith('<') && addr.endsWith('>')) addr = addr.slice(1, -1);
  let routing: ParsedRecipient['routing'];
  const route = /^@[^:]*:/.exec(addr);
  if (route) {
    routing = 'source route';
    addr = addr.slice(route[0].length);
  }
  if (!addr) return null;
  const at = addr.lastIndexOf('@');
  if (at === -1) return routingFor({ local: addr, domain: '' }, routing);
  let local = addr.slice(0, at);
  const domain = addr.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (!local || !domain) return null;
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) {
    local = local.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return routingFor({ local, domain }, routing);
}

function routingFor(p: ParsedRecipient, routing: ParsedRecipient['routing']): ParsedRecipient {
  if (routing) return { ...p, routing };
  if (p.local.includes('@')) return { ...p, routing: 'extra @' };
  if (p.local.includes('%')) return { ...p, routing: 'percent hack' };
  if (p.local.includes('!')) return { ...p, routing: 'bang path' };
  // A domainless address other than postmaster is a name some MTA would qualify
  // with *its* domain: not ours to accept from strangers.
  if (!p.domain && p.local.toLowerCase() !== 'postmaster') return { ...p, routing: 'no domain' };
  return p;
}

/** Is `domain` (lower-case) equal to or below `parent`? */
export function inDomain(domain: string, parent: string): boolean {
  const p = parent.toLowerCase().replace(/^\./, '').replace(/\.$/, '');
  return domain === p || domain.endsWith('.' + p);
}
