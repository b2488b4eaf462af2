// The engine's one DNS client: MX / A / AAAA / TXT lookups through node's c-ares
// resolver, pointed at `dns.servers` ("ip" or "ip:port") so tests and odd networks
// can use a loopback server. Failures become a classified DnsError so callers can
// tell "this name does not exist" (permanent) from "ask again later" (temporary).
// It never caches (c-ares does not either) and never reads /etc/hosts: mail
// routing follows DNS, not the local host table.
import { promises as dnsPromises } from 'node:dns';
import { durationMs, type Settings } from '../config/schema.ts';

export type DnsSettings = Settings['dns'];

export type DnsErrorKind = 'nxdomain' | 'nodata' | 'temporary';

/** A failed lookup, classified by what a mailer should do about it. */
export class DnsError extends Error {
  constructor(
    public readonly kind: DnsErrorKind,
    public override readonly name: string,
    /** The resolver's code (ENOTFOUND, ENODATA, ETIMEOUT, ESERVFAIL, ...). */
    public readonly code: string,
  ) {
    super(`${code} ${name}`);
  }
  // `name` is the looked-up domain, so Error's own name is reported via toString.
  override toString(): string { return `DnsError(${this.kind}): ${this.message}`; }
}

export interface MxAnswer { exchange: string; priority: number }

export interface Dns {
  resolveMx(name: string): Promise<MxAnswer[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  /** Each record's strings joined, as SPF/DNSBL readers want them. */
  resolveTxt(name: string): Promise<string[]>;
  /** A and AAAA together (IPv4 first); nodata only when the name has neither. */
  resolveHost(name: string): Promise<string[]>;
  /** PTR names of an IP address (in-addr.arpa / ip6.arpa), for Received: and access checks. */
  reverse(ip: string): Promise<string[]>;
}

// c-ares retries a query `tries` times, each with its own timeout; two tries
// survive one lost UDP packet while keeping the whole lookup within the setting.
const TRIES = 2;
// c-ares rejects a timeout of 0; 0s in the settings means "as short as possible".
const MIN_TIMEOUT_MS = 50;

export function classify(err: unknown, name: string): DnsError {
  const code = (err as { code?: unknown })?.code;
  const c = typeof code === 'string' ? code : 'EUNKNOWN';
  // ENOTFOUND is c-ares' NXDOMAIN; ENODATA is "name exists, no such record" (RFC 2308 NODATA).
  if (c === 'ENOTFOUND') return new DnsError('nxdomain', name, c);
  if (c === 'ENODATA') return new DnsError('nodata', name, c);
  // SERVFAIL, timeouts, refused, connection errors: nothing permanent can be concluded.
  return new DnsError('temporary', name, c);
}

export function createDns(settings: () => DnsSettings): Dns {
  let cachedKey = '';
  let cached: dnsPromises.Resolver | null = null;

  // Settings may change at run time (EngineApi.updateSettings); rebuild on change.
  const resolver = (): dnsPromises.Resolver => {
    const s = settings();
    const k = JSON.stringify([s.servers, s.timeout]);
    if (cached && k === cachedKey) return cached;
    const total = Math.max(durationMs(s.timeout), MIN_TIMEOUT_MS);
    const r = new dnsPromises.Resolver({ timeout: Math.max(Math.floor(total / TRIES), MIN_TIMEOUT_MS), tries: TRIES });
    if (s.servers.length > 0) r.setServers(s.servers); // "ip", "ip:port", "[v6]:port" as node accepts them
    cached = r;
    cachedKey = k;
    return r;
  };

  const run = async <T>(name: string, fn: (r: dnsPromises.Resolver, n: string) => Promise<T>): Promise<T> => {
    const n = name.replace(/\.$/, '');
    try {
      return await fn(resolver(), n);
    } catch (err) {
      if (err instanceof DnsError) throw err;
      if ((err as { code?: unknown })?.code === undefined) throw err; // a bug, not a DNS answer
      throw classify(err, n);
    }
  };

  const dns: Dns = {
    resolveMx: (name) => run(name, (r, n) => r.resolveMx(n)),
    resolve4: (name) => run(name, (r, n) => r.resolve4(n)),
    resolve6: (name) => run(name, (r, n) => r.resolve6(n)),
    reverse: (ip) => run(ip, (r, n) => r.reverse(n)),
    resolveTxt: (name) => run(name, async (r, n) => (await r.resolveTxt(n)).map((parts) => parts.join(''))),
    async resolveHost(name) {
      const [v4, v6] = await Promise.allSettled([dns.resolve4(name), dns.resolve6(name)]);
      const out: string[] = [];
      if (v4.status === 'fulfilled') out.push(...v4.value);
      if (v6.status === 'fulfilled') out.push(...v6.value);
      if (out.length > 0) return out;
      const errors = [v4, v6].map((s) => (s as PromiseRejectedResult).reason);
      // Worst first: one temporary failure means we cannot say the host has no address.
      const temp = errors.find((e) => e instanceof DnsError && e.kind === 'temporary');
      if (temp) throw temp;
      const nx = errors.find((e) => e instanceof DnsError && e.kind === 'nxdomain');
      if (nx) throw nx;
      const other = errors.find((e) => !(e instanceof DnsError));
      if (other) throw other;
      throw new DnsError('nodata', name.replace(/\.$/, ''), 'ENODATA');
    },
  };
  return dns;
}

