// The access map (Sendmail's /etc/mail/access, `settings.access`): parse, validate
// and look up rules keyed by a tag and a client or address.
//
//   Connect:192.168.1.10 RELAY      Connect:10.0.0.0/8 OK       Connect:spam.example REJECT
//   From:spammer@example.com REJECT From:example.net DISCARD    From:postmaster@ OK
//   To:partner.example RELAY        To:gone@example.com ERROR:"550 5.1.1 User has moved"
//   Srv_Features:192.168.1 V        Srv_Features: S             Try_TLS:broken.example NO
//   Spam:abuse@example.com FRIEND   (delay_checks: this recipient gets everything)
//
// Lookup order follows Sendmail's (cf/README "access database"): the most specific
// key wins — a full IP before its shorter prefixes/networks, a host before its parent
// domains, `user@domain` before `domain` before `user@`. A tagged key is looked up
// before the same key without a tag (old-style access maps have no tags).
// Answers questions; never does I/O and never resolves names.
import { isIP } from 'node:net';
import type { FieldError } from '../contracts.ts';
import type { Settings } from './schema.ts';
import type { ClientInfo, Verdict } from '../contracts.ts';

export type AccessTag = 'Connect' | 'From' | 'To' | 'Srv_Features' | 'Try_TLS' | 'Spam' | '';
const TAGS: readonly AccessTag[] = ['Connect', 'From', 'To', 'Srv_Features', 'Try_TLS', 'Spam'];

/** Actions a Connect/From/To rule may carry. */
export type AccessAction =
  | { kind: 'OK' | 'RELAY' | 'REJECT' | 'DISCARD' | 'SKIP' }
  | { kind: 'ERROR'; code: number; enhanced: string; text: string };

/** What a key names: an IPv4/IPv6 network (exact address = full-length prefix), a domain, an address. */
type Matcher =
  | { type: 'net'; family: 4 | 6; bits: bigint; prefix: number }
  | { type: 'domain'; domain: string }
  | { type: 'address'; local: string; domain: string }
  | { type: 'user'; local: string }
  | { type: 'default' };

interface Rule { index: number; tag: AccessTag; matcher: Matcher; value: string }

export interface SrvFeatures {
  /** false = do not offer STARTTLS to this client (`S`). */
  starttls: boolean;
  /** false = do not ask this client for a certificate (`V`). */
  requestCert: boolean;
  /** false = do not offer AUTH to this client (`A`). */
  auth: boolean;
}

export interface AccessMap {
  /** Connect: lookup for a client (IP, then known host name and its parents). */
  connect(client: Pick<ClientInfo, 'address' | 'hostname'>): AccessAction | null;
  /** From: lookup for an envelope sender ('' = the null sender, never matched). */
  from(sender: string): AccessAction | null;
  /** To: lookup for a recipient. */
  to(recipient: string): AccessAction | null;
  /** Srv_Features: for a client; defaults everything on. */
  srvFeatures(client: Pick<ClientInfo, 'address' | 'hostname'>): SrvFeatures;
  /** Try_TLS: may we try STARTTLS with this remote server? Default yes. */
  tryTls(host: string, ip?: string): boolean;
  /** Spam: FRIEND / HATER of a recipient (delay_checks). */
  spam(recipient: string): 'FRIEND' | 'HATER' | null;
}

// ---- parsing --------------------------------------------------------------------

/** Split "Tag:rest" into its tag and the rest; untagged keys have tag ''. */
function splitTag(key: string): { tag: AccessTag; rest: string } | { error: string } {
  const k = key.trim();
  const m = /^([A-Za-z_]+):(.*)$/.exec(k);
  // "IPv6:2001:db8::1" is Sendmail's untagged IPv6 form, and a bare IPv6 address is no tag either.
  if (!m || isIP(k) || isIP(k.split('/')[0]) || m[1].toLowerCase() === 'ipv6') return { tag: '', rest: k };
  const tag = TAGS.find((t) => t.toLowerCase() === m[1].toLowerCase());
  if (!tag) return { error: `unknown tag "${m[1]}:" (use Connect:, From:, To:, Srv_Features:, Try_TLS: or Spam:)` };
  return { tag, rest: m[2].trim() };
}

const DOMAIN_RE = /^\.?([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?\.?$/;
const LOCAL_RE = /^[^\s@<>()[\]\\,;:"]+$/;

function ipToBits(ip: string): { family: 4 | 6; bits: bigint } {
  if (isIP(ip) === 4) {
    return { family: 4, bits: ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  }
  // Expand "::" and a trailing dotted quad, then read eight 16-bit groups.
  let s = ip.toLowerCase();
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const v4 = ipToBits(quad[1]).bits;
    s = s.slice(0, -quad[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

/** "::ffff:192.0.2.1" → "192.0.2.1", so one rule covers both socket forms. */
export function bareIp(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : ip;
}

/** Parse the part after the tag. `forClient` = Connect/Srv_Features/Try_TLS (no addresses). */
function parseMatcher(rest: string, forClient: boolean): Matcher | { error: string } {
  if (rest === '') return { type: 'default' };
  let s = rest;
  if (/^ipv6:/i.test(s)) s = s.slice(5);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const slash = s.indexOf('/');
  if (slash !== -1) {
    const ip = s.slice(0, slash);
    const prefixText = s.slice(slash + 1);
    const family = isIP(ip);
    if (!family) return { error: `"${rest}" is not a network: "${ip}" is not an IP address` };
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return { error: `"${rest}" has a bad prefix length "/${prefixText}" (0–${max})` };
    }
    const prefix = Number(prefixText);
    const { bits } = ipToBits(ip);
    const hostBits = BigInt(max - prefix);
    if ((bits & ((1n << hostBits) - 1n)) !== 0n) {
      return { error: `"${rest}" has host bits set; did you mean ${networkText(family as 4 | 6, bits >> hostBits << hostBits)}/${prefix}?` };
    }
    return { type: 'net', family: family as 4 | 6, bits, prefix };
  }
  const family = isIP(s);
  if (family) return { type: 'net', family: family as 4 | 6, bits: ipToBits(s).bits, prefix: family === 4 ? 32 : 128 };
  // Sendmail's network prefixes: "192.168.1" = 192.168.1.0/24, "10" = 10.0.0.0/8.
  if (/^\d+(\.\d+){0,2}\.?$/.test(s)) {
    const octets = s.replace(/\.$/, '').split('.');
    if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) {
      return { error: `"${rest}" is not an IPv4 address or prefix (octets are 0–255)` };
    }
    const bits = octets.reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) << BigInt(8 * (4 - octets.length));
    return { type: 'net', family: 4, bits, prefix: 8 * octets.length };
  }
  if (/^[\d.]+$/.test(s)) return { error: `"${rest}" is not an IPv4 address or prefix` };
  const at = s.lastIndexOf('@');
  if (at !== -1) {
    if (forClient) return { error: `"${rest}" is an address; this tag takes an IP, a network or a host name` };
    const local = s.slice(0, at);
    const domain = s.slice(at + 1);
    if (!local || !LOCAL_RE.test(local)) return { error: `"${rest}" has a bad local part` };
    if (domain === '') return { type: 'user', local: local.toLowerCase() };
    if (!DOMAIN_RE.test(domain)) return { error: `"${rest}" has a bad domain "${domain}"` };
    return { type: 'address', local: local.toLowerCase(), domain: normDomain(domain) };
  }
  if (!DOMAIN_RE.test(s)) return { error: `"${rest}" is not an IP address, network, domain or address` };
  return { type: 'domain', domain: normDomain(s) };
}

const normDomain = (d: string) => d.toLowerCase().replace(/^\./, '').replace(/\.$/, '');

function networkText(family: 4 | 6, bits: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((bits >> sh) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((bits >> BigInt(16 * i)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)(0(:|$)){2,}/, '::');
}

/**
 * Parse "ERROR:…" (Sendmail forms): `ERROR:"550 5.7.1 go away"`, `ERROR:4.7.1:"451 try later"`,
 * `ERROR:550 go away`. The enhanced code defaults to x.7.1 (policy refusal, RFC 3463).
 */
function parseError(value: string): AccessAction | { error: string } {
  let rest = value.slice('ERROR:'.length).trim();
  let enhanced: string | undefined;
  const dsn = /^([45]\.\d{1,3}\.\d{1,3}):/.exec(rest);
  if (dsn) {
    enhanced = dsn[1];
    rest = rest.slice(dsn[0].length).trim();
  }
  if (rest.startsWith('"')) {
    if (!rest.endsWith('"') || rest.length < 2) return { error: 'ERROR text has an unclosed quote' };
    rest = rest.slice(1, -1);
  }
  const m = /^([45]\d\d)(?:\s+([45]\.\d{1,3}\.\d{1,3}))?(?:\s+(.*))?$/.exec(rest);
  if (!m) return { error: 'ERROR needs a reply code 4xx or 5xx, e.g. ERROR:"550 5.7.1 Access denied"' };
  const code = Number(m[1]);
  enhanced = m[2] ?? enhanced ?? `${m[1][0]}.7.1`;
  if (enhanced[0] !== m[1][0]) return { error: `reply code ${code} and status ${enhanced} disagree (both 4 or both 5)` };
  return { kind: 'ERROR', code, enhanced, text: (m[3] ?? '').trim() || 'Access denied' };
}

type ParsedValue = AccessAction | { srv: Partial<SrvFeatures> } | { tryTls: boolean } | { spam: 'FRIEND' | 'HATER' };

function parseValue(tag: AccessTag, raw: string): ParsedValue | { error: string } {
  const value = raw.trim();
  if (tag === 'Srv_Features') {
    const srv: Partial<SrvFeatures> = {};
    for (const letter of value.replace(/\s+/g, '')) {
      const name = ({ s: 'starttls', v: 'requestCert', a: 'auth' } as const)[letter.toLowerCase() as 's' | 'v' | 'a'];
      if (!name) return { error: `unknown feature letter "${letter}" (S = no STARTTLS, V = no client certificate, A = no AUTH; lower case turns it on)` };
      // Sendmail: upper case switches the feature off, lower case on.
      srv[name] = letter === letter.toLowerCase();
    }
    if (value === '') return { error: 'Srv_Features needs letters, e.g. S or V' };
    return { srv };
  }
  const upper = value.toUpperCase();
  if (tag === 'Try_TLS') {
    if (upper === 'NO' || upper === 'YES') return { tryTls: upper === 'YES' };
    return { error: 'Try_TLS takes NO or YES' };
  }
  if (tag === 'Spam') {
    if (upper === 'FRIEND' || upper === 'HATER') return { spam: upper };
    return { error: 'Spam takes FRIEND or HATER' };
  }
  if (upper.startsWith('ERROR:')) return parseError(value);
  if (upper === 'OK' || upper === 'RELAY' || upper === 'REJECT' || upper === 'DISCARD' || upper === 'SKIP') return { kind: upper };
  return { error: `unknown action "${value}" (OK, RELAY, REJECT, DISCARD, SKIP or ERROR:"550 5.7.1 text")` };
}

/** Every problem in the rules, each naming its field (`access[3].key: …`); [] = all good. */
export function validateAccessRules(rules: readonly { key: string; action: string }[]): FieldError[] {
  const errors: FieldError[] = [];
  rules.forEach((rule, i) => {
    const r = parseRule(rule, i);
    if ('field' in r) errors.push({ path: `access[${i}].${r.field}`, message: r.error });
  });
  return errors;
}

function parseRule(rule: { key: string; action: string }, index: number): { rule: Rule; value: ParsedValue } | { field: 'key' | 'action'; error: string } {
  const split = splitTag(rule.key);
  if ('error' in split) return { field: 'key', error: split.error };
  const forClient = split.tag === 'Connect' || split.tag === 'Srv_Features' || split.tag === 'Try_TLS';
  if (split.rest === '' && split.tag !== 'Srv_Features' && split.tag !== 'Try_TLS') {
    return { field: 'key', error: `"${rule.key}" names nothing after the tag` };
  }
  const matcher = parseMatcher(split.rest, forClient);
  if ('error' in matcher) return { field: 'key', error: matcher.error };
  if (split.tag === 'Spam' && matcher.type !== 'address' && matcher.type !== 'user' && matcher.type !== 'domain') {
    return { field: 'key', error: 'Spam: takes a recipient address, user@ or domain' };
  }
  const value = parseValue(split.tag, rule.action);
  if ('error' in value) return { field: 'action', error: value.error };
  return { rule: { index, tag: split.tag, matcher, value: rule.action }, value };
}

// ---- lookup ---------------------------------------------------------------------

interface Compiled { rule: Rule; value: ParsedValue }

/** Compile rules; invalid ones are skipped (validateAccessRules is where they are reported). */
export function compileAccessMap(rules: readonly { key: string; action: string }[]): AccessMap {
  const compiled: Compiled[] = [];
  rules.forEach((r, i) => {
    const p = parseRule(r, i);
    if (!('field' in p)) compiled.push(p);
  });
  const withTag = (tags: AccessTag[]) => compiled.filter((c) => tags.includes(c.rule.tag));

  /** Best client match: the longest matching network, else the most specific host/parent domain. */
  function clientMatch(list: Compiled[], client: Pick<ClientInfo, 'address' | 'hostname'>): Compiled | null {
    const ip = bareIp(client.address);
    const family = isIP(ip);
    const host = client.hostname ? normDomain(client.hostname) : '';
    let best: Compiled | null = null;
    let bestScore = -1;
    for (const c of list) {
      const m = c.rule.matcher;
      let score = -1;
      if (m.type === 'net' && family === m.family) {
        const bits = ipToBits(ip).bits;
        const shift = BigInt((family === 4 ? 32 : 128) - m.prefix);
        if (bits >> shift === m.bits >> shift) score = 1000 + m.prefix;
      } else if (m.type === 'domain' && host && (host === m.domain || host.endsWith('.' + m.domain))) {
        score = 500 + m.domain.length;
      } else if (m.type === 'default') {
        score = 0;
      }
      // Tagged before untagged at the same specificity; first rule wins a tie.
      if (score >= 0 && c.rule.tag !== '') score += 0.5;
      if (score > bestScore) { best = c; bestScore = score; }
    }
    return best;
  }

  /** Best address match: user@domain, then domain and its parents, then user@. */
  function addressMatch(list: Compiled[], address: string): Compiled | null {
    const a = address.trim().replace(/^<|>$/g, '');
    if (a === '') return null;
    const at = a.lastIndexOf('@');
    const local = (at === -1 ? a : a.slice(0, at)).toLowerCase();
    const domain = at === -1 ? '' : normDomain(a.slice(at + 1));
    let best: Compiled | null = null;
    let bestScore = -1;
    for (const c of list) {
      const m = c.rule.matcher;
      let score = -1;
      if (m.type === 'address' && m.local === local && m.domain === domain) score = 2000;
      else if (m.type === 'domain' && domain && (domain === m.domain || domain.endsWith('.' + m.domain))) score = 1000 + m.domain.length;
      else if (m.type === 'user' && m.local === local) score = 500;
      if (score >= 0 && c.rule.tag !== '') score += 0.5;
      if (score > bestScore) { best = c; bestScore = score; }
    }
    return best;
  }

  const action = (c: Compiled | null): AccessAction | null => (c && 'kind' in c.value ? c.value : null);
  const connectList = withTag(['Connect', '']);
  const fromList = withTag(['From', '']);
  const toList = withTag(['To', '']);
  const srvList = withTag(['Srv_Features']);
  const tlsList = withTag(['Try_TLS']);
  const spamList = withTag(['Spam']);

  return {
    connect: (client) => action(clientMatch(connectList.filter((c) => c.rule.matcher.type !== 'default'), client)),
    from: (sender) => action(addressMatch(fromList, sender)),
    to: (recipient) => action(addressMatch(toList, recipient)),
    srvFeatures(client) {
      const features: SrvFeatures = { starttls: true, requestCert: true, auth: true };
      const c = clientMatch(srvList, client);
      if (c && 'srv' in c.value) Object.assign(features, c.value.srv);
      return features;
    },
    tryTls(host, ip) {
      if (!ip && isIP(host)) ip = host;
      const byIp = ip ? clientMatch(tlsList, { address: ip }) : null;
      const byHost = clientMatch(tlsList, { address: '', hostname: host });
      // An entry naming this server (by IP or name) beats the default entry.
      const pick = [byIp, byHost].filter((c): c is Compiled => !!c).sort((x, y) =>
        Number(x.rule.matcher.type === 'default') - Number(y.rule.matcher.type === 'default'))[0];
      return pick && 'tryTls' in pick.value ? pick.value.tryTls : true;
    },
    spam(recipient) {
      const c = addressMatch(spamList, recipient);
      return c && 'spam' in c.value ? c.value.spam : null;
    },
  };
}

const cache = new WeakMap<object, AccessMap>();

/** The compiled map of these settings (compiled once per settings.access array). */
export function accessMapOf(settings: Pick<Settings, 'access'>): AccessMap {
  let map = cache.get(settings.access);
  if (!map) {
    map = compileAccessMap(settings.access);
    cache.set(settings.access, map);
  }
  return map;
}

/** An access action as a policy verdict (REJECT = 550 5.7.1, Sendmail's text). */
export function verdictOf(action: AccessAction, what: string): Verdict {
  switch (action.kind) {
    case 'OK': return { action: 'ok' };
    case 'RELAY': return { action: 'relay' };
    case 'DISCARD': return { action: 'discard' };
    case 'SKIP': return { action: 'continue' };
    case 'REJECT': return { action: 'reject', code: 550, enhanced: '5.7.1', text: `${what}... Access denied` };
    case 'ERROR': return action.code >= 500
      ? { action: 'reject', code: action.code, enhanced: action.enhanced, text: action.text }
      : { action: 'tempfail', code: action.code, enhanced: action.enhanced, text: action.text };
  }
}
