// `mailstop import postfix`: main.cf and the text sources of the maps it names
// (hash:/etc/postfix/transport → /etc/postfix/transport) as an import plan.
// $variable references are expanded from the same file (and Postfix's derived
// mydomain) and the expansion is named on the line; a reference the file does
// not define is refused, as its value (a Postfix built-in) cannot be known
// here. Pure: files come in as text (see ../files.ts).
import { isIP } from 'node:net';
import type { Settings } from '../../config/schema.ts';
import { parseMapText } from '../sendmail/maps.ts';
import { planAliases } from '../sendmail/index.ts';
import { entry, finishPlan, item, push, set, type Change, type ImportPlan, type PlanItem, type SourceFile } from '../plan.ts';
import { expand, mapSource, parseMainCf, splitList, type Param } from './main-cf.ts';

const MAP_PARAMS = new Set(['transport_maps', 'virtual_alias_maps', 'canonical_maps', 'sender_canonical_maps', 'alias_maps', 'smtp_sasl_password_maps']);
const RESTRICTIONS = new Set(['smtpd_recipient_restrictions', 'smtpd_relay_restrictions', 'smtpd_client_restrictions']);
const BUILT_IN: Record<string, string> = {
  permit_mynetworks: 'built in: clients in domains.relay may relay',
  permit_sasl_authenticated: 'built in: authenticated clients may relay',
  reject_unauth_destination: 'built in: nothing relays for a stranger',
  permit: 'the default',
};

/** The map files main.cf names, so a reader can fetch those outside the directory. */
export function postfixMapPaths(mainCf: string): string[] {
  const out: string[] = [];
  for (const p of parseMainCf(mainCf)) {
    if (!('name' in p) || !MAP_PARAMS.has(p.name)) continue;
    for (const ref of splitList(p.value)) { const s = mapSource(ref); if ('path' in s && s.path.startsWith('/')) out.push(s.path); }
  }
  return out;
}

const base = (name: string): string => name.replace(/^.*\//, '');

export function planPostfix(source: string, files: SourceFile[], current: Settings): ImportPlan {
  const items: PlanItem[] = [];
  for (const f of files) if (f.error) items.push(item(f.name, 0, '', 'refused', [], f.error));
  const main = files.find((f) => base(f.name) === 'main.cf' && f.text !== undefined);
  if (!main) {
    items.push(item(source, 0, '', 'refused', [], 'no main.cf here'));
    return finishPlan('postfix', source, items, current);
  }
  const find = (p: string): SourceFile | undefined => files.find((f) => f.name === p) ?? files.find((f) => base(f.name) === base(p));
  const lines = parseMainCf(main.text!);
  const params = new Map<string, string>();
  for (const l of lines) if ('name' in l) params.set(l.name, l.value);
  // Postfix's derived defaults (postconf -d): mydomain is myhostname without its first label.
  const host = params.get('myhostname');
  if (host && !params.has('mydomain') && host.includes('.')) params.set('mydomain', host.slice(host.indexOf('.') + 1));
  if (!params.has('myorigin') && host) params.set('myorigin', '$myhostname');
  let relayhost: string | null = null;

  for (const l of lines) {
    if (!('name' in l)) { items.push(item(main.name, l.line, l.text, 'refused', [], l.error)); continue; }
    const raw = l.name === 'smtpd_banner' ? l.value.replace(/\$\{?myhostname\}?/g, '$$j').replace(/\$\{?mail_name\}?/g, 'Mailstop') : l.value;
    const x = l.name === 'smtpd_banner' ? { value: raw, expanded: [], unknown: [] } : expand(raw, params);
    if (x.unknown.length) {
      items.push(item(main.name, l.line, l.text, 'refused', [], `uses $${x.unknown.join(', $')}, which main.cf does not define: Postfix's built-in value cannot be known here; write the value out`));
      continue;
    }
    const it = planParam(l, x.value);
    if (x.expanded.length) it.reason = [`expanded ${x.expanded.join('; ')}`, it.reason].filter(Boolean).join('; ');
    items.push(it);
    if (l.name === 'relayhost') relayhost = x.value;
  }
  for (const l of lines) {
    if (!('name' in l) || !MAP_PARAMS.has(l.name)) continue;
    for (const ref of splitList(expand(l.value, params).value)) {
      const s = mapSource(ref);
      if ('error' in s) { items.push(item(main.name, l.line, l.text, 'refused', [], s.error)); continue; }
      const f = find(s.path);
      if (!f || f.error) { items.push(item(main.name, l.line, l.text, 'refused', [], `${s.path} (named by ${l.name}) ${f?.error ?? 'is not here'}`)); continue; }
      if (f.binary || f.text === undefined) {
        items.push(item(f.name, 0, '', 'refused', [], `a binary map with no text source: recover it with "postmap -s ${ref}" and import again`));
        continue;
      }
      items.push(...planMapFile(l.name, f.name, f.text, relayhost));
    }
  }
  for (const f of files) {
    if (f.binary && f.name.endsWith('.db') && !find(f.name.replace(/\.db$/, ''))?.text) {
      items.push(item(f.name, 0, '', 'refused', [], `a binary map with no text source: recover it with "postmap -s hash:${f.name.replace(/\.db$/, '')}"`));
    }
  }
  return finishPlan('postfix', source, items, current);

  function planParam(p: Param, v: string): PlanItem {
    const ok = (changes: Change[], reason?: string): PlanItem => ({ ...item(main!.name, p.line, p.text, changes.length ? 'set' : 'skip', changes, changes.length ? undefined : reason), ...(changes.length && reason ? { reason } : {}) });
    const no = (reason: string): PlanItem => item(main!.name, p.line, p.text, 'refused', [], reason);
    const list = splitList(v);
    switch (p.name) {
      case 'myhostname': return ok([set('hostname', v)]);
      case 'mydomain': case 'myorigin': return ok([], `${p.name}: Mailstop qualifies addresses with the host name (or rewrite.masqueradeAs)`);
      case 'mydestination': {
        const host = (params.get('myhostname') ?? '').toLowerCase();
        const names = list.filter((d) => !d.includes(':') && d.toLowerCase() !== host && d.toLowerCase() !== 'localhost');
        return ok(names.map((d) => push('domains.local', d.toLowerCase())), names.length ? undefined : 'only the host name and localhost, which are always local');
      }
      case 'mynetworks': {
        const tables = list.filter((n) => /^[a-z]+:\//.test(n) || n.startsWith('/'));
        const nets = list.filter((n) => !tables.includes(n)).map((n) => n.replace(/^\[([^\]]+)\]/, '$1'));
        return ok(nets.map((n) => push('domains.relay', n)), tables.length ? `not carried over: ${tables.join(', ')} (a table of networks: add its entries to domains.relay)` : undefined);
      }
      case 'relay_domains': {
        const domains = list.filter((d) => !d.includes(':'));
        return ok(domains.map((d) => push('domains.relay', d.toLowerCase())), domains.length ? undefined : 'no domains');
      }
      case 'relayhost': {
        if (v === '') return ok([], 'empty: mail goes to each domain\'s MX, as without a smart host');
        const m = /^(\[([^\]]+)\]|([^:\s]+))(?::(\d+))?$/.exec(v);
        if (!m) return no(`"${v}" is not host, [host] or [host]:port`);
        const h = m[2] ?? m[3];
        return ok([set('smartHost.host', isIP(h) ? `[${h}]` : h), set('smartHost.port', m[4] ? Number(m[4]) : 25)]);
      }
      case 'masquerade_domains': {
        const d = list.map((x) => x.replace(/^!/, ''))[0];
        if (!d) return ok([], 'empty');
        return ok([set('rewrite.masqueradeAs', d), set('rewrite.masqueradeEntireDomain', true), set('rewrite.masqueradeEnvelope', true)],
          list.length > 1 ? `Mailstop masquerades as one domain; ${list.slice(1).join(', ')} not carried over` : undefined);
      }
      case 'smtpd_tls_cert_file': return ok([set('tls.cert', v)]);
      case 'smtpd_tls_key_file': return ok([set('tls.key', v)]);
      case 'smtpd_tls_CAfile': return ok([set('tls.ca', v)]);
      case 'smtpd_tls_dh1024_param_file': return ok([set('tls.dhParams', v)]);
      case 'smtpd_banner': return ok([set('smtp.greeting', v)]);
      case 'message_size_limit':
        return /^\d+$/.test(v) ? ok([set('smtp.maxMessageSize', Number(v))]) : no(`"${v}" is not a number of bytes`);
      case 'smtpd_recipient_limit':
        return /^\d+$/.test(v) ? ok([set('smtp.maxRcptsPerMessage', Number(v))]) : no(`"${v}" is not a number`);
      case 'maximal_queue_lifetime': case 'delay_warning_time': {
        const m = /^(\d+)([smhdw]?)$/.exec(v);
        if (!m) return no(`"${v}" is not a time such as 5d or 4h`);
        if (Number(m[1]) === 0) return ok([], p.name === 'delay_warning_time' ? 'delay warnings off: Mailstop always warns after delivery.queueWarn' : 'zero lifetime is not supported');
        const unit = m[2] || (p.name === 'maximal_queue_lifetime' ? 'd' : 'h');
        return ok([set(p.name === 'maximal_queue_lifetime' ? 'delivery.queueReturn' : 'delivery.queueWarn', `${m[1]}${unit}`)]);
      }
      case 'inet_interfaces': {
        if (list.length !== 1) return ok([], 'Mailstop listens on one address: set listen.address by hand');
        const a = list[0] === 'all' ? '0.0.0.0' : list[0] === 'loopback-only' || list[0] === 'localhost' ? '127.0.0.1' : list[0];
        return isIP(a) ? ok([set('listen.address', a)]) : no(`"${list[0]}" is not an address`);
      }
      case 'virtual_alias_domains': return ok([], 'the domains of virtual_alias_maps\' keys are Mailstop\'s virtual domains');
    }
    if (MAP_PARAMS.has(p.name)) return ok([], 'its entries are read from the map file below');
    if (RESTRICTIONS.has(p.name)) return restrictions(list, ok);
    return ok([], `${p.name}: no Mailstop equivalent; not carried over`);
  }
}

function restrictions(list: string[], ok: (c: Change[], reason?: string) => PlanItem): PlanItem {
  const changes: Change[] = [];
  const left: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (r === 'reject_rbl_client' && list[i + 1]) {
      const [zone, code] = list[++i].split('=');
      changes.push(push('antispam.dnsbl', code ? { zone, match: [code] } : { zone }));
    } else if (!(r in BUILT_IN)) left.push(r);
  }
  return ok(changes, left.length ? `not carried over: ${left.join(', ')}` : 'built in: permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination');
}

function planMapFile(param: string, file: string, text: string, relayhost: string | null): PlanItem[] {
  if (param === 'alias_maps') return planAliases(file, text);
  return parseMapText(text).map((l) => {
    const it = (outcome: 'set' | 'skip' | 'refused', changes: Change[] = [], reason?: string) => item(file, l.line, l.text, outcome, changes, reason);
    if (l.value === '') return it('refused', [], `"${l.key}" has no value`);
    switch (param) {
      case 'transport_maps': {
        const key = l.key.toLowerCase();
        if (!/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(key)) return it('refused', [], `bad key "${l.key}": a transport key is a domain or .domain`);
        const m = /^([a-z0-9_-]*):(.*)$/i.exec(l.value);
        if (!m) return it('refused', [], `"${l.value}" is not transport:nexthop`);
        const t = m[1].toLowerCase() || 'smtp';
        const hop = m[2].trim();
        if (t === 'error') {
          const coded = /^([45]\.\d+\.\d+)\s*(.*)$/.exec(hop);
          return it('set', [push('routes', { domain: key, mailer: 'error', host: coded ? `${coded[1]}:${coded[2]}` : `5.0.0:${hop}` })]);
        }
        if (t === 'local') return it('set', [push('routes', { domain: key, mailer: 'local', host: hop })]);
        if (t !== 'smtp' && t !== 'relay' && t !== 'lmtp') return it('skip', [], `transport "${t}" (master.cf) has no Mailstop equivalent`);
        if (t === 'lmtp') return it('skip', [], 'LMTP delivery is not supported');
        const hp = /^(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(hop);
        if (hop !== '' && !hp) return it('refused', [], `"${hop}" is not host, [host] or [host]:port`);
        const route: Record<string, unknown> = { domain: key, mailer: t === 'relay' ? 'relay' : 'esmtp', host: hp ? hp[1] : '' };
        if (hp?.[2]) route.port = Number(hp[2]);
        return it('set', [push('routes', route)]);
      }
      case 'virtual_alias_maps': {
        const targets = l.value.split(/[\s,]+/).filter(Boolean);
        if (targets.some((t) => /^error:/i.test(t))) return it('skip', [], 'Postfix has no error: target in virtual; use the error transport in transport_maps');
        if (/^[^@\s]+$/.test(l.key) && l.key.includes('.')) return it('skip', [], `declares ${l.key} a virtual alias domain; Mailstop takes virtual domains from the entries`);
        if (/^[^@\s]+$/.test(l.key)) return it('set', [entry('aliases', l.key.toLowerCase(), targets)], undefined);
        if (!/^([^@\s]+)?@[A-Za-z0-9.-]+$/.test(l.key)) return it('refused', [], `bad key "${l.key}": user@domain or @domain`);
        return it('set', [entry('virtual', l.key.toLowerCase(), targets)]);
      }
      case 'canonical_maps': case 'sender_canonical_maps': {
        if (l.key.startsWith('@')) return it('skip', [], 'domain-wide canonical mapping is not supported (use rewrite.masqueradeAs)');
        if (!/^[^@\s]+@[A-Za-z0-9.-]+$/.test(l.value)) return it('refused', [], `"${l.value}" is not a full address (user@domain)`);
        return it('set', [entry('rewrite.generics', l.key, l.value)]);
      }
      case 'smtp_sasl_password_maps': {
        const m = /^([^:]+):(.*)$/.exec(l.value);
        if (!m) return it('refused', [], 'needs user:password');
        const host = l.key.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
        const relay = (relayhost ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
        if (relay && host !== relay) return item(file, l.line, l.key, 'skip', [], `credentials for ${host}, not the relay host ${relay}`);
        return item(file, l.line, `${l.key} ${m[1]}:…`, 'set', [set('smartHost.auth', { user: m[1], pass: m[2] })]);
      }
    }
    return it('skip', [], 'not read');
  });
}
