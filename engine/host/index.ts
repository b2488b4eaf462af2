// The host: what runs an engine for one data directory, whoever starts it —
// `mailstop serve`, the desktop app, the headless fallback of `npm start`
// (DESIGN.md "One engine per data directory"; Postfix's master). In this order:
// the pid lock (before anything touches the spool, so a second engine is
// refused with the pid that holds it), the engine, the private control socket
// every CLI command uses, the public socket of an installed instance, the
// maildrop pickup, one spool scan for what was written while the socket was not
// yet open, and the console when asked for. close() undoes it in reverse.
// Prints nothing: callers say what they want from `describe()`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { startConsole } from '../console/index.ts';
import { isLoopbackAddress } from '../config/names.ts';
import { readTlsFiles } from '../tls/material.ts';
import { createEngine as createRealEngine, type CreateEngineOptions, type Engine } from '../index.ts';
import { mailqChunks } from '../queue/listing.ts';
import { serveControl, type TextStreams } from './control-socket.ts';
import { startPickup } from './pickup.ts';
import { acquirePidLock } from './pid-lock.ts';
import { controlSocketPath, pidPath, publicDir, publicSocketPath } from './paths.ts';
import { publicGuard } from './public-guard.ts';

export { PidLockError } from './pid-lock.ts';

/** Another live process holds this home's pid lock. */
export class HostBusyError extends Error {
  constructor(readonly home: string, readonly pid: number) {
    super(`an engine is already running for ${home} (pid ${pid})`);
  }
}

export interface HostOptions extends Omit<CreateEngineOptions, 'home'> {
  home: string;
  /** Tests and the desktop pass their own (e.g. to set timers); default engine/index.ts. */
  createEngine?: (opts: CreateEngineOptions) => Promise<Engine>;
  /** Start the HTTP console when settings.console.port is set (headless modes). Default false. */
  console?: boolean;
}

export interface Host {
  home: string;
  engine: Engine;
  /** The console's URL (token included), when it runs. */
  consoleUrl: string | null;
  /** Where the console really listens ("0.0.0.0:8025", "127.0.0.1:8025"), when it runs. */
  consoleListening: string | null;
  /** Why the console is not running although asked for (e.g. its port is taken). */
  consoleError: string | null;
  /** The public socket's path in an installed instance. */
  publicSocket: string | null;
  close(): Promise<void>;
}

interface Closable { close(): Promise<void> }

async function closeAll(stack: Closable[]): Promise<void> {
  let first: unknown = null;
  for (const c of stack.reverse()) {
    try {
      await c.close();
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** The public socket exists only where `mailstop install` made public/ (a personal home stays private). */
async function hasPublicDir(home: string): Promise<boolean> {
  try {
    return (await fs.lstat(publicDir(home))).isDirectory();
  } catch {
    return false;
  }
}

/** Starts the host; throws HostBusyError (nothing touched) or the engine's start error. */
export async function startHost(opts: HostOptions): Promise<Host> {
  const home = path.resolve(opts.home);
  await fs.mkdir(home, { recursive: true });
  const lock = await acquirePidLock(pidPath(home));
  if (!lock.ok) throw new HostBusyError(home, lock.pid);
  const stack: Closable[] = [{ close: () => lock.release() }];
  try {
    const { createEngine: make = createRealEngine, console: wantConsole = false, home: _h, ...engineOpts } = opts;
    const engine = await make({ ...engineOpts, home });
    await engine.start();
    stack.push({ close: () => engine.stop() });
    // `mailq` gets the listing made here and carried as text, as Postfix's showq
    // answers postqueue: no JSON of 10 000 whole entries for the CLI to parse and format.
    const texts: TextStreams = {
      mailq: async () => mailqChunks(await engine.listQueue(), { spoolDir: path.join(home, 'spool') }),
    };
    stack.push(await serveControl(engine, controlSocketPath(home), undefined, texts));
    let publicSocket: string | null = null;
    if (await hasPublicDir(home)) {
      publicSocket = publicSocketPath(home);
      if (publicSocket) stack.push(await serveControl(engine, publicSocket, publicGuard(engine), texts));
      else engine.note(null, `no public socket: ${publicDir(home)} is too deep for a unix socket path`);
    }
    stack.push(await startPickup(engine, home));
    // A `sendmail` that found no socket while we started wrote into the spool itself.
    await engine.pickupSpool();
    let consoleUrl: string | null = null;
    let consoleError: string | null = null;
    let consoleListening: string | null = null;
    const settings = await engine.getSettings();
    if (wantConsole && settings.console.port !== false) {
      const { address, port, allowPlainHttp } = settings.console;
      try {
        // Off loopback the console speaks HTTPS with the mail certificate (issue 11 §5).
        const files = isLoopbackAddress(address) ? null : await readTlsFiles(settings.tls, home);
        const handle = await startConsole(engine, {
          address, port, home, allowPlainHttp,
          ...(files ? { tls: { cert: files.cert, key: files.key } } : {}),
          ...(settings.hostname !== 'localhost' && !isLoopbackAddress(address) ? { names: [settings.hostname] } : {}),
        });
        stack.push(handle);
        consoleUrl = handle.url;
        consoleListening = handle.listening;
      } catch (e) {
        // Mail keeps flowing without the console; the caller says why it is missing, naming the field.
        if (!(e instanceof Error)) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        consoleError = code === 'EADDRINUSE' ? `console.port: ${address}:${port} is in use` : e.message;
      }
    }
    let closing: Promise<void> | null = null;
    return {
      home, engine, consoleUrl, consoleListening, consoleError, publicSocket,
      close: () => (closing ??= closeAll(stack)),
    };
  } catch (e) {
    await closeAll(stack).catch(() => undefined);
    throw e;
  }
}
