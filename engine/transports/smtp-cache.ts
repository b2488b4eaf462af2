// The SMTP connection cache (Postfix's scache): after a transaction an
// SMTPConnection may be parked here, idle, for the next message to the same
// (address, port, TLS policy, AUTH identity, EHLO name), so a busy relay does not
// pay connect + greeting + EHLO (+ STARTTLS + AUTH) + QUIT for every message.
// It owns only the idle connections: how many, for how long, and closing them.
// It never talks SMTP beyond a polite QUIT at eviction, and never decides whether
// a connection is fit for reuse (smtp-session.ts verifies with RSET first).
import { createHash } from 'node:crypto';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';

// Postfix's smtp_connection_cache_time_limit is 2 s, its scache idle limit 300 s; a few
// seconds covers a burst of mail to one destination (a queue run, a relay flood)
// without holding a remote server's slot long after the burst. Many servers drop
// idle clients after 30–60 s anyway, and the RSET check catches one that did.
export const IDLE_MS = 5_000;

// A connection reused forever drifts from the server's view (limits per session,
// Postfix's smtp_connection_reuse_count_limit is unlimited but its time limit is
// 300 s): after this many transactions we QUIT and start a fresh one.
export const MAX_USES = 100;

/** What one parked connection carries besides the socket: how often it was used. */
export interface Reusable {
  conn: SMTPConnection;
  uses: number;
  /** When it was parked (Date.now()); take() fills it in. */
  idleSince?: number;
}

interface Idle extends Reusable {
  timer: NodeJS.Timeout;
  onEnd: () => void;
}

export interface CacheKeyParts {
  ip: string;
  port: number;
  tls: string;
  helo: string;
  auth?: { user: string; pass: string };
}

/** One key per (ip, port, tls, helo, auth): a connection authenticated as alice never carries bob's mail. */
export function cacheKey(p: CacheKeyParts): string {
  // The password is part of the identity (a changed password must not ride an old
  // session), hashed so the key does not keep another copy of the secret in memory dumps.
  const auth = p.auth ? `${p.auth.user}:${createHash('sha256').update(p.auth.pass).digest('hex')}` : '';
  return JSON.stringify([p.ip, p.port, p.tls, p.helo.toLowerCase(), auth]);
}

export class ConnectionCache {
  private readonly idle = new Map<string, Idle[]>();

  /** perKey: at most this many idle connections per key (read at each park: settings may change). */
  constructor(private readonly perKey: () => number, private readonly idleMs = IDLE_MS) {}

  /** An idle connection for key, newest first (least likely to have been timed out by the peer). */
  take(key: string): Reusable | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const x = list.pop()!;
      this.unwatch(x);
      if (list.length === 0) this.idle.delete(key);
      if (!isClosed(x.conn)) return { conn: x.conn, uses: x.uses, idleSince: x.idleSince };
    }
    return undefined;
  }

  /** Park a connection after a transaction; false when it is not wanted (caller QUITs it). */
  put(key: string, r: Reusable): boolean {
    if (isClosed(r.conn) || r.uses >= MAX_USES) return false;
    const list = this.idle.get(key) ?? [];
    if (list.length >= Math.max(0, this.perKey())) return false;
    const x: Idle = {
      ...r,
      idleSince: Date.now(),
      // The peer may hang up while we idle (its own timeout): forget the connection then.
      onEnd: () => this.forget(key, x),
      timer: setTimeout(() => { this.forget(key, x); politeClose(x.conn); }, this.idleMs),
    };
    x.timer.unref();
    x.conn.once('end', x.onEnd);
    list.push(x);
    this.idle.set(key, list);
    return true;
  }

  /** Idle connections across all keys (tests, status). */
  get size(): number {
    let n = 0;
    for (const l of this.idle.values()) n += l.length;
    return n;
  }

  /** QUIT every idle connection (engine stop); connections in use are not ours to close. */
  closeIdle(): void {
    for (const [key, list] of this.idle) {
      for (const x of list) { this.unwatch(x); politeClose(x.conn); }
      this.idle.delete(key);
    }
  }

  private forget(key: string, x: Idle): void {
    this.unwatch(x);
    const list = this.idle.get(key);
    if (!list) return;
    const i = list.indexOf(x);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.idle.delete(key);
  }

  private unwatch(x: Idle): void {
    clearTimeout(x.timer);
    x.conn.removeListener('end', x.onEnd);
  }
}

interface ConnState { _destroyed?: boolean; _closing?: boolean }

export function isClosed(conn: SMTPConnection): boolean {
  const s = conn as unknown as ConnState;
  return !!(s._destroyed || s._closing);
}

// An evicted connection gets this long for its 221; nobody waits for it.
const QUIT_WAIT_MS = 2000;

/** QUIT without waiting; hang up if the peer does not answer soon. */
export function politeClose(conn: SMTPConnection): void {
  if (isClosed(conn)) return;
  const timer = setTimeout(() => conn.close(), QUIT_WAIT_MS);
  timer.unref();
  conn.once('end', () => clearTimeout(timer));
  conn.on('error', () => undefined); // a reset during QUIT is of no interest
  conn.quit();
}
