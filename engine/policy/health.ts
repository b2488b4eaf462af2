// The Overview's health check: what an attacker or a remote MTA would notice
// first about this server. Pure: it judges settings, the listeners and facts the
// caller gathered (certificate check, relay probe, smart host probe, DNSBL zone
// probes); engine/security-api.ts gathers them. Never does I/O.
import { isIP } from 'node:net';
import type { EngineStatus } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';
import { compileAccessMap } from '../config/access-map.ts';
import type { TlsCheck } from '../tls/material.ts';
import type { HealthItem } from '../types/security.ts';

export type { HealthItem, HealthLevel } from '../types/security.ts';

export interface HealthFacts {
  tls?: TlsCheck & { configured: boolean };
  /** Would a stranger relay? (engine/policy/relay.ts testRelay from a TEST-NET address). */
  relayProbe?: { relayed: boolean; reply: string };
  smartHost?: { ok: boolean; detail: string };
  /** DNSBL zones that did not answer their RFC 5782 test entry (127.0.0.2). */
  dnsblDead?: { index: number; zone: string; detail: string }[];
}

const isLoopback = (a: string) => a === 'localhost' || a === '::1' || /^127\./.test(a);

/** Relay entries wide enough to include much of the internet: shorter than /8 (v4) or /16 (v6). */
function tooWide(entry: string): boolean {
  const [ip, prefix] = entry.split('/');
  if (prefix === undefined) return false;
  return ip.includes(':') ? Number(prefix) < 16 : Number(prefix) < 8;
}

/**
 * Who may relay, in words. Network/IP entries of domains.relay are client networks;
 * domain entries are Sendmail relay-domains: mail *to* them is relayed for anyone
 * (we are their backup MX or gateway), and clients in them may relay.
 */
export function relaySummary(relay: readonly string[]): string {
  const networks = relay.filter((e) => isIP(e.split('/')[0].trim()) !== 0);
  const domains = relay.filter((e) => e.trim() !== '' && isIP(e.split('/')[0].trim()) === 0);
  const who = ['the local machine', 'authenticated users'];
  if (networks.length) who.push(`${networks.length} client network(s)`);
  let text = `relaying only for ${who.slice(0, -1).join(', ')} and ${who[who.length - 1]}`;
  if (domains.length) text += `, and for anyone to the relay domain(s) ${domains.join(', ')} and their subdomains`;
  return text;
}

export function healthCheck(settings: Settings, status: Pick<EngineStatus, 'listeners'>, facts: HealthFacts = {}): HealthItem[] {
  const items: HealthItem[] = [];
  const publicPorts = status.listeners.filter((l) => l.name !== 'console' && !isLoopback(l.address));
  const exposed = publicPorts.length > 0;

  // --- open relay --------------------------------------------------------------
  const wide = settings.domains.relay.filter(tooWide);
  const access = compileAccessMap(settings.access);
  const relayEveryone = access.connect({ address: '198.51.100.1' })?.kind === 'RELAY';
  if (facts.relayProbe?.relayed || relayEveryone) {
    items.push({ level: 'error', item: 'open-relay', field: relayEveryone ? 'access' : 'domains.relay',
      detail: `a stranger (198.51.100.1) can relay: ${facts.relayProbe?.reply ?? 'Connect: RELAY matches it'}` });
  } else if (wide.length > 0) {
    items.push({ level: exposed ? 'error' : 'warn', item: 'open-relay', field: 'domains.relay',
      detail: `relay networks cover much of the internet: ${wide.join(', ')}` });
  } else {
    items.push({ level: 'ok', item: 'open-relay', detail: relaySummary(settings.domains.relay) });
  }

  // --- certificate ------------------------------------------------------------
  const tls = facts.tls;
  if (tls && tls.configured) {
    for (const e of tls.errors) items.push({ level: 'error', item: e.path === 'tls.dhParams' ? 'dh-params' : 'certificate', field: e.path, detail: e.message });
    for (const w of tls.warnings) items.push({ level: 'warn', item: 'certificate', field: w.path, detail: w.message });
    if (tls.info && tls.errors.length === 0) {
      if (tls.info.selfSigned && exposed) {
        items.push({ level: 'warn', item: 'certificate', field: 'tls.cert',
          detail: `self-signed certificate on a public port (${publicPorts.map((l) => `${l.name} ${l.address}:${l.port}`).join(', ')}); mail clients will complain` });
      } else if (tls.warnings.length === 0) {
        items.push({ level: 'ok', item: 'certificate', detail: `${tls.info.subject}, valid ${tls.info.daysLeft} more days${tls.info.selfSigned ? ' (self-signed)' : ''}` });
      }
    }
    if (!settings.tls.dhParams) {
      items.push({ level: 'warn', item: 'dh-params', field: 'tls.dhParams',
        detail: 'no DH parameters of our own: DHE ciphers use OpenSSL\'s built-in group (Logjam advice: generate 2048-bit parameters)' });
    }
  } else if (exposed) {
    items.push({ level: 'warn', item: 'certificate', field: 'tls.cert', detail: 'no certificate: STARTTLS is not offered on a public port, mail arrives unencrypted' });
  }
  if (settings.listen.smtps !== false && !(tls?.configured && tls.errors.length === 0)) {
    items.push({ level: 'error', item: 'certificate', field: 'listen.smtps', detail: 'SMTPS is enabled but there is no usable certificate' });
  }

  // --- AUTH -------------------------------------------------------------------
  const tlsUsable = !!tls?.configured && tls.errors.length === 0;
  if (settings.users.length > 0 && !tlsUsable) {
    items.push({ level: 'warn', item: 'auth', field: 'tls.cert',
      detail: `${settings.users.length} user(s) cannot log in: AUTH is offered only after TLS, and there is no usable certificate` });
  } else if (settings.users.length > 0) {
    items.push({ level: 'ok', item: 'auth', detail: 'AUTH (PLAIN, LOGIN) offered only inside TLS, on submission and SMTPS' });
  }

  // --- smart host -------------------------------------------------------------
  if (settings.smartHost && facts.smartHost) {
    items.push({ level: facts.smartHost.ok ? 'ok' : 'warn', item: 'smart-host', field: 'smartHost.host', detail: facts.smartHost.detail });
  }

  // --- DNSBL ------------------------------------------------------------------
  for (const d of facts.dnsblDead ?? []) {
    items.push({ level: 'warn', item: 'dnsbl', field: `antispam.dnsbl[${d.index}].zone`, detail: `${d.zone}: ${d.detail}` });
  }

  // --- privacy ------------------------------------------------------------------
  const privacy = new Set(settings.smtp.privacy);
  if (exposed && !privacy.has('goaway') && !(privacy.has('novrfy') && privacy.has('noexpn'))) {
    items.push({ level: 'warn', item: 'privacy', field: 'smtp.privacy', detail: 'VRFY/EXPN answer strangers on a public port (set novrfy and noexpn, or goaway)' });
  }
  return items;
}
