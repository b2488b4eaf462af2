// Sender rewriting, as Sendmail's genericstable, MASQUERADE_AS,
// masquerade_entire_domain, masquerade_envelope and always_add_domain do it.
// Pure functions: cleanup calls rewriteSender() on the envelope sender and
// rewriteHeaders() on the header block before the message is queued.
//
// "Our" addresses (the only ones ever rewritten): unqualified names, and
// addresses at the host name, localhost, a local domain or masqueradeAs — plus
// their subdomains when masqueradeEntireDomain is on. Rules, in order:
//   1. generics: "login" or "login@ourdomain" → the table's full address (final);
//   2. masquerade: login@ourdomain → login@masqueradeAs (root stays exposed,
//      Sendmail's EXPOSED_USER default);
//   3. qualify: an unqualified name gets @masqueradeAs or @hostname.
// The envelope sender gets 1 and 2 only with masqueradeEnvelope, and is always
// qualified (RFC 5321 §4.1.2 wants a domain). Sender headers (From, Sender,
// Reply-To, Resent-From, …) get 1–3; recipient headers (To, Cc, …) are only
// qualified, and only with alwaysAddDomain. The null sender <> is never touched.
import type { Settings } from '../config/schema.ts';

export type RewriteSettings = Pick<Settings, 'hostname' | 'domains' | 'rewrite'>;

/** Sendmail's class E default: users whose addresses are never masqueraded. */
const EXPOSED_USERS = new Set(['root']);

/** Headers Sendmail treats as sender addresses (conf.c HdrInfo H_FROM). */
const SENDER_FIELDS = new Set(['from', 'sender', 'reply-to', 'errors-to', 'resent-from', 'resent-sender', 'resent-reply-to', 'return-receipt-to']);
const RECIPIENT_FIELDS = new Set(['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc', 'apparently-to']);

type Mode = 'envelope' | 'header-sender' | 'header-recipient';

/** The envelope sender (MAIL FROM) as it should leave. */
export function rewriteSender(address: string, settings: RewriteSettings): string {
  return rewriteAddress(address, settings, 'envelope');
}

/** One address as a sender header would carry it. */
export function rewriteHeaderSender(address: string, settings: RewriteSettings): string {
  return rewriteAddress(address, settings, 'header-sender');
}

function rewriteAddress(address: string, s: RewriteSettings, mode: Mode): string {
  if (address === '') return '';
  const at = address.lastIndexOf('@');
  const local = at === -1 ? address : address.slice(0, at);
  const domain = at === -1 ? null : address.slice(at + 1);
  if (local === '' || (domain !== null && !isOurs(domain, s))) return address;
  const r = s.rewrite;
  const masq = r.masqueradeAs.trim().toLowerCase();
  if (mode !== 'header-recipient' && (mode !== 'envelope' || r.masqueradeEnvelope)) {
    const generic = lookup(r.generics, domain === null ? [local] : [`${local}@${domain}`, local]);
    if (generic !== undefined) return generic;
    if (masq !== '' && !EXPOSED_USERS.has(local.toLowerCase())) return `${local}@${masq}`;
  }
  if (domain !== null) return address;
  if (mode === 'header-recipient' && !r.alwaysAddDomain) return address;
  if (mode === 'header-sender' && !r.alwaysAddDomain) return address;
  const useMasq = masq !== '' && !EXPOSED_USERS.has(local.toLowerCase()) && (mode !== 'envelope' || r.masqueradeEnvelope);
  return `${local}@${useMasq ? masq : s.hostname.toLowerCase()}`;
}

function isOurs(domain: string, s: RewriteSettings): boolean {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const ours = ['localhost', s.hostname, s.rewrite.masqueradeAs, ...s.domains.local].map((x) => x.toLowerCase()).filter((x) => x !== '');
  if (ours.includes(d)) return true;
  return s.rewrite.masqueradeEntireDomain && ours.some((o) => d.endsWith('.' + o));
}

function lookup(table: Record<string, string>, keys: string[]): string | undefined {
  for (const key of keys) {
    const k = key.toLowerCase();
    for (const [name, value] of Object.entries(table)) if (name.toLowerCase() === k) return value;
  }
  return undefined;
}

/**
 * Rewrites the address headers of a header block (CRLF or LF lines, folded or
 * not). Display names, comments and folding are kept; only addr-specs change.
 */
export function rewriteHeaders(headerBlock: string, settings: RewriteSettings): string {
  const lines = headerBlock.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const out: string[] = [];
  let field: string[] = [];
  const flush = (): void => {
    if (field.length === 0) return;
    const raw = field.join('');
    const colon = raw.indexOf(':');
    const name = colon === -1 ? '' : raw.slice(0, colon).trim().toLowerCase();
    const mode: Mode | null = SENDER_FIELDS.has(name) ? 'header-sender' : RECIPIENT_FIELDS.has(name) ? 'header-recipient' : null;
    out.push(mode ? raw.slice(0, colon + 1) + rewriteAddressList(raw.slice(colon + 1), (a) => rewriteAddress(a, settings, mode)) : raw);
    field = [];
  };
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && field.length > 0) { field.push(line); continue; }
    flush();
    field.push(line);
  }
  flush();
  return out.join('');
}

/**
 * Applies `fn` to every addr-spec of an RFC 5322 §3.4 address list, in place:
 * "Name <addr>", bare "addr (comment)", groups "team: a, b;". Quoted strings,
 * comments (nested) and backslash escapes are respected.
 */
export function rewriteAddressList(value: string, fn: (addr: string) => string): string {
  const spans: [number, number][] = [];
  let depth = 0;       // comment nesting
  let quoted = false;
  let angle = -1;      // index after '<' at top level
  let bracket = false; // domain literal
  let elemStart = 0;
  let sawAngle = false;
  const endElement = (end: number): void => {
    if (!sawAngle) {
      const span = bareSpan(value, elemStart, end);
      if (span) spans.push(span);
    }
    sawAngle = false;
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (quoted || depth > 0)) { i++; continue; }
    if (quoted) { if (c === '"') quoted = false; continue; }
    if (depth > 0) { if (c === '(') depth++; else if (c === ')') depth--; continue; }
    if (c === '"') quoted = true;
    else if (c === '(') depth = 1;
    else if (bracket) { if (c === ']') bracket = false; }
    else if (c === '[') bracket = true;
    else if (c === '<' && angle === -1) { angle = i + 1; sawAngle = true; }
    else if (c === '>' && angle !== -1) {
      // Drop an obsolete source route "@a,@b:" (RFC 5322 §4.4) from what is rewritten.
      const inner = value.slice(angle, i);
      const route = /^\s*@[^:]*:/.exec(inner);
      spans.push([angle + (route ? route[0].length : 0), i]);
      angle = -1;
    } else if (angle !== -1) continue;
    else if (c === ',' || c === ';') { endElement(i); elemStart = i + 1; }
    else if (c === ':') { elemStart = i + 1; sawAngle = false; } // a group's display name ends here
  }
  endElement(value.length);
  let out = '';
  let last = 0;
  for (const [a, b] of spans) {
    const addr = value.slice(a, b).trim();
    if (addr === '') continue;
    const lead = value.slice(a, b).indexOf(addr);
    out += value.slice(last, a + lead) + fn(addr);
    last = a + lead + addr.length;
  }
  return out + value.slice(last);
}

/** The addr-spec of an element without angle brackets: its text minus comments and space. */
function bareSpan(value: string, start: number, end: number): [number, number] | null {
  let a = start;
  let b = end;
  for (;;) {
    while (a < b && /\s/.test(value[a])) a++;
    if (value[a] === '(') a = skipComment(value, a); else break;
  }
  for (;;) {
    while (b > a && /\s/.test(value[b - 1])) b--;
    if (value[b - 1] === ')') {
      const open = commentStart(value, a, b - 1);
      if (open === -1) break;
      b = open;
    } else break;
  }
  const text = value.slice(a, b);
  // Whitespace outside quotes means this is not a single addr-spec (e.g. a name without an address).
  if (text === '' || /\s/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, ''))) return null;
  return [a, b];
}

function skipComment(value: string, i: number): number {
  let depth = 0;
  for (; i < value.length; i++) {
    if (value[i] === '\\') { i++; continue; }
    if (value[i] === '(') depth++;
    else if (value[i] === ')' && --depth === 0) return i + 1;
  }
  return value.length;
}

function commentStart(value: string, from: number, close: number): number {
  let depth = 0;
  for (let i = close; i >= from; i--) {
    if (value[i] === ')') depth++;
    else if (value[i] === '(' && --depth === 0) return i;
  }
  return -1;
}
