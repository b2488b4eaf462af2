// `mailstop serve`: run the engine headless for one data directory, through
// the host (engine/host: pid lock, control sockets, maildrop pickup, console)
// that the desktop app runs too; prints one line per listener; stops gracefully
// on SIGINT/SIGTERM. Holds no mail logic.
import fsp from 'node:fs/promises';
import { ConfigError, loadSettings } from '../config/load.ts';
import { HostBusyError, PidLockError, startHost, type Host } from '../host/index.ts';
import { prepare, type Command } from './context.ts';
import { EX_CANTCREAT, EX_CONFIG, EX_OK, EX_SOFTWARE, EX_TEMPFAIL, EX_UNAVAILABLE, UsageError } from './exit-codes.ts';
import { err, out, type CliIo } from './io.ts';

/** Resolves with the first SIGINT/SIGTERM; a second one while stopping exits at once. */
function untilSignal(io: CliIo): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = () => { err(io, 'stopping at once'); process.exit(EX_TEMPFAIL); };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function runServe(home: string, io: CliIo): Promise<number> {
  await fsp.mkdir(home, { recursive: true });
  try {
    await loadSettings(home); // a bad config.json: one line, before any lock or socket
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.lines) err(io, line);
    return EX_CONFIG;
  }
  let host: Host;
  try {
    host = await startHost({ home, console: true });
  } catch (e) {
    if (e instanceof HostBusyError) {
      err(io, e.message);
      return EX_TEMPFAIL;
    }
    if (e instanceof PidLockError) {
      err(io, e.message);
      return EX_CANTCREAT;
    }
    if (e instanceof ConfigError) {
      err(io, e.message);
      return EX_CONFIG;
    }
    const code = (e as NodeJS.ErrnoException).code;
    // ListenError's message names the field: "listen.smtp: 127.0.0.1:2525 is in use".
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      err(io, (e as Error).name === 'ListenError' ? (e as Error).message : `cannot listen: ${(e as Error).message}`);
      return EX_UNAVAILABLE;
    }
    // Not an address of this machine: the setting is wrong, not the moment.
    if (code === 'EADDRNOTAVAIL' && (e as Error).name === 'ListenError') {
      err(io, (e as Error).message);
      return EX_CONFIG;
    }
    // Everything after "ready" waits for a signal, so this is a start that failed
    // (e.g. "listen.smtps: implicit TLS needs tls.cert and tls.key"): say so in one line.
    if (!(e instanceof Error)) throw e;
    err(io, `cannot start: ${e.message}`);
    return EX_SOFTWARE;
  }
  try {
    const status = await host.engine.status();
    for (const l of status.listeners) out(io, `mailstop: ${l.name} listening on ${l.address}:${l.port}`);
    if (host.consoleUrl) out(io, `mailstop: console at ${host.consoleUrl} (listening on ${host.consoleListening})`);
    if (host.consoleError) err(io, `console not started: ${host.consoleError}`);
    if (host.publicSocket) out(io, `mailstop: local users' socket at ${host.publicSocket}`);
    out(io, `mailstop: ready (pid ${process.pid}, home ${home})`);
    const sig = await untilSignal(io);
    out(io, `mailstop: ${sig}: stopping`);
    return EX_OK;
  } finally {
    // Console and sockets first, so nobody talks to an engine that is stopping; the lock last.
    await host.close().catch((e: Error) => err(io, `while stopping: ${e.message}`));
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the engine (SMTP listeners, queue, console) for one data directory',
  usage: `usage: mailstop serve [--home DIR]
  Runs until SIGINT/SIGTERM. Prints one line per listener and "mailstop: ready" once started.
  Settings: DIR/config.json (mailstop config check). One engine per DIR (DIR/run/engine.pid).`,
  async run(args, ctx) {
    const p = prepare(args, {}, this, ctx);
    if (!p) return EX_OK;
    if (p.positional.length) throw new UsageError(`unexpected argument: ${p.positional[0]}`, this.usage);
    return runServe(p.home, ctx.io);
  },
};
