// sendmail.mc → plan items: each define, FEATURE, MAILER and other macro the
// seeds and Debian's sendmail.mc use, mapped to Mailstop settings or named as
// not carried over with the reason. Anything that is not .mc syntax, or a macro
// this reader does not know, is refused with its line. Pure.
import { durationMs } from '../../config/schema.ts';
import { item, push, set, type Change, type PlanItem } from '../plan.ts';
import { expandValue, parseMc } from './m4.ts';

/** What the map files need to know from the .mc (which tables Sendmail would read). */
export interface McFacts {
  features: Set<string>;
  smartHost: string | null;
}

const MACRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PORT_NAMES: Record<string, number> = { smtp: 25, submission: 587, smtps: 465 };
const PRIVACY_KNOWN = new Set(['novrfy', 'noexpn', 'needmailhelo', 'noetrn', 'goaway', 'authwarnings', 'restrictqrun', 'restrictmailq']);
/** Sendmail's delivery modes (op.me "DeliveryMode"); interactive has no Mailstop twin. */
// Sendmail's background and interactive both deliver at once: Mailstop's whenonline (with no probe, the gate is always open).
const MODES: Record<string, string> = { d: 'deferred', deferred: 'deferred', b: 'whenonline', background: 'whenonline', q: 'queueonly', queueonly: 'queueonly', i: 'whenonline', interactive: 'whenonline' };

/** Features that need nothing in Mailstop, and why. */
const NOTHING_TO_DO: Record<string, string> = {
  nouucp: 'nothing to do: Mailstop has no UUCP',
  use_cw_file: 'local domains are read from local-host-names (Mailstop reads it when present)',
  use_ct_file: 'trusted users: see trusted-users',
  msp: "Mailstop's sendmail command hands mail to the engine itself (Postfix's maildrop model); there is no separate MSP",
  no_default_msa: 'the submission listener is listen.submission',
  smrsh: 'programs in aliases run directly; there is no restricted shell',
  redirect: 'the .REDIRECT alias convention is not supported',
  blacklist_recipients: 'To: entries of the access map always apply in Mailstop',
  generics_entire_domain: 'Mailstop looks up logins in the generics table for every local domain',
  relay_mail_from: 'relaying is decided by client address (Connect:, relay-domains) and authentication; From: RELAY is not honoured, deliberately (anyone can forge a sender)',
  relay_entire_domain: 'relay-domains entries already cover subdomains in Mailstop',
  accept_unresolvable_domains: 'Mailstop does not check that sender domains resolve',
  rbl: 'FEATURE(rbl) is the obsolete 8.9 form with a list that no longer exists; name a list with FEATURE(dnsbl)',
  authinfo: 'credentials for the smart host are read from authinfo',
  mailertable: 'routes are read from mailertable',
  virtusertable: 'virtual users are read from virtusertable',
  genericstable: 'the generics table is read from genericstable',
  access_db: 'access rules are read from access',
  always_add_domain: '',
  masquerade_entire_domain: '',
  masquerade_envelope: '',
  local_procmail: '',
};
/** Macros that are m4 or .mc bookkeeping. */
const BOOKKEEPING: Record<string, string> = {
  VERSIONID: 'a version string for sendmail.cf only',
  OSTYPE: 'operating-system paths for sendmail.cf; nothing to do',
  DOMAIN: 'site defaults of the m4 library; their effect is in the lines read here',
  divert: 'm4 output control', undefine: 'm4 bookkeeping', include: 'the m4 macro library itself',
  GENERICS_DOMAIN: 'Mailstop applies the generics table to its host name and local domains',
  GENERICS_DOMAIN_FILE: 'Mailstop applies the generics table to its host name and local domains',
  MASQUERADE_DOMAIN: 'Mailstop masquerades its host name and local domains (and, with masquerade_entire_domain, their subdomains)',
  MASQUERADE_DOMAIN_FILE: 'Mailstop masquerades its host name and local domains',
  EXPOSED_USER: 'root stays exposed in Mailstop; other exposed users are not supported',
  MODIFY_MAILER_FLAGS: 'mailer flags are not configurable', LOCAL_DOMAIN: 'add the name to local domains',
  INPUT_MAIL_FILTER: 'milters are not supported', MAIL_FILTER: 'milters are not supported',
};
/** Macros after which the rest of the file is raw sendmail.cf text. */
const RAW_SECTIONS = new Set(['LOCAL_CONFIG', 'LOCAL_RULESETS', 'LOCAL_RULE_0', 'LOCAL_RULE_1', 'LOCAL_RULE_2', 'LOCAL_RULE_3', 'LOCAL_RULE_4', 'LOCAL_NET_CONFIG', 'SITECONFIG', 'LOCAL_SRV_FEATURES', 'LOCAL_TRY_TLS']);
/** Defines without an equivalent, with the reason. */
const DEFINE_SKIP: Record<string, string> = {
  confTO_IDENT: 'Mailstop never does ident (RFC 1413) lookups',
  confCACERT_PATH: 'Mailstop uses the one CA file of confCACERT',
  confCLIENT_CERT: 'client certificates for outgoing connections are not supported',
  confCLIENT_KEY: 'client certificates for outgoing connections are not supported',
  confMAX_MIME_HEADER_LENGTH: 'MIME header lengths are not limited separately',
  PROCMAIL_MAILER_PATH: '',
  _USE_ETC_MAIL_: 'Debian bookkeeping',
  confHOST_STATUS_DIRECTORY: 'Mailstop keeps host status in memory',
  confLOG_LEVEL: 'the maillog has one level',
};

function unquoteMessage(s: string): string {
  // The export writes "550 text"; Mailstop's reply code is its own (550 5.7.1), so the code is dropped.
  return s.replace(/"/g, '').trim().replace(/^[45]\d\d(\s+[45]\.\d+\.\d+)?\s+/, '');
}

/** Sendmail times: "4h", "5d", "1d12h", "90m" → a Mailstop duration ("36h"). */
export function sendmailDuration(value: string): string | null {
  const parts = [...value.trim().matchAll(/(\d+)([smhdw]?)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value.trim()) return null;
  let ms = 0;
  for (const p of parts) ms += durationMs(`${p[1]}${p[2] || 'h'}`);
  for (const [unit, size] of [['w', 604800e3], ['d', 86400e3], ['h', 3600e3], ['m', 60e3], ['s', 1e3]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return null;
}

/** "relay:[smtp.example]", "[10.0.0.1]", "esmtp:host" → host as Mailstop writes it. */
export function smartHostOf(value: string): string | { error: string } {
  const v = value.trim().replace(/^(relay|esmtp|smtp|smtp8|dsmtp):/i, '');
  const m = /^\[([^\]]+)\]$/.exec(v);
  const host = m ? m[1] : v;
  if (!/^[A-Za-z0-9.-]+$/.test(host) && !/^[0-9a-fA-F:.]+$/.test(host)) return { error: `"${value}" is not a host name or [host]` };
  return /^[0-9.]+$|:/.test(host) ? `[${host}]` : host;
}

export function planMc(file: string, text: string): { items: PlanItem[]; facts: McFacts } {
  const items: PlanItem[] = [];
  const facts: McFacts = { features: new Set(), smartHost: null };
  const defs = new Map<string, string>();
  let procmailPath = '/usr/bin/procmail';
  let localProcmail: PlanItem | null = null;
  let mtaAddressSet = false;
  const add = (line: number, src: string, changes: Change[], reason?: string): void => {
    items.push(item(file, line, src, changes.length ? 'set' : 'skip', changes, changes.length ? undefined : reason));
  };
  const refuse = (line: number, src: string, reason: string): void => { items.push(item(file, line, src, 'refused', [], reason)); };
  const int = (line: number, src: string, name: string, v: string, path: string): void => {
    if (!/^\d+$/.test(v.trim())) return refuse(line, src, `${name}: "${v}" is not a whole number`);
    add(line, src, [set(path, Number(v.trim()))]);
  };
  const stmts = parseMc(text);
  for (let k = 0; k < stmts.length; k++) {
    const s = stmts[k];
    if (s.kind === 'junk') { refuse(s.line, s.text, `not .mc syntax: ${s.reason}`); continue; }
    const a = (s.args ?? []).map((x) => x.trim());
    const { name, line, text: src } = s;
    if (RAW_SECTIONS.has(name)) {
      const rest = text.split('\n').slice(line).filter((l) => l.trim() !== '' && !/^dnl\b/.test(l.trim())).length;
      add(line, src, [], `a custom ruleset / raw sendmail.cf section (${rest} more lines): not supported; Mailstop's rules are its settings`);
      break;
    }
    if (name in BOOKKEEPING) { add(line, src, [], BOOKKEEPING[name]); continue; }
    if (name === 'define') {
      const key = a[0] ?? '';
      if (!MACRO_NAME.test(key)) { refuse(line, src, `define names "${key}", which is not a macro name`); continue; }
      const v = expandValue(a[1] ?? '', defs);
      defs.set(key, v);
      handleDefine(key, v, line, src);
      continue;
    }
    if (name === 'FEATURE') {
      const f = a[0] ?? '';
      facts.features.add(f);
      handleFeature(f, a.slice(1), line, src);
      continue;
    }
    if (name === 'MAILER') {
      const m = a[0] ?? '';
      if (m === 'local' || m === 'smtp') add(line, src, [], `built in: Mailstop's ${m === 'local' ? 'local delivery' : 'smtp, esmtp and relay mailers'}`);
      else if (m === 'procmail') add(line, src, [set('localDelivery.agent', 'pipe'), set('localDelivery.command', `${procmailPath} -d $u`)]);
      else add(line, src, [], `the ${m} mailer is not supported`);
      continue;
    }
    if (name === 'MASQUERADE_AS') { add(line, src, [set('rewrite.masqueradeAs', a[0] ?? '')]); continue; }
    if (name === 'DAEMON_OPTIONS') { daemonOptions(a.join(','), line, src); continue; }
    if (name === 'CLIENT_OPTIONS') { add(line, src, [], 'outgoing connections use the system\'s addresses'); continue; }
    refuse(line, src, s.args === null ? `not .mc syntax: "${name}" is neither a known macro nor a comment (# or dnl)` : `unknown .mc macro ${name}(...)`);
  }
  if (localProcmail) items.push(localProcmail);
  return { items, facts };

  function handleDefine(key: string, v: string, line: number, src: string): void {
    switch (key) {
      case 'confDOMAIN_NAME': return add(line, src, [set('hostname', v)]);
      case 'SMART_HOST': {
        const h = smartHostOf(v);
        if (typeof h !== 'string') return refuse(line, src, `SMART_HOST: ${h.error}`);
        facts.smartHost = h;
        // Sendmail's relay mailer talks to port 25 unless RELAY_MAILER_ARGS says otherwise.
        return add(line, src, [set('smartHost.host', h), set('smartHost.port', 25)]);
      }
      case 'RELAY_MAILER_ARGS': case 'ESMTP_MAILER_ARGS': {
        const m = /^TCP\s+\$h\s+(\d+)$/.exec(v);
        if (m && facts.smartHost) return add(line, src, [set('smartHost.port', Number(m[1]))]);
        return add(line, src, [], 'mailer arguments other than "TCP $h PORT" for the smart host are not supported');
      }
      case 'confDELIVERY_MODE': {
        const mode = MODES[v.toLowerCase()];
        if (!mode) return refuse(line, src, `confDELIVERY_MODE: "${v}" is not a delivery mode (interactive, background, queueonly, deferred)`);
        return add(line, src, [set('delivery.mode', mode)]);
      }
      case 'LUSER_RELAY': return add(line, src, [set('localDelivery.luserRelay', v.replace(/^`|'$/g, ''))]);
      case 'confPRIVACY_FLAGS': {
        const flags = v.split(/[\s,]+/).map((f) => f.toLowerCase()).filter(Boolean);
        const known = flags.filter((f) => PRIVACY_KNOWN.has(f));
        const unknown = flags.filter((f) => !PRIVACY_KNOWN.has(f) && f !== 'public');
        const it = item(file, line, src, 'set', [set('smtp.privacy', known)]);
        if (unknown.length) it.reason = `not carried over: ${unknown.join(', ')} (no Mailstop equivalent)`;
        items.push(it);
        return;
      }
      case 'confMAX_MESSAGE_SIZE': return int(line, src, key, v, 'smtp.maxMessageSize');
      case 'confMAX_RCPTS_PER_MESSAGE': return int(line, src, key, v, 'smtp.maxRcptsPerMessage');
      case 'confBAD_RCPT_THROTTLE': return int(line, src, key, v, 'smtp.badRcptThrottle');
      case 'confMIN_FREE_BLOCKS': return int(line, src, key, v, 'smtp.minFreeBlocks');
      case 'confMAX_DAEMON_CHILDREN': return int(line, src, key, v, 'smtp.maxDaemonChildren');
      case 'confMAX_HEADERS_LENGTH': return int(line, src, key, v, 'smtp.maxHeadersLength');
      case 'confTO_QUEUEWARN': case 'confTO_QUEUERETURN': {
        const d = sendmailDuration(v);
        if (!d) return refuse(line, src, `${key}: "${v}" is not a time such as 4h or 5d`);
        return add(line, src, [set(key === 'confTO_QUEUEWARN' ? 'delivery.queueWarn' : 'delivery.queueReturn', d)]);
      }
      case 'confDOUBLE_BOUNCE_ADDRESS': return add(line, src, [set('delivery.doubleBounce', v)]);
      case 'confFORWARD_PATH':
        // An empty path switches users' .forward files off; any path means "read them".
        return add(line, src, [set('localDelivery.readHomeForward', v.trim() !== '')]);
      case 'confSMTP_LOGIN_MSG': return add(line, src, [set('smtp.greeting', v.trim() === '' ? '$j' : v)]);
      case 'HELP_FILE': return add(line, src, [set('smtp.help', v.trim() !== '')]);
      case 'confSERVER_CERT': return add(line, src, [set('tls.cert', v)]);
      case 'confSERVER_KEY': return add(line, src, [set('tls.key', v)]);
      case 'confCACERT': return add(line, src, [set('tls.ca', v)]);
      case 'confDH_PARAMETERS': return add(line, src, [set('tls.dhParams', v)]);
      case 'confCIPHER_LIST': return add(line, src, [set('tls.ciphers', v)]);
      case 'PROCMAIL_MAILER_PATH':
        procmailPath = v || procmailPath;
        return add(line, src, [], 'used for local delivery through procmail');
    }
    if (key in DEFINE_SKIP) return add(line, src, [], DEFINE_SKIP[key]);
    add(line, src, [], `${key}: no Mailstop equivalent; not carried over`);
  }

  function handleFeature(f: string, args: string[], line: number, src: string): void {
    switch (f) {
      case 'masquerade_entire_domain': return add(line, src, [set('rewrite.masqueradeEntireDomain', true)]);
      case 'masquerade_envelope': return add(line, src, [set('rewrite.masqueradeEnvelope', true)]);
      case 'always_add_domain': return add(line, src, [set('rewrite.alwaysAddDomain', true)]);
      case 'delay_checks': {
        const how = (args[0] ?? '').toLowerCase();
        return add(line, src, [set('antispam.delayChecks', how === 'friend' || how === 'hater' ? how : 'on')]);
      }
      case 'local_procmail': {
        const path = args[0] || procmailPath;
        const argv = args[1] ? args[1].replace(/^procmail\s*/, '') : '-d $u';
        // Added after the last line so a PROCMAIL_MAILER_PATH further down is honoured, as m4 would.
        localProcmail = item(file, line, src, 'set', [set('localDelivery.agent', 'pipe'), set('localDelivery.command', `${path} ${argv}`.trim())]);
        return;
      }
      case 'dnsbl': case 'enhdnsbl': {
        const zone = (args[0] ?? '').replace(/\.$/, '');
        if (zone === '') return refuse(line, src, `FEATURE(${f}) names no list: Sendmail's default list no longer exists`);
        const list: Record<string, unknown> = { zone };
        if (args[1]) list.message = unquoteMessage(args[1]);
        list.tempfail = (args[2] ?? '').trim() === 't';
        if (f === 'enhdnsbl') {
          list.enhanced = true;
          const match = args.slice(3).map((m) => m.trim().replace(/\.$/, '')).filter(Boolean)
            .map((m) => (m.endsWith('$-') ? m.slice(0, -2) : m));
          if (match.length) list.match = match;
        }
        return add(line, src, [push('antispam.dnsbl', list)]);
      }
    }
    if (f in NOTHING_TO_DO) return add(line, src, [], NOTHING_TO_DO[f] || 'nothing to do');
    add(line, src, [], `FEATURE(${f}) is not supported; not carried over`);
  }

  /** DAEMON_OPTIONS(`Port=smtp,Addr=127.0.0.1, Name=MTA'): which listener, which address. */
  function daemonOptions(spec: string, line: number, src: string): void {
    const opts = new Map<string, string>();
    for (const part of spec.split(',')) {
      const m = /^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(part);
      if (m) opts.set(m[1].toLowerCase(), m[2]);
    }
    const portText = opts.get('port') ?? 'smtp';
    const port = /^\d+$/.test(portText) ? Number(portText) : PORT_NAMES[portText.toLowerCase()];
    if (port === undefined) return refuse(line, src, `DAEMON_OPTIONS: unknown port "${portText}"`);
    const name = (opts.get('name') ?? '').toUpperCase();
    const modifiers = opts.get('m') ?? opts.get('modifiers') ?? '';
    const listener = modifiers.includes('s') || port === 465 ? 'smtps' : name.includes('MSA') || port === 587 ? 'submission' : 'smtp';
    if ((opts.get('family') ?? '').toLowerCase() === 'inet6') return add(line, src, [], 'IPv6 listener: Mailstop listens on one address (listen.address); set it to :: for both families');
    const changes = [set(`listen.${listener}`, port)];
    const addr = opts.get('addr');
    if (addr && !mtaAddressSet) { changes.push(set('listen.address', addr)); mtaAddressSet = true; }
    add(line, src, changes);
  }
}
