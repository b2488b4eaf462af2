// `mailstop serve`: run the engine headless for one data directory. Takes the
// pid lock (one engine per home), starts the engine, the control socket every
// other command talks to, and the console when it is built; prints one line per
// listener; stops gracefully on SIGINT/SIGTERM. Holds no mail logic.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { EngineApi } from '../api.ts';
import { ConfigError, loadSettings } from '../config/load.ts';
import { isLoopbackAddress } from '../config/names.ts';
import { readTlsFiles } from '../tls/material.ts';
import type { Settings } from '../config/schema.ts';
import { serveControl } from './control-socket.ts';
import { prepare, type Command } from './context.ts';
import { EX_CONFIG, EX_OK, EX_SOFTWARE, EX_TEMPFAIL, EX_UNAVAILABLE, UsageError } from './exit-codes.ts';
import { err, out, type CliIo } from './io.ts';
import { controlSocketPath, pidPath } from './paths.ts';
import { acquirePidLock } from './pid-lock.ts';

interface Closable { close(): Promise<void> }

/** The console (engine/console, issue 4) when it is present: it is built beside the CLI. */
async function startConsoleIfPresent(api: EngineApi, settings: Settings, home: string, io: CliIo): Promise<Closable | null> {
  if (settings.console.port === false) return null;
  const url = new URL('../console/index.ts', import.meta.url);
  if (!fs.existsSync(url)) return null;
  const mod = (await import(url.href)) as { startConsole?: typeof import('../console/index.ts').startConsole };
  if (!mod.startConsole) return null;
  const { address, port, allowPlainHttp } = settings.console;
  try {
    // Off loopback the console speaks HTTPS with the mail certificate (issue 11 §5).
    const files = isLoopbackAddress(address) ? null : await readTlsFiles(settings.tls, home);
    const handle = await mod.startConsole(api, {
      address, port, home, allowPlainHttp,
      ...(files ? { tls: { cert: files.cert, key: files.key } } : {}),
      ...(settings.hostname !== 'localhost' && !isLoopbackAddress(address) ? { names: [settings.hostname] } : {}),
    });
    out(io, `mailstop: console at ${handle.url} (listening on ${handle.listening})`);
    return handle;
  } catch (e) {
    // Mail keeps flowing without the console; say why it is missing, naming the field.
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `console.port: ${address}:${port} is in use` : (e as Error).message;
    err(io, `console not started: ${why}`);
    return null;
  }
}

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
  let settings: Settings;
  try {
    settings = await loadSettings(home);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.lines) err(io, line);
    return EX_CONFIG;
  }
  const lock = await acquirePidLock(pidPath(home));
  if (!lock.ok) {
    err(io, `an engine is already running for ${home} (pid ${lock.pid})`);
    return EX_TEMPFAIL;
  }
  const stack: Closable[] = [];
  try {
    // Loaded here, not at the top: every other command stays quick to start.
    const { createEngine } = await import('../index.ts');
    const engine = await createEngine({ home });
    await engine.start();
    stack.push({ close: () => engine.stop() });
    stack.push(await serveControl(engine, controlSocketPath(home)));
    const status = await engine.status();
    for (const l of status.listeners) out(io, `mailstop: ${l.name} listening on ${l.address}:${l.port}`);
    const console = await startConsoleIfPresent(engine, settings, home, io);
    if (console) stack.push(console);
    out(io, `mailstop: ready (pid ${process.pid}, home ${home})`);
    const sig = await untilSignal(io);
    out(io, `mailstop: ${sig}: stopping`);
    return EX_OK;
  } catch (e) {
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
  } finally {
    // Console and control socket first, so nobody talks to an engine that is stopping.
    for (const c of stack.reverse()) {
      try {
        await c.close();
      } catch (e) {
        err(io, `while stopping: ${(e as Error).message}`);
      }
    }
    await lock.release();
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
