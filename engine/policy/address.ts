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

/**
 * Why `address` (without <>) cannot stand in an envelope, or null when it can. For
 * local submission (sendmail -f, recipients, -bs, the control socket's submit):
 * what a local program hands over is refused at once with this text, rather than
 * queued and failing forever at the first relay. Accepts what RFC 5321 §4.1.2 and
 * RFC 6531 allow: a dot-atom or quoted local part (UTF-8 allowed), a domain of
 * LDH/UTF-8 labels or an address literal, and a bare local name that cleanup
 * qualifies with our host name. '' is the null sender (the caller decides if allowed).
 */
export function addressSyntaxError(address: string): string | null {
  if (address.length > 320) return 'longer than 320 characters';
  if (/[\x00-\x1f\x7f]/.test(address)) return 'contains a control character (newline, tab, NUL …)';
  const at = address.lastIndexOf('@');
  const local = at === -1 ? address : address.slice(0, at);
  const domain = at === -1 ? null : address.slice(at + 1);
  if (!local) return 'has no local part before the @';
  if (!LOCAL_PART.test(local)) return `local part "${local}" is not a valid name (RFC 5321 §4.1.2)`;
  if (domain !== null) {
    if (!domain) return 'has nothing after the @';
    if (!DOMAIN.test(domain) && !ADDRESS_LITERAL.test(domain)) return `"${domain}" is not a valid domain`;
  }
  return null;
}

/** Dot-atom (RFC 5322 atext, plus UTF-8 per RFC 6531) or a quoted string. */
const LOCAL_PART = /^(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+)*|"(?:[^"\\]|\\.)*")$/;
/** Labels of letters, digits and hyphens (UTF-8 allowed), not starting or ending with a hyphen; a trailing dot is tolerated. */
const DOMAIN = /^(?:[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\-\u0080-\uffff]{0,61}[A-Za-z0-9\u0080-\uffff])?\.)*[A-Za-z0-9\u0080-\uffff](?:[A-Za-z0-9\-\u0080-\uffff]{0,61}[A-Za-z0-9\u0080-\uffff])?\.?$/;
/** RFC 5321 §4.1.3 address literal: [192.0.2.1] or [IPv6:...]. */
const ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;
