// "Will the big mailbox providers accept our mail?" (issue 15): looks up the
// published DKIM, SPF and DMARC records of one sending domain through the
// engine's resolvers and says in words what is right and what to fix — the DKIM
// record matches our key; SPF lets this server (or the smart host) send for the
// domain; DMARC exists and our signatures align with From:. A DNS failure is
// reported as "could not check", never as "wrong". Reads key files; never writes.
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type { Settings } from '../config/schema.ts';
import { DnsError, type Dns } from '../dns/resolver.ts';
import { mailauthResolver } from './dns.ts';
import { DkimError, publicValueOf, zoneLine } from './dkim-keys.ts';

type DmarcRecord = { p?: string; adkim?: string; aspf?: string; rr?: string; isOrgRecord?: boolean; d?: string };
// mailauth's DMARC record lookup (with the organisational-domain fallback) ships without typings.
// Required when asked, like the SPF check: mailauth is not loaded by a server that never asks.
const getDmarcRecord = (domain: string, resolver: (name: string, rr: string) => Promise<unknown>): Promise<false | DmarcRecord> =>
  (createRequire(import.meta.url)('mailauth/lib/dmarc/get-dmarc-record.js') as typeof getDmarcRecord)(domain, resolver);

import type { ReadinessItem } from '../types/dkim.ts';

export type { ReadinessItem };

export interface ReadinessDeps { settings: Settings; dns: Dns; home: string }

const WILDCARDS = new Set(['0.0.0.0', '::', '', '127.0.0.1', '::1']);

/** p= of a DKIM record (whitespace inside the base64 removed), or null. */
function pValue(record: string): string | null {
  const m = /(?:^|;)\s*p\s*=\s*([^;]*)/i.exec(record);
  return m ? m[1].replace(/\s+/g, '') : null;
}

const dnsWords = (err: unknown): string =>
  err instanceof DnsError ? (err.kind === 'temporary' ? `the lookup failed (${err.code}); try again later` : 'no such record') : String(err);

export async function checkReadiness(domain: string, deps: ReadinessDeps): Promise<ReadinessItem[]> {
  return [...await checkDkim(domain, deps), ...await checkSpfRecord(domain, deps), ...await checkDmarc(domain, deps)];
}

async function checkDkim(domain: string, { settings, dns, home }: ReadinessDeps): Promise<ReadinessItem[]> {
  const config = settings.dkim.domains[domain];
  if (!config || config.keys.length === 0) {
    return [{ level: 'error', item: 'dkim', detail: `${domain} has no DKIM key, so its mail is not signed`, fix: `mailstop dkim keygen ${domain}` }];
  }
  const items: ReadinessItem[] = [];
  if (!config.sign) items.push({ level: 'warn', item: 'dkim', detail: `signing is switched off for ${domain}`, fix: `mailstop dkim enable ${domain}` });
  for (const key of config.keys) {
    const name = `${key.selector}._domainkey.${domain}`;
    const role = key.signing ? 'signing key' : 'retired key (still published)';
    let ours: string;
    try {
      ours = await publicValueOf(home, key);
    } catch (err) {
      if (!(err instanceof DkimError)) throw err;
      items.push({ level: 'error', item: 'dkim', detail: `${role} ${key.selector}: ${err.message}`, fix: `mailstop dkim keygen ${domain} (a new key), then publish its record` });
      continue;
    }
    const want = zoneLine(domain, key.selector, key.type, ours);
    let records: string[];
    try {
      records = (await dns.resolveTxt(name)).filter((r) => /v\s*=\s*DKIM1|p\s*=/i.test(r));
    } catch (err) {
      const temporary = err instanceof DnsError && err.kind === 'temporary';
      items.push({ level: temporary ? 'warn' : 'error', item: 'dkim', detail: `${role} ${key.selector}: no DKIM record at ${name} (${dnsWords(err)})`, ...(temporary ? {} : { fix: want }) });
      continue;
    }
    if (records.length === 0) {
      items.push({ level: 'error', item: 'dkim', detail: `${role} ${key.selector}: ${name} has no DKIM record`, fix: want });
    } else if (records.some((r) => pValue(r) === ours)) {
      items.push({ level: 'ok', item: 'dkim', detail: `${role} ${key.selector} (${key.type}): the record at ${name} matches the key` });
    } else {
      items.push({ level: 'error', item: 'dkim', detail: `${role} ${key.selector}: the record at ${name} does not match the key (another key is published there)`, fix: want });
    }
  }
  return items;
}

/** The addresses our mail leaves from: the smart host's, or this server's (listen.address, else the host name's A/AAAA). */
async function sendingAddresses(settings: Settings, dns: Dns): Promise<{ who: string; ips: string[]; error?: string }> {
  const sh = settings.smartHost;
  const host = sh ? sh.host.replace(/^\[|\]$/g, '') : settings.hostname;
  const who = sh ? `the smart host ${host}` : `this server (${host})`;
  if (!sh && !WILDCARDS.has(settings.listen.address) && isIP(settings.listen.address)) return { who, ips: [settings.listen.address] };
  if (isIP(host)) return { who, ips: [host] };
  try {
    return { who, ips: await dns.resolveHost(host) };
  } catch (err) {
    return { who, ips: [], error: `cannot find the address of ${host}: ${dnsWords(err)}` };
  }
}

async function checkSpfRecord(domain: string, { settings, dns }: ReadinessDeps): Promise<ReadinessItem[]> {
  let spfRecords: string[];
  try {
    spfRecords = (await dns.resolveTxt(domain)).filter((r) => /^v=spf1(\s|$)/i.test(r));
  } catch (err) {
    if (err instanceof DnsError && err.kind === 'temporary') return [{ level: 'warn', item: 'spf', detail: `could not look up the SPF record of ${domain}: ${dnsWords(err)}` }];
    spfRecords = [];
  }
  const from = await sendingAddresses(settings, dns);
  const mechanism = from.ips.map((ip) => `${isIP(ip) === 6 ? 'ip6' : 'ip4'}:${ip}`).join(' ') || 'ip4:YOUR.ADDRESS';
  if (spfRecords.length === 0) {
    return [{ level: 'error', item: 'spf', detail: `${domain} publishes no SPF record`, fix: `${domain}. IN TXT "v=spf1 ${mechanism} ~all"` }];
  }
  if (spfRecords.length > 1) {
    return [{ level: 'error', item: 'spf', detail: `${domain} publishes ${spfRecords.length} SPF records; receivers treat that as an error (RFC 7208 §3.2)`, fix: 'merge them into one v=spf1 record' }];
  }
  if (from.error || from.ips.length === 0) return [{ level: 'warn', item: 'spf', detail: `SPF record found, but ${from.error ?? 'no sending address is known'}` }];
  const items: ReadinessItem[] = [];
  const resolver = mailauthResolver(dns);
  for (const ip of from.ips) {
    // Loaded here: the readiness check is a person's question, not the server's daily work.
    const { spf: checkSpf } = await import('mailauth/lib/spf/index.js');
    const res = await checkSpf({ sender: `postmaster@${domain}`, ip, helo: settings.hostname, mta: settings.hostname, resolver } as never) as { status?: { result?: string } };
    const result = res?.status?.result ?? 'none';
    if (result === 'pass') {
      items.push({ level: 'ok', item: 'spf', detail: `the SPF record of ${domain} lets ${from.who} send from ${ip}` });
    } else if (result === 'temperror') {
      items.push({ level: 'warn', item: 'spf', detail: `could not evaluate the SPF record of ${domain} for ${ip} (a DNS lookup failed); try again later` });
    } else {
      items.push({
        level: 'error', item: 'spf',
        detail: `the SPF record of ${domain} does not allow ${from.who} at ${ip} (result: ${result}): receivers will treat our mail as forged`,
        fix: `add ${isIP(ip) === 6 ? 'ip6' : 'ip4'}:${ip} to "${spfRecords[0]}"`,
      });
    }
  }
  return items;
}

async function checkDmarc(domain: string, { settings, dns }: ReadinessDeps): Promise<ReadinessItem[]> {
  let rec: false | DmarcRecord;
  try {
    rec = await getDmarcRecord(domain, mailauthResolver(dns));
  } catch (err) {
    return [{ level: 'warn', item: 'dmarc', detail: `could not look up the DMARC record of ${domain}: ${dnsWords(err)}` }];
  }
  const suggest = `_dmarc.${domain}. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@${domain}"`;
  if (!rec) return [{ level: 'error', item: 'dmarc', detail: `${domain} publishes no DMARC record (the big providers require one)`, fix: suggest }];
  const items: ReadinessItem[] = [];
  const p = (rec.p ?? 'none').toLowerCase();
  const where = rec.isOrgRecord ? ` (inherited from ${rec.d ?? 'the organisational domain'})` : '';
  items.push(p === 'none'
    ? { level: 'warn', item: 'dmarc', detail: `DMARC record found${where} with p=none: receivers only report, nothing is protected yet`, fix: 'once reports show all your mail passes, move to p=quarantine' }
    : { level: 'ok', item: 'dmarc', detail: `DMARC record found${where}: p=${p}` });
  // We sign with d=<domain>: aligned with From: @domain (and, relaxed, its subdomains).
  const config = settings.dkim.domains[domain];
  if (config?.sign && config.keys.some((k) => k.signing)) {
    items.push({ level: 'ok', item: 'dmarc', detail: `DKIM aligns: mail from @${domain} is signed with d=${domain}${rec.adkim === 's' ? ' (strict alignment: From: subdomains would not align)' : ''}` });
  } else {
    items.push({ level: 'error', item: 'dmarc', detail: `DKIM does not align: mail from @${domain} is not signed with d=${domain}`, fix: `mailstop dkim keygen ${domain}` });
  }
  return items;
}
