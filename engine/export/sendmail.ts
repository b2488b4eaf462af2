// `mailstop export sendmail DIR`: Mailstop's settings as a sendmail.mc and the
// text sources of the /etc/mail maps, so that leaving is as easy as arriving.
// The .mc builds with Sendmail's own macros (Debian's sendmail-cf:
// `m4 /usr/share/sendmail/cf/m4/cf.m4 sendmail.mc > sendmail.cf`), and
// `mailstop import sendmail DIR` reads it back into the same settings. What a
// Sendmail configuration cannot say is listed in `notes` (and in the .mc as
// comments). Pure: returns file contents; the CLI writes them.
import type { Settings } from '../config/schema.ts';

export interface ExportFile { name: string; text: string; mode?: number }
export interface SendmailExport { files: ExportFile[]; notes: string[] }

/** m4 quoting: `value'. A quote character inside would end it early, so those values are refused by the caller's notes. */
const q = (v: string | number): string => `\`${v}'`;
const define = (name: string, v: string | number): string => `define(${q(name)}, ${q(v)})dnl`;
const hasQuote = (v: string): boolean => /[`']/.test(v);

/** 192.168.0.0/24 → "192.168.0" (relay-domains takes partial addresses, not CIDR). */
function partialNetwork(entry: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(8|16|24|32)$/.exec(entry);
  if (!m) return /\//.test(entry) ? null : entry;
  const octets = Number(m[5]) / 8;
  return m.slice(1, 1 + octets).join('.');
}

export function exportSendmail(s: Settings): SendmailExport {
  const notes: string[] = [];
  const mc: string[] = [
    // dnl, not #: sendmail's cf.m4 turns m4 comments off, so a # line is output text that m4 still scans.
    'dnl # sendmail.mc written by "mailstop export sendmail". Build it with:',
    'dnl #   m4 /usr/share/sendmail/cf/m4/cf.m4 sendmail.mc > sendmail.cf',
    'dnl # and each map with makemap, e.g.: makemap hash mailertable < mailertable',
    `VERSIONID(${q('mailstop export')})dnl`,
    `OSTYPE(${q('linux')})dnl`,
    define('confDOMAIN_NAME', s.hostname),
  ];
  const dv = (name: string, v: string | number): void => {
    if (typeof v === 'string' && hasQuote(v)) { notes.push(`${name}: the value ${JSON.stringify(v)} contains an m4 quote character; not written`); return; }
    mc.push(define(name, v));
  };
  if (s.smartHost) {
    const h = s.smartHost.host.startsWith('[') ? s.smartHost.host : `[${s.smartHost.host}]`;
    dv('SMART_HOST', `relay:${h}`);
    if (s.smartHost.port !== 25) dv('RELAY_MAILER_ARGS', `TCP $h ${s.smartHost.port}`);
    if (s.smartHost.tls === 'implicit') notes.push('smartHost.tls implicit (SMTPS): Sendmail needs a custom mailer for that; STARTTLS is used');
    if (s.smartHost.requireTls) notes.push('smartHost.requireTls: add "TLS_Srv:<host> ENCR:128" to access by hand');
  }
  // Sendmail's DeliveryMode names; keyed by Mailstop's modes so a renamed mode shows up here as a note.
  const SENDMAIL_MODE: Record<string, string> = { whenonline: 'background', queueonly: 'queueonly', deferred: 'deferred' };
  const mode = SENDMAIL_MODE[s.delivery.mode as string];
  if (mode) dv('confDELIVERY_MODE', mode);
  else notes.push(`delivery.mode ${s.delivery.mode}: no Sendmail DeliveryMode of that name; Sendmail's default (background) applies`);
  dv('confTO_QUEUEWARN', s.delivery.queueWarn);
  dv('confTO_QUEUERETURN', s.delivery.queueReturn);
  dv('confDOUBLE_BOUNCE_ADDRESS', s.delivery.doubleBounce);
  if (s.localDelivery.luserRelay) dv('LUSER_RELAY', s.localDelivery.luserRelay);
  if (!s.localDelivery.readHomeForward || !s.localDelivery.forwardEnabled) dv('confFORWARD_PATH', '');
  dv('confPRIVACY_FLAGS', s.smtp.privacy.length ? s.smtp.privacy.join(',') : 'public');
  dv('confSMTP_LOGIN_MSG', s.smtp.greeting);
  if (!s.smtp.help) dv('HELP_FILE', '');
  dv('confMAX_MESSAGE_SIZE', s.smtp.maxMessageSize);
  dv('confMAX_RCPTS_PER_MESSAGE', s.smtp.maxRcptsPerMessage);
  dv('confBAD_RCPT_THROTTLE', s.smtp.badRcptThrottle);
  dv('confMAX_DAEMON_CHILDREN', s.smtp.maxDaemonChildren);
  dv('confMAX_HEADERS_LENGTH', s.smtp.maxHeadersLength);
  dv('confMIN_FREE_BLOCKS', s.smtp.minFreeBlocks);
  const tls: [string, string][] = [['confSERVER_CERT', s.tls.cert], ['confSERVER_KEY', s.tls.key], ['confCACERT', s.tls.ca], ['confDH_PARAMETERS', s.tls.dhParams], ['confCIPHER_LIST', s.tls.ciphers]];
  for (const [name, v] of tls) {
    if (!v) continue;
    if (name !== 'confCIPHER_LIST' && !v.startsWith('/')) notes.push(`${name}: ${v} is relative to Mailstop's data directory; give Sendmail an absolute path`);
    dv(name, v);
  }
  if (s.rewrite.masqueradeAs) mc.push(`MASQUERADE_AS(${q(s.rewrite.masqueradeAs)})dnl`);
  if (s.rewrite.masqueradeEntireDomain) mc.push(`FEATURE(${q('masquerade_entire_domain')})dnl`);
  if (s.rewrite.masqueradeEnvelope) mc.push(`FEATURE(${q('masquerade_envelope')})dnl`);
  if (s.rewrite.alwaysAddDomain) mc.push(`FEATURE(${q('always_add_domain')})dnl`);
  const map = (feature: string, file: string): string => `FEATURE(${q(feature)}, ${q(`hash -o /etc/mail/${file}`)})dnl`;
  mc.push(map('genericstable', 'genericstable'), map('mailertable', 'mailertable'), map('virtusertable', 'virtusertable'));
  mc.push(`FEATURE(${q('access_db')}, ${q('hash -T<TMPF> -o /etc/mail/access')})dnl`, map('authinfo', 'authinfo'));
  if (s.antispam.delayChecks !== 'off') mc.push(`FEATURE(${q('delay_checks')}${s.antispam.delayChecks === 'on' ? '' : `, ${q(s.antispam.delayChecks)}`})dnl`);
  for (const l of s.antispam.dnsbl) {
    if (hasQuote(l.message)) { notes.push(`dnsbl ${l.zone}: the message contains an m4 quote character; Sendmail's default message is used`); }
    const msg = hasQuote(l.message) ? '' : `"550 ${l.message}"`;
    const tf = l.tempfail ? 't' : '';
    if (l.enhanced || l.match.length) {
      const match = l.match.map((m) => (m.endsWith('.') ? `${m}$-` : `${m}.`));
      mc.push(`FEATURE(${[q('enhdnsbl'), q(l.zone), q(msg), q(tf), ...match.map(q)].join(', ')})dnl`);
    } else mc.push(`FEATURE(${[q('dnsbl'), q(l.zone), q(msg), ...(tf ? [q(tf)] : [])].join(', ')})dnl`);
  }
  const ports: [string, number | false, string][] = [['MTA', s.listen.smtp, ''], ['MSA', s.listen.submission, ', M=Ea'], ['SMTPS', s.listen.smtps, ', M=s']];
  for (const [name, port, mods] of ports) if (port !== false) mc.push(`DAEMON_OPTIONS(${q(`Port=${port}, Addr=${s.listen.address}, Name=${name}${mods}`)})dnl`);
  mc.push(`FEATURE(${q('no_default_msa')})dnl`);
  if (s.localDelivery.agent === 'pipe') {
    const [path, ...rest] = s.localDelivery.command.trim().split(/\s+/);
    mc.push(`FEATURE(${q('local_procmail')}, ${q(path)}, ${q(`procmail ${rest.join(' ')}`)})dnl`);
  } else if (s.localDelivery.agent === 'maildir') notes.push("localDelivery.agent maildir: Sendmail's local mailer writes mbox files in /var/mail; use procmail or a Maildir-capable LDA");
  mc.push(`MAILER(${q('local')})dnl`, `MAILER(${q('smtp')})dnl`);
  if (s.localDelivery.agent === 'pipe') mc.push(`MAILER(${q('procmail')})dnl`);
  if (s.users.length) notes.push(`users (${s.users.length}): SMTP AUTH accounts are not exported; Sendmail takes them from Cyrus SASL (saslpasswd2)`);
  if (s.dns.servers.length) notes.push('dns.servers: Sendmail uses the system resolver (/etc/resolv.conf)');
  notes.push('delivery.queueRun / slowQueue: run "sendmail -q" from cron on the same schedule');

  const files: ExportFile[] = [];
  const table = (rows: string[]): string => ['# written by mailstop export', ...rows].join('\n') + '\n';
  files.push({ name: 'local-host-names', text: table(s.domains.local) });
  const relay: string[] = [];
  for (const r of s.domains.relay) {
    const p = partialNetwork(r);
    if (p === null) notes.push(`domains.relay ${r}: relay-domains takes whole octets only (/8, /16, /24); not written`);
    else relay.push(p);
  }
  files.push({ name: 'relay-domains', text: table(relay) });
  files.push({ name: 'access', text: table(s.access.map((a) => `${a.key}\t${a.action}`)) });
  const routes: string[] = [];
  for (const r of s.routes) {
    if (r.port !== undefined && r.mailer !== 'error' && r.port !== 25) notes.push(`route ${r.domain}: port ${r.port} cannot be said in mailertable; written without it`);
    routes.push(`${r.domain}\t${r.mailer}:${r.host}`);
  }
  files.push({ name: 'mailertable', text: table(routes) });
  files.push({ name: 'virtusertable', text: table(Object.entries(s.virtual ?? {}).map(([k, t]) => `${k}\t${t.join(',')}`)) });
  files.push({ name: 'genericstable', text: table(Object.entries(s.rewrite.generics).map(([k, v]) => `${k}\t${v}`)) });
  const auth = s.smartHost?.auth;
  const authHost = s.smartHost?.host.replace(/^\[|\]$/g, '');
  files.push({ name: 'authinfo', mode: 0o600, text: table(auth ? [`AuthInfo:${authHost}\t"U:${auth.user}" "I:${auth.user}" "P:${auth.pass}" "M:PLAIN LOGIN"`] : []) });
  files.push({ name: 'aliases', text: table(Object.entries(s.aliases).map(([n, t]) => `${n}: ${t.join(', ')}`)) });
  for (const [user, lines] of Object.entries(s.forwards)) files.push({ name: `forward/${user}`, text: lines.join('\n') + '\n' });
  if (notes.length) mc.push('dnl # Not expressible in Sendmail (from mailstop export):', ...notes.map((n) => `dnl #   ${n.replace(/[`']/g, '"')}`));
  files.unshift({ name: 'sendmail.mc', text: mc.join('\n') + '\n' });
  return { files, notes };
}
