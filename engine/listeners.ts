// The engine's SMTP listeners as one set that can be rebound while running
// (updateSettings changing `listen.*`). Owns which ports are open and the swap
// from the old set to the new one; never speaks SMTP (smtpd does).
//
// smtpd closes its listeners all at once, so a rebind builds a fresh smtpd with
// every listener: the ones that did not change are reopened on the port they are
// bound to (port 0 keeps its number), the changed ones on their new port. Ports
// are probed first, so the usual failure ("port in use") changes nothing at all.
// The old smtpd stops accepting at once; its sessions get smtpd's close grace to
// finish (then a 421, so clients retry: nothing they sent was acknowledged).
import net from 'node:net';
import type { FieldError, Listener } from './contracts.ts';
import type { Settings } from './config/schema.ts';
import type { Smtpd } from './smtpd/index.ts';

type ListenSettings = Settings['listen'];
type Name = 'smtp' | 'submission' | 'smtps';
const NAMES: readonly Name[] = ['smtp', 'submission', 'smtps'];

/**
 * A port we held a moment ago is free once its socket is closed, which libuv does
 * at the end of the current loop turn: a few short retries cover that, and never
 * wait long when something else really took the port.
 */
const REBIND_TRIES = 10;
const REBIND_PAUSE_MS = 20;

export interface ListenerSetDeps {
  /** A new smtpd wired to the engine's stages. */
  make: () => Smtpd;
  log: (text: string) => void;
}

interface Want { name: Name; address: string; port: number; held: boolean }

/** One line naming the field, the way updateSettings reports it. */
export function bindError(err: unknown, name: Name, address: string, port: number): FieldError {
  const e = err as NodeJS.ErrnoException;
  // smtpd's own refusals already name their field ("listen.smtps: implicit TLS needs ...").
  const own = /^(listen\.\w+): (.*)$/.exec(e.message ?? '');
  if (own) return { path: own[1], message: own[2] };
  switch (e.code) {
    case 'EADDRINUSE': return { path: `listen.${name}`, message: `${hostPort(address, port)} is in use` };
    case 'EACCES': return { path: `listen.${name}`, message: `port ${port} needs privileges (below 1024: root or CAP_NET_BIND_SERVICE)` };
    case 'EADDRNOTAVAIL': return { path: 'listen.address', message: `${address} is not an address of this machine` };
    default: return { path: `listen.${name}`, message: `cannot listen on ${address} port ${port}: ${e.message ?? String(err)}` };
  }
}

const hostPort = (address: string, port: number) => (net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`);

/**
 * A listener that could not open at start-up, naming its field the way
 * updateSettings does (`listen.smtp: 127.0.0.1:2525 is in use`); `code` is the
 * socket error's (EADDRINUSE, EACCES, ...) so callers can pick an exit status.
 */
export class ListenError extends Error {
  constructor(public readonly field: FieldError, public readonly code: string | undefined) {
    super(`${field.path}: ${field.message}`);
    this.name = 'ListenError';
  }
}

/** Bind and release a plain socket: is address:port free right now? */
function probe(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: address, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ListenerSet {
  private smtpd: Smtpd | null = null;
  private bound: Listener[] = [];
  private readonly draining = new Set<Promise<void>>();

  constructor(private readonly deps: ListenerSetDeps) {}

  get current(): Listener[] { return [...this.bound]; }

  /** At start: every configured listener, or an error (nothing left open). */
  async open(listen: ListenSettings): Promise<void> {
    const wants = NAMES.flatMap((name): Want[] => (listen[name] === false ? [] : [{ name, address: listen.address, port: listen[name] as number, held: false }]));
    const r = await this.bindAll(wants);
    if ('error' in r) throw new ListenError(r.error, (r.cause as NodeJS.ErrnoException).code);
    this.smtpd = r.smtpd;
    this.bound = r.listeners;
  }

  /**
   * Apply a change of `listen.*`. Resolves with [] when the new listeners are open
   * (or nothing changed), or with the field error while the old ones stay open.
   */
  async rebind(prev: ListenSettings, next: ListenSettings): Promise<FieldError[]> {
    if (!this.smtpd) return [];
    const boundPort = (name: Name) => this.bound.find((l) => l.name === name)?.port;
    const wants: Want[] = [];
    let changed = false;
    for (const name of NAMES) {
      const same = prev[name] === next[name] && prev.address === next.address;
      if (!same) changed = true;
      if (next[name] === false) continue;
      const held = boundPort(name);
      wants.push(same && held !== undefined
        ? { name, address: next.address, port: held, held: true }
        : { name, address: next.address, port: next[name] as number, held: this.bound.some((l) => l.port === next[name]) });
    }
    if (!changed) return [];

    // Probe what is new to us: a port in use elsewhere fails here, before anything moves.
    for (const w of wants) {
      if (w.held || w.port === 0) continue;
      try {
        await probe(w.address, w.port);
      } catch (err) {
        return [bindError(err, w.name, w.address, w.port)];
      }
    }

    const old = this.smtpd;
    const oldListeners = this.bound;
    this.drain(old);
    const r = await this.bindAll(wants);
    if (!('error' in r)) {
      this.smtpd = r.smtpd;
      this.bound = r.listeners;
      for (const l of r.listeners) this.deps.log(`listening: ${l.name} on ${l.address}:${l.port}`);
      return [];
    }
    // Put the old set back where it was; its ports were ours a moment ago.
    const back = await this.bindAll(oldListeners.map((l) => ({ name: l.name as Name, address: l.address, port: l.port, held: true })));
    if ('error' in back) {
      this.smtpd = null;
      this.bound = [];
      this.deps.log(`could not reopen the previous listeners either: ${(back.cause as Error).message}; not listening`);
    } else {
      this.smtpd = back.smtpd;
      this.bound = back.listeners;
    }
    return [r.error];
  }

  /** Stop every listener and wait for sessions (smtpd's grace), old sets included. */
  async close(): Promise<void> {
    if (this.smtpd) this.drain(this.smtpd);
    this.smtpd = null;
    this.bound = [];
    await Promise.all([...this.draining]);
  }

  private drain(smtpd: Smtpd): void {
    const p = smtpd.close().finally(() => { this.draining.delete(p); });
    this.draining.add(p);
  }

  private async bindAll(wants: Want[]): Promise<{ smtpd: Smtpd; listeners: Listener[] } | { error: FieldError; cause: unknown }> {
    const smtpd = this.deps.make();
    const listeners: Listener[] = [];
    for (const w of wants) {
      for (let tries = 1; ; tries++) {
        try {
          listeners.push(await smtpd.listen(w.name, w.address, w.port));
          break;
        } catch (err) {
          if (w.held && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && tries < REBIND_TRIES) {
            await pause(REBIND_PAUSE_MS);
            continue;
          }
          await smtpd.close();
          return { error: bindError(err, w.name, w.address, w.port), cause: err };
        }
      }
    }
    return { smtpd, listeners };
  }
}
