// Connection accounting for the SMTP listeners, after Postfix's anvil(8) and
// Sendmail's ClientConnLimit / ConnectionRateThrottle: who may open one more
// session, and which sessions to let go when a pool is under stress.
//
// Two pools, so that strangers on port 25 cannot lock people out of submission:
//   smtp        the MTA port              smtp.maxDaemonChildren
//   submission  submission and smtps     smtp.maxSubmissionChildren
// Per client address (both pools together): at most smtp.clientConnLimit sessions
// at once and smtp.clientConnRate new connections per minute (0 = no limit). The
// local machine (127.0.0.1, ::1) is exempt from the per-client limits, as
// Postfix exempts $mynetworks: local programs and scripts submit in bursts.
//
// Stress (Postfix's stress-adaptive behaviour, STRESS_README): when a pool is at
// least STRESS_FILL full, idle sessions get STRESS_IDLE_MS instead of the normal
// 5-minute wait for their next command. "Idle" is measured from the last complete
// command, not the last byte, so a client dripping one byte at a time does not
// keep its slot. Sessions in DATA are never cut here.
//
// Owns only numbers and the decision; smtpd sends the replies and closes sockets.
// Kept apart from connection-hooks.ts (smtp-server internals) on purpose.
import { bareIp } from '../config/access-map.ts';
import type { ListenerName } from './session.ts';

export type Pool = 'smtp' | 'submission';

/** Postfix's anvil_rate_time_unit: rates are counted over a sliding minute. */
export const RATE_WINDOW_MS = 60_000;
/** A pool this full (3/4 of its slots) is under stress. */
export const STRESS_FILL = 0.75;
/** Postfix's smtpd_timeout under stress (`${stress?{10}:{300}}s`). */
export const STRESS_IDLE_MS = 10_000;

export interface AnvilLimits {
  maxDaemonChildren: number;
  maxSubmissionChildren: number;
  clientConnLimit: number;
  clientConnRate: number;
}

export type Admission =
  | { ok: true }
  | { ok: false; limit: 'pool' | 'concurrency' | 'rate'; count: number; max: number; setting: string };

interface Session { pool: Pool; client: string; lastCommand: number; inData: boolean }

export const poolOf = (daemon: ListenerName): Pool => (daemon === 'smtp' ? 'smtp' : 'submission');

/** The local machine: never limited per client (see header). */
const exempt = (client: string) => client === '127.0.0.1' || client === '::1';

export class Anvil {
  private readonly sessions = new Map<string, Session>();
  /** Per client: start times of connections within the last RATE_WINDOW_MS. */
  private readonly arrivals = new Map<string, number[]>();

  constructor(private readonly limits: () => AnvilLimits, private readonly now: () => number = Date.now) {}

  private poolMax(pool: Pool): { max: number; setting: string } {
    const l = this.limits();
    return pool === 'smtp'
      ? { max: l.maxDaemonChildren, setting: 'smtp.maxDaemonChildren' }
      : { max: l.maxSubmissionChildren, setting: 'smtp.maxSubmissionChildren' };
  }

  inPool(pool: Pool): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.pool === pool) n++;
    return n;
  }

  private ofClient(client: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.client === client) n++;
    return n;
  }

  /**
   * May this connection begin? Counted at once when it may, so simultaneous arrivals
   * cannot all slip in; every connection attempt counts toward the rate, refused or not
   * (Postfix anvil counts connections, not sessions).
   */
  admit(id: string, daemon: ListenerName, address: string): Admission {
    const client = bareIp(address);
    const pool = poolOf(daemon);
    const l = this.limits();
    const t = this.now();
    let rate = 0;
    if (!exempt(client) && l.clientConnRate > 0) {
      const recent = (this.arrivals.get(client) ?? []).filter((at) => t - at < RATE_WINDOW_MS);
      recent.push(t);
      this.arrivals.set(client, recent);
      rate = recent.length;
      this.forgetOld(t);
    }
    const { max, setting } = this.poolMax(pool);
    const inPool = this.inPool(pool);
    if (inPool >= max) return { ok: false, limit: 'pool', count: inPool, max, setting };
    if (!exempt(client)) {
      if (l.clientConnRate > 0 && rate > l.clientConnRate) {
        return { ok: false, limit: 'rate', count: rate, max: l.clientConnRate, setting: 'smtp.clientConnRate' };
      }
      const open = this.ofClient(client);
      if (l.clientConnLimit > 0 && open >= l.clientConnLimit) {
        return { ok: false, limit: 'concurrency', count: open + 1, max: l.clientConnLimit, setting: 'smtp.clientConnLimit' };
      }
    }
    this.sessions.set(id, { pool, client, lastCommand: t, inData: false });
    return { ok: true };
  }

  release(id: string): void {
    this.sessions.delete(id);
  }

  /** A complete command arrived (the session is not idle). */
  command(id: string): void {
    const s = this.sessions.get(id);
    if (s) s.lastCommand = this.now();
  }

  /** The message transfer began or ended (DATA is never cut as idle). */
  data(id: string, inData: boolean): void {
    const s = this.sessions.get(id);
    if (s) {
      s.inData = inData;
      s.lastCommand = this.now();
    }
  }

  underStress(pool: Pool): boolean {
    return this.inPool(pool) >= Math.max(1, Math.ceil(this.poolMax(pool).max * STRESS_FILL));
  }

  /** Sessions of stressed pools without a complete command for STRESS_IDLE_MS: to be closed. */
  idleUnderStress(): string[] {
    const t = this.now();
    const stressed = new Set((['smtp', 'submission'] as const).filter((p) => this.underStress(p)));
    if (stressed.size === 0) return [];
    const out: string[] = [];
    for (const [id, s] of this.sessions) {
      if (stressed.has(s.pool) && !s.inData && t - s.lastCommand >= STRESS_IDLE_MS) out.push(id);
    }
    return out;
  }

  /** Drop rate records of clients not seen for a window, so the map stays small. */
  private forgetOld(t: number): void {
    if (this.arrivals.size < 1024) return;
    for (const [client, times] of this.arrivals) {
      if (times.length === 0 || t - times[times.length - 1] >= RATE_WINDOW_MS) this.arrivals.delete(client);
    }
  }
}

/** The 421 text naming the limit (Postfix: "4.7.0 Error: too many connections from ..."). */
export function refusalText(hostname: string, address: string, a: Exclude<Admission, { ok: true }>): { enhanced: string; text: string } {
  const client = `[${bareIp(address)}]`;
  switch (a.limit) {
    case 'pool':
      return { enhanced: '4.3.2', text: `${hostname} Too many concurrent SMTP connections (${a.setting} ${a.max}); please try again later` };
    case 'concurrency':
      return { enhanced: '4.7.0', text: `${hostname} Too many concurrent connections from ${client} (${a.setting} ${a.max}); please try again later` };
    case 'rate':
      return { enhanced: '4.7.0', text: `${hostname} Too many connections from ${client} in the last minute (${a.setting} ${a.max}); please try again later` };
  }
}
