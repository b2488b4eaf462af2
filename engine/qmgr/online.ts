// The online gate (issue 3 §2, issue 10 §2): does this machine reach its next hop?
// For a smart host, a TCP connect + EHLO; for direct MX, DNS through the configured
// resolvers plus a TCP connect; `none` = always online. Re-checked with backoff
// while offline, every delivery.online.recheckOnline while online, at once on
// network-interface changes, on networkChanged() and when a delivery could not
// reach its next hop (recheckAfter). A network that flaps is damped: an online
// spell shorter than STABLE_MS does not reset the offline backoff, so probes (and
// the flush each return to online brings) come ever less often, up to recheckOnline.
// Owns only the online/offline state and when it last changed; what going
// online means for the queue (credit offline time, flush) is qmgr's, told
// through onChange. Never delivers mail.
import net from 'node:net';
import os from 'node:os';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { OnlineState } from '../contracts.ts';
import { durationMs, type Settings } from '../config/schema.ts';
import type { Clock } from '../contracts.ts';
import { DnsError, type Dns } from '../dns/resolver.ts';
import { bracketed, findMailHosts } from '../transports/mx.ts';

export interface ProbeResult { online: boolean; reason: string }

export interface GateDeps {
  settings: () => Settings;
  clock: Clock;
  dns: Dns;
  hostname: () => string;
  /** State changed. `offlineFrom` is set when we came online: the offline spell's start. */
  onChange: (state: OnlineState, offlineFrom: number | null) => void;
  log: (text: string) => void;
}

// First re-check after going offline; doubles up to delivery.online.recheck (default
// 1 s), which keeps "reachable again → first message sent" within the 2 s aim of
// issue 3. While truly offline a probe fails at once (no route), so this costs nothing.
const FIRST_RECHECK_MS = 250;
// An online spell shorter than this was a flap, not a return: the offline backoff keeps
// growing (up to recheckOnline) instead of starting again at FIRST_RECHECK_MS. Long
// enough to outlast a flush's first round of connections, short enough that a laptop
// that really came back and lost the network again a minute later starts afresh.
const STABLE_MS = 30_000;
// os.networkInterfaces() has no change event; polling it is one cheap syscall.
const INTERFACE_POLL_MS = 2000;

/** A probe failure in words a person can act on (the status line's reason). */
function describeError(err: unknown): string {
  const e = err as { code?: string; originalCode?: string; message?: string; response?: string };
  if (e?.response) return e.response;
  // nodemailer re-labels socket errors (ESOCKET) and keeps the system code aside.
  const code = e?.originalCode ?? e?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT') return 'timed out';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'network unreachable';
  return e?.message ?? String(err);
}

/** Resolve through OUR resolvers (dns.servers), not the system's: that is what delivery will use. */
async function addressesOf(host: string, dns: Dns): Promise<string[]> {
  const inside = bracketed(host) ?? host;
  if (net.isIP(inside)) return [inside];
  return dns.resolveHost(inside);
}

function tcpConnect(address: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const done = (err?: Error) => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err); else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => done());
    socket.once('error', done);
  });
}

function ehlo(address: string, port: number, s: Settings, servername: string, timeoutMs: number): Promise<void> {
  const sh = s.smartHost!;
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: address, port, secure: sh.tls === 'implicit', ignoreTLS: true, name: s.hostname,
      connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
      // A reachability probe: certificate checks belong to the delivery, not here.
      tls: { servername: net.isIP(servername) ? undefined : servername, rejectUnauthorized: false },
    });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      conn.close();
      reject(err);
    };
    // Socket errors (refused, timed out) arrive as 'error' events, not through the
    // connect callback; a close before the greeting arrives through the callback.
    conn.on('error', fail);
    conn.on('end', () => fail(new Error('connection closed before EHLO was answered')));
    conn.connect((err?: Error | null) => {
      if (err) { fail(err); return; }
      if (settled) return;
      settled = true;
      conn.quit();
      resolve();
    });
  });
}

/** One probe of the next hop the settings imply. Network and DNS failures are reasons; only a bug throws (OnlineGate.check catches it). */
export async function probe(s: Settings, dns: Dns): Promise<ProbeResult> {
  const o = s.delivery.online;
  const timeout = durationMs(s.delivery.connectTimeout);
  if (o.probe === 'none') return { online: true, reason: 'no probe configured: assumed online' };
  if (o.probe === 'smarthost' && s.smartHost) {
    const sh = s.smartHost;
    const where = `${sh.host}:${sh.port}`;
    let addrs: string[];
    try {
      addrs = await addressesOf(sh.host, dns);
    } catch (err) {
      if (err instanceof DnsError || (err as { code?: unknown })?.code) return { online: false, reason: `cannot resolve ${sh.host.replace(/^\[|\]$/g, '')}` };
      throw err;
    }
    try {
      await ehlo(addrs[0], sh.port, s, bracketed(sh.host) ?? sh.host, timeout);
      return { online: true, reason: `smart host ${where} answered EHLO` };
    } catch (err) {
      // A server that answers, even "421 try later" forever, is reachable: that is a
      // delivery problem, retried with backoff and counted toward queueReturn, not
      // "offline" (which would hold the mail forever without counting its age).
      const reply = (err as { response?: string })?.response;
      if (typeof reply === 'string' && /^[2345]\d\d/.test(reply)) {
        return { online: true, reason: `smart host ${where} is reachable but answered: ${reply.replace(/\s+/g, ' ').trim()}` };
      }
      return { online: false, reason: `smart host ${where}: ${describeError(err)}` };
    }
  }
  // Direct MX ('dns', or 'smarthost' without a smart host): the probe host's mail server.
  const target = o.probeHost.trim();
  if (!target) return { online: true, reason: 'no probe host set (delivery.online.probeHost): assumed online' };
  const found = await findMailHosts(target, dns).catch((err: Error) => ({ ok: false as const, reply: err.message }));
  if (!found.ok) return { online: false, reason: `cannot resolve ${target}` };
  const host = found.hosts[0];
  let addrs: string[];
  try {
    addrs = host.addresses ?? await dns.resolveHost(host.name);
  } catch {
    return { online: false, reason: `cannot resolve ${host.name}` };
  }
  const port = s.delivery.remotePort;
  try {
    await tcpConnect(addrs[0], port, timeout);
    return { online: true, reason: `${host.name} [${addrs[0]}]:${port} accepted a connection` };
  } catch (err) {
    return { online: false, reason: `${host.name} [${addrs[0]}]:${port}: ${describeError(err)}` };
  }
}

function interfaceSignature(): string {
  const all = os.networkInterfaces();
  return Object.keys(all).sort().map((k) => `${k}=${(all[k] ?? []).map((a) => a.address).sort().join(',')}`).join(';');
}

export class OnlineGate {
  private current: OnlineState;
  private offlineFrom: number | null = null;
  private probing: Promise<OnlineState> | null = null;
  private timers = true;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private ifaceTimer: NodeJS.Timeout | undefined;
  private retryDelay = FIRST_RECHECK_MS;
  private interfaces = '';
  private settled = false;
  /** When the probe in flight started, and when the last finished one did (recheckAfter). */
  private probeStarted = 0;
  private lastProbeStarted = -Infinity;
  /** When we last came online; a short spell before going offline again is a flap. */
  private onlineAt: number | null = null;

  constructor(private readonly deps: GateDeps) {
    const probing = deps.settings().delivery.online.probe !== 'none';
    // Until the first probe answers we attempt nothing; this unknown spell is not "offline time".
    this.current = { online: !probing, since: deps.clock.now(), reason: probing ? 'checking the next hop' : 'no probe configured: assumed online' };
  }

  isOnline(): boolean { return this.current.online; }
  /** Start of the current offline spell, or null while online. */
  offlineSince(): number | null { return this.offlineFrom; }
  state(): OnlineState { return { ...this.current }; }

  async start(opts: { timers?: boolean } = {}): Promise<void> {
    this.timers = opts.timers !== false;
    this.stopped = false;
    if (this.timers) {
      this.interfaces = interfaceSignature();
      this.ifaceTimer = setInterval(() => {
        const sig = interfaceSignature();
        if (sig === this.interfaces) return;
        this.interfaces = sig;
        void this.check('network interfaces changed');
      }, INTERFACE_POLL_MS);
      this.ifaceTimer.unref();
    }
    // The first probe may take up to connectTimeout on a black-holed network: do not block start-up.
    void this.check('start');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.ifaceTimer);
  }

  /**
   * A delivery that started at `since` could not reach its next hop. A probe that
   * started after that (in flight or finished) already answers the question; only
   * otherwise probe again. So a hundred failures at once cost one probe, and a
   * failure is never judged by a probe older than itself. Resolves with "online?".
   */
  async recheckAfter(why: string, since: number): Promise<boolean> {
    if (!this.current.online) return false;
    if (this.probing && this.probeStarted >= since) return (await this.probing).online;
    if (!this.probing && this.lastProbeStarted >= since) return this.current.online;
    return (await this.check(why)).online;
  }

  /**
   * Probe now (concurrent callers share one probe) and return the resulting state.
   * Never rejects: callers fire and forget it. A probe that throws (a failure that
   * is not a DNS answer nor a socket error, i.e. a bug) counts as offline with its
   * message as the reason, so the re-check is scheduled and the gate never sticks.
   */
  check(why: string): Promise<OnlineState> {
    if (this.probing) return this.probing;
    this.probeStarted = this.deps.clock.now();
    this.probing = (async () => {
      let result: ProbeResult;
      try {
        result = await probe(this.deps.settings(), this.deps.dns);
      } catch (err) {
        result = { online: false, reason: (err as Error)?.message ?? String(err) };
      }
      if (!this.stopped) this.apply(result, why);
      return this.state();
    })().finally(() => {
      this.lastProbeStarted = this.probeStarted;
      this.probing = null;
    });
    return this.probing;
  }

  private apply(r: ProbeResult, why: string): void {
    const now = this.deps.clock.now();
    // The first answer after "checking" is news even when it is "offline" (logs it, starts the spell).
    const changed = r.online !== this.current.online || (!this.settled && !r.online);
    this.settled = true;
    const o = this.deps.settings().delivery.online;
    const onlineEvery = durationMs(o.recheckOnline);
    let flap = '';
    if (changed && !r.online && this.onlineAt !== null) {
      const spell = now - this.onlineAt;
      if (spell < STABLE_MS) {
        // Damping: keep backing off; the cap rises to recheckOnline while it flaps.
        flap = `; online for only ${Math.max(1, Math.round(spell / 1000))} s, so the network looks unsteady: next check in ${fmtDelay(this.retryDelay)}`;
      } else {
        this.retryDelay = FIRST_RECHECK_MS;
      }
    }
    if (changed) {
      const cameFrom = r.online ? (this.offlineFrom ?? now) : null;
      this.current = { online: r.online, since: now, reason: r.reason };
      this.offlineFrom = r.online ? null : now;
      this.onlineAt = r.online ? now : null;
      this.deps.log(`${r.online ? 'online' : 'offline'}: ${r.reason} (${why})${flap}`);
      this.deps.onChange(this.state(), cameFrom);
    } else {
      this.current = { ...this.current, reason: r.reason };
    }
    clearTimeout(this.retryTimer);
    if (!this.timers || this.stopped) return;
    if (r.online) {
      // While online: a slow re-check, so a hop that went away is seen even when no mail fails.
      this.retryTimer = setTimeout(() => { void this.check('regular re-check while online'); }, onlineEvery);
    } else {
      const delay = this.retryDelay;
      // Flapping (flap set, or still backing off from one): allow up to recheckOnline.
      const cap = flap || this.retryDelay > durationMs(o.recheck) ? Math.max(durationMs(o.recheck), onlineEvery) : durationMs(o.recheck);
      this.retryDelay = Math.min(this.retryDelay * 2, cap);
      this.retryTimer = setTimeout(() => { void this.check('re-check while offline'); }, delay);
    }
    this.retryTimer.unref();
  }
}

function fmtDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
