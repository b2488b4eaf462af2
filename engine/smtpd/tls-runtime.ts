// The TLS material all listeners share, kept current while running: a changed
// tls.* setting is picked up at the next connection, a replaced file within
// RECHECK_MS. New material that does not pass the checks is logged and ignored —
// the running server keeps its last good certificate (issue 6 "Bad input").
// Also writes the Sendmail TLS line for every handshake. Never writes files.
import type { TLSSocket } from 'node:tls';
import type { SMTPServer } from 'smtp-server';
import type { Settings } from '../config/schema.ts';
import { tlsLogLine, verifyVerdict, type VerifyVerdict } from '../tls/log-line.ts';
import { TlsConfigError } from '../tls/material.ts';
import { loadTls, tlsStamp, type LoadedTls } from './tls.ts';

/** How often the certificate files' modification times are looked at (a renewal, e.g. certbot). */
const RECHECK_MS = 10_000;

export interface TlsRuntime {
  /** Load at listen (again if tls.* changed); throws TlsConfigError for unusable material. */
  init(): Promise<LoadedTls | null>;
  current(): LoadedTls | null;
  /** Servers whose secure context follows reloads. */
  attach(server: SMTPServer): void;
  /** Cheap; call per connection. Starts a reload in the background when something changed. */
  poke(): void;
  /** Log the handshake and return the client-certificate verdict. */
  handshake(socket: TLSSocket, remoteAddress: string): VerifyVerdict;
}

export function createTlsRuntime(deps: { settings: () => Settings; home: string; log: (text: string) => void }): TlsRuntime {
  let loaded: LoadedTls | null = null;
  let lastSettings = '';
  let lastStamp = '';
  let lastCheck = 0;
  let busy = false;
  const servers: SMTPServer[] = [];

  const report = (l: LoadedTls | null) => {
    for (const w of l?.warnings ?? []) deps.log(`TLS: ${w.path}: ${w.message}`);
  };

  async function reload(): Promise<void> {
    const tls = deps.settings().tls;
    lastSettings = JSON.stringify(tls);
    lastCheck = Date.now();
    const stamp = await tlsStamp(tls, deps.home);
    if (stamp === lastStamp) return;
    lastStamp = stamp;
    try {
      const next = await loadTls(tls, deps.home);
      if (!next) {
        deps.log('TLS: no certificate configured any more; STARTTLS is no longer offered');
        loaded = null;
        return;
      }
      for (const s of servers) s.updateSecureContext(next.options);
      loaded = next;
      deps.log('TLS: certificate material reloaded');
      report(next);
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err;
      deps.log(`TLS: new material refused, keeping the previous one: ${err.message}`);
    }
  }

  return {
    async init() {
      const tls = deps.settings().tls;
      if (lastStamp && JSON.stringify(tls) === lastSettings) return loaded;
      const stamp = await tlsStamp(tls, deps.home);
      const next = await loadTls(tls, deps.home);
      for (const s of servers) if (next) s.updateSecureContext(next.options);
      loaded = next;
      lastSettings = JSON.stringify(tls);
      lastStamp = stamp;
      lastCheck = Date.now();
      report(loaded);
      return loaded;
    },
    current: () => loaded,
    attach(server) { servers.push(server); },
    poke() {
      if (busy) return;
      const changed = JSON.stringify(deps.settings().tls) !== lastSettings;
      if (!changed && Date.now() - lastCheck < RECHECK_MS) return;
      busy = true;
      reload().catch((err: unknown) => deps.log(`TLS: reload failed: ${(err as Error).message}`)).finally(() => { busy = false; });
    },
    handshake(socket, remoteAddress) {
      deps.log(tlsLogLine('server', `[${remoteAddress}]`, socket));
      return verifyVerdict(socket);
    },
  };
}
