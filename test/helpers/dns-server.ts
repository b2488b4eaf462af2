// A real loopback DNS server (dns2) for tests: serves MX / A / AAAA / TXT / PTR
// from an in-memory zone, answers NXDOMAIN for unknown names, SERVFAIL for names
// marked with fail(), and nothing at all while down() (the resolver times out —
// what a laptop without network sees). UDP and TCP listen on the same port, so
// "127.0.0.1:PORT" works in `dns.servers` even when a reply is truncated to TCP.
// It never recurses and never touches the system resolver.
import dns2 from 'dns2';
import type { AddressInfo } from 'node:net';

const { Packet, UDPServer, TCPServer } = dns2;

export interface MxRecord { priority: number; exchange: string }

/** Records of one name. An empty object = the name exists with no records (NODATA). */
export interface NameRecords {
  mx?: MxRecord[];
  a?: string[];
  aaaa?: string[];
  /** Each entry is one TXT record; an array is one record of several strings. */
  txt?: (string | string[])[];
  ptr?: string[];
}

/** name → records; names are case-insensitive, a trailing dot is ignored. */
export type ZoneRecords = Record<string, NameRecords>;

export interface DnsQuery { name: string; type: string }

export interface DnsServer {
  address: string;
  port: number;
  /** "127.0.0.1:PORT", ready for `settings.dns.servers`. */
  server: string;
  /** Replace the records of one name. */
  set(name: string, records: NameRecords): void;
  /** Remove one name (it becomes NXDOMAIN). */
  remove(name: string): void;
  /** Forget every name, fail() mark and recorded query; answer again if down. */
  clear(): void;
  /** Answer SERVFAIL for this name (all types) until clear() or unfail(). */
  fail(name: string): void;
  unfail(name: string): void;
  /** Stop answering anything (queries time out) / answer again. */
  down(): void;
  up(): void;
  /** Every query seen, in order (name lower-cased, type as "MX", "A", ...). */
  queries: DnsQuery[];
  stop(): Promise<void>;
}

// One hour: the TTL is irrelevant to node's resolver (it does not cache), any value works.
const TTL = 3600;
// Binding UDP and TCP to the same ephemeral port can collide with another test's
// TCP listener; a handful of fresh attempts makes that vanishingly unlikely.
const BIND_ATTEMPTS = 8;

// RFC 1035 §4.1.1 response codes (dns2's typings lack Packet.RCODE).
const RCODE = { SERVFAIL: 2, NXDOMAIN: 3 } as const;

const key = (name: string): string => name.toLowerCase().replace(/\.$/, '');

const TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Packet.TYPE as Record<string, number>).map(([k, v]) => [v, k]),
);

export async function startDnsServer(records: ZoneRecords = {}): Promise<DnsServer> {
  const zone = new Map<string, NameRecords>();
  const failing = new Set<string>();
  const queries: DnsQuery[] = [];
  let isDown = false;
  for (const [name, r] of Object.entries(records)) zone.set(key(name), r);

  const answer = (request: any, send: (response: any) => void): void => {
    const [question] = request.questions ?? [];
    if (!question) return;
    const name = key(question.name);
    queries.push({ name, type: TYPE_NAMES[question.type] ?? String(question.type) });
    if (isDown) return; // silence: the client's own timeout is the point
    const response: any = Packet.createResponseFromRequest(request);
    // We are the authority for every name we serve (AA), and we never recurse.
    response.header.aa = 1;
    response.header.ra = 0;
    if (failing.has(name)) {
      response.header.rcode = RCODE.SERVFAIL;
      send(response);
      return;
    }
    const r = zone.get(name);
    if (!r) {
      response.header.rcode = RCODE.NXDOMAIN;
      send(response);
      return;
    }
    const base = { name: question.name, class: Packet.CLASS.IN, ttl: TTL };
    const T = Packet.TYPE;
    switch (question.type) {
      case T.MX:
        for (const mx of r.mx ?? []) response.answers.push({ ...base, type: T.MX, priority: mx.priority, exchange: mx.exchange });
        break;
      case T.A:
        for (const address of r.a ?? []) response.answers.push({ ...base, type: T.A, address });
        break;
      case T.AAAA:
        for (const address of r.aaaa ?? []) response.answers.push({ ...base, type: T.AAAA, address });
        break;
      case T.TXT:
        for (const data of r.txt ?? []) response.answers.push({ ...base, type: T.TXT, data });
        break;
      case T.PTR:
        for (const domain of r.ptr ?? []) response.answers.push({ ...base, type: T.PTR, domain });
        break;
      default:
        break; // NOERROR with no answers: NODATA
    }
    send(response);
  };

  const { udp, tcp, port } = await bindBoth(answer);
  const address = '127.0.0.1';
  return {
    address,
    port,
    server: `${address}:${port}`,
    queries,
    set(name, r) { zone.set(key(name), r); },
    remove(name) { zone.delete(key(name)); },
    clear() { zone.clear(); failing.clear(); queries.length = 0; isDown = false; },
    fail(name) { failing.add(key(name)); },
    unfail(name) { failing.delete(key(name)); },
    down() { isDown = true; },
    up() { isDown = false; },
    async stop() {
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => {
          tcp.close(() => resolve());
          // Open TCP connections would keep close() waiting for their idle timeout.
          (tcp as any).closeAllConnections?.();
        }),
      ]);
    },
  };
}

async function bindBoth(handler: (req: any, send: (res: any) => void) => void) {
  let lastError: unknown;
  for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    const udp = new UDPServer();
    udp.on('request', handler);
    udp.on('requestError', () => { /* malformed packet from a test: ignore */ });
    await udp.listen(0, '127.0.0.1');
    const port = (udp.address() as AddressInfo).port;
    const tcp = new TCPServer();
    const sockets = new Set<import('node:net').Socket>();
    tcp.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    (tcp as any).closeAllConnections = () => { for (const s of sockets) s.destroy(); };
    tcp.on('request', handler);
    tcp.on('requestError', () => { /* ignore, as above */ });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => { tcp.off('error', reject); resolve(); });
      });
      return { udp, tcp, port };
    } catch (err) {
      lastError = err;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  throw lastError;
}
