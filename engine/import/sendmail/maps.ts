// /etc/mail's text maps (makemap input: "key<TAB or spaces>value", `#` comments,
// blank lines) and plain lists (local-host-names, relay-domains), each line
// turned into plan items: access rules, mailertable routes, virtual users,
// generics, smart-host credentials. A line whose key cannot be what its map
// needs is refused with the reason. Pure.
import { isIP } from 'node:net';
import { parseVirtualError } from '../../resolve/virtual.ts';
import { entry, item, push, set, type PlanItem } from '../plan.ts';

export interface MapLine { line: number; key: string; value: string; text: string }

const DOMAIN_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** makemap's text format. Lines without a value come back with value ''. */
export function parseMapText(text: string): MapLine[] {
  const out: MapLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    if (l.trim() === '' || /^\s*#/.test(l)) return;
    const m = /^\s*(\S+)(?:\s+(.*?))?\s*$/.exec(l);
    if (m) out.push({ line: i + 1, key: m[1], value: m[2] ?? '', text: l });
  });
  return out;
}

/** One name per line (local-host-names, relay-domains, trusted-users); `#` comments. */
function listLines(text: string): MapLine[] {
  return parseMapText(text).map((l) => ({ ...l, value: l.value }));
}

export function planLocalHostNames(file: string, text: string): PlanItem[] {
  return listLines(text).map((l) => {
    if (l.value !== '') return item(file, l.line, l.text, 'refused', [], 'one domain per line');
    const d = l.key.replace(/\.$/, '').toLowerCase();
    if (!DOMAIN_RE.test(d)) return item(file, l.line, l.text, 'refused', [], `"${l.key}" is not a domain`);
    return item(file, l.line, l.text, 'set', [push('domains.local', d)]);
  });
}

/** relay-domains: domains, IP addresses and Sendmail's partial networks ("192.168.0" = 192.168.0.0/24). */
export function planRelayDomains(file: string, text: string): PlanItem[] {
  return listLines(text).map((l) => {
    if (l.value !== '') return item(file, l.line, l.text, 'refused', [], 'one domain or network per line');
    const k = l.key.toLowerCase();
    const partial = /^(\d{1,3})(\.\d{1,3}){0,2}$/.test(k) ? k : null;
    if (partial) {
      const octets = partial.split('.');
      const net = [...octets, ...Array(4 - octets.length).fill('0')].join('.');
      return item(file, l.line, l.text, 'set', [push('domains.relay', `${net}/${octets.length * 8}`)]);
    }
    if (isIP(k) || /^[0-9a-f.:]+\/\d+$/.test(k) || DOMAIN_RE.test(k)) return item(file, l.line, l.text, 'set', [push('domains.relay', k)]);
    return item(file, l.line, l.text, 'refused', [], `"${l.key}" is not a domain, an IP address or a network`);
  });
}

/** access: "Connect:10.0.0.1 RELAY"; the access map's own check (config/access-map) judges key and action. */
export function planAccess(file: string, text: string): PlanItem[] {
  return parseMapText(text).map((l) => {
    if (l.value === '') return item(file, l.line, l.text, 'refused', [], `"${l.key}" has no action (OK, RELAY, REJECT, DISCARD, ERROR:...)`);
    if (/^AuthInfo:/i.test(l.key)) return item(file, l.line, l.text, 'skip', [], 'AuthInfo: entries are read from authinfo');
    return item(file, l.line, l.text, 'set', [push('access', { key: l.key, action: l.value })]);
  });
}

const MAILERS = new Set(['esmtp', 'smtp', 'relay', 'local', 'error']);

/** mailertable: "domain  mailer:host" (".domain" for its subdomains). */
export function planMailertable(file: string, text: string): PlanItem[] {
  return parseMapText(text).map((l) => {
    const domain = l.key.toLowerCase();
    if (!/^\.?[a-z0-9.-]+$/.test(domain) || domain.includes('..') || domain === '.') {
      return item(file, l.line, l.text, 'refused', [], `bad key "${l.key}": a mailertable key is a domain or .domain`);
    }
    const m = /^([A-Za-z0-9_]+):(.*)$/.exec(l.value);
    if (!m) return item(file, l.line, l.text, 'refused', [], `"${l.value}" is not mailer:host`);
    const mailer = m[1].toLowerCase();
    if (!MAILERS.has(mailer)) return item(file, l.line, l.text, 'refused', [], `mailer "${m[1]}" is not one Mailstop has (esmtp, smtp, relay, local, error)`);
    let host = m[2].trim();
    let port: number | undefined;
    const hp = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(host);
    if (hp && mailer !== 'error') { host = hp[1]; port = Number(hp[2]); }
    const route: Record<string, unknown> = { domain, mailer, host };
    if (port !== undefined) route.port = port;
    return item(file, l.line, l.text, 'set', [push('routes', route)]);
  });
}

/** virtusertable: "user@domain target" or "@domain target", targets comma-separated. */
export function planVirtusertable(file: string, text: string): PlanItem[] {
  return parseMapText(text).map((l) => {
    if (!/^([^@\s]+)?@[A-Za-z0-9.-]+$/.test(l.key)) return item(file, l.line, l.text, 'refused', [], `bad key "${l.key}": a virtusertable key is user@domain or @domain`);
    if (l.value === '') return item(file, l.line, l.text, 'refused', [], `${l.key} has no target`);
    const e = parseVirtualError(l.value);
    if (e && 'invalid' in e) return item(file, l.line, l.text, 'refused', [], e.invalid);
    const targets = e ? [l.value] : l.value.split(',').map((t) => t.trim()).filter(Boolean);
    return item(file, l.line, l.text, 'set', [entry('virtual', l.key.toLowerCase(), targets)]);
  });
}

/** genericstable: "login  user@domain" (or "login@host  user@domain"). */
export function planGenericstable(file: string, text: string): PlanItem[] {
  return parseMapText(text).map((l) => {
    if (l.value === '') return item(file, l.line, l.text, 'refused', [], `${l.key} has no address`);
    if (!/^[^@\s]+@[A-Za-z0-9.-]+$/.test(l.value)) return item(file, l.line, l.text, 'refused', [], `"${l.value}" is not a full address (user@domain)`);
    return item(file, l.line, l.text, 'set', [entry('rewrite.generics', l.key, l.value)]);
  });
}

/** authinfo: AuthInfo:host "U:user" "P:password" ["M:mech"]; the smart host's entry becomes its credentials. */
export function planAuthinfo(file: string, text: string, smartHost: string | null): PlanItem[] {
  return parseMapText(text).map((l) => {
    const m = /^AuthInfo:(.*)$/i.exec(l.key);
    if (!m) return item(file, l.line, l.text, 'refused', [], `bad key "${l.key}": authinfo keys are AuthInfo:host`);
    const fields = new Map<string, string>();
    for (const f of l.value.matchAll(/"([A-Za-z]):([^"]*)"|"([A-Za-z])=([^"]*)"/g)) {
      if (f[1]) fields.set(f[1].toUpperCase(), f[2]);
      else fields.set(f[3].toUpperCase(), Buffer.from(f[4], 'base64').toString('utf8'));
    }
    const user = fields.get('U') ?? fields.get('I');
    const pass = fields.get('P');
    if (!user || pass === undefined) return item(file, l.line, l.text, 'refused', [], 'needs "U:user" and "P:password"');
    const host = m[1].replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
    const smart = (smartHost ?? '').replace(/^\[|\]$/g, '').toLowerCase();
    if (smartHost && host !== '' && host !== smart) return item(file, l.line, l.text, 'skip', [], `credentials for ${host}, not the smart host ${smart}: Mailstop keeps only the smart host's`);
    return item(file, l.line, l.text.replace(/"P[:=][^"]*"/, '"P:…"'), 'set', [set('smartHost.auth', { user, pass })]);
  });
}
