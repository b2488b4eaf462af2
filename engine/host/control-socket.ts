// The control socket: EngineApi carried over a unix socket as newline-delimited
// JSON, so every CLI command is a thin client of the running engine.
//
//   request   {"id":1,"method":"tailLog","params":[20,null],"undef":[1]}   (undef: positions that were undefined)
//   response  {"id":1,"result":...}  |  {"id":1,"error":{"message":"...","responseCode":550,"enhanced":"5.1.1"}}
//   subscribe {"id":2,"method":"subscribe","params":[]} → {"id":2,"result":null}, then {"event":{...}} lines
//             until the client closes that connection.
//   text      {"id":3,"method":"mailq","params":[]} → {"id":3,"text":"..."} lines of about 64 KiB each,
//             then {"id":3,"result":null}: a long answer (the listing of 100 000 messages) made and
//             carried piece by piece, as Postfix's showq streams to postqueue, not as one JSON value.
//             Its makers are `TextStreams`, given by the host; an engine without one answers
//             "unknown method" and the client falls back to the plain method.
//
// Only names in ENGINE_API_METHODS (plus `subscribe`) are carried; anything else
// is refused. Whoever can open the private socket can do anything the engine can
// (set a pipe command: run programs as us), so only its owner may: it is made
// inside a directory of mode 0700 — a chmod after listen() alone leaves a moment
// in which anyone may connect and stay connected — and is itself 0600.
// The public socket (an installed instance's public/, mode 0666) carries the same
// protocol but asks `guard` first about every request: it answers only what any
// local user may ask (engine/host/public-guard.ts). This module holds no mail logic.
import fs from 'node:fs/promises';
import net from 'node:net';
import nodePath from 'node:path';
import readline from 'node:readline';
import { ENGINE_API_METHODS, type EngineApi, type EngineApiMethod, type EngineEvent } from '../api.ts';
import { SmtpError } from '../contracts.ts';

/**
 * JSON has no `undefined`: inside an array it would arrive as null, and some
 * methods tell the two apart (testSmartHost(undefined) = the saved smart host,
 * (null) = none). `undef` lists the parameter positions that were undefined.
 */
interface Request { id: number | string; method: string; params?: unknown[]; undef?: number[] }
/** exitCode: the sysexits code a CLI should end with (77 for the public socket's refusals). */
interface WireError { message: string; responseCode?: number; enhanced?: string; exitCode?: number }

const METHODS = new Set<string>(ENGINE_API_METHODS);

/** How long a client waits for a socket to accept before calling the engine not running. */
const CONNECT_TIMEOUT_MS = 2000;

export class EngineNotRunningError extends Error {
  constructor(public readonly socketPath: string, why: string) {
    super(`engine not running (${why} at ${socketPath})`);
  }
}

/** The private socket exists but is not ours to open: the caller is not the engine's owner. */
export class NotOwnerError extends Error {
  /** sysexits EX_NOPERM: the `mailstop` command exits with it (cli/main.ts). */
  readonly exitCode = 77;
  constructor(public readonly socketPath: string) {
    super(`permission denied at ${socketPath}: only the engine's owner and root may use it`);
  }
}

function wireError(e: unknown): WireError {
  if (e instanceof SmtpError) return { message: e.message, responseCode: e.responseCode, enhanced: e.enhanced };
  return { message: e instanceof Error ? e.message : String(e) };
}

function send(socket: net.Socket, value: unknown): void {
  if (!socket.destroyed && socket.writable) socket.write(JSON.stringify(value) + '\n');
}

/**
 * Makes `dir` (the socket's parent) ours alone: created 0700, or tightened to
 * 0700. A directory that is not ours (another user pre-created it in /tmp) or is
 * a symlink is refused: we cannot make it private.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new Error(`${dir}: not a directory owned by this user; refusing to put the control socket there`);
  }
  if ((st.mode & 0o777) !== 0o700) await fs.chmod(dir, 0o700);
}

/** Decides a public socket's request: the parameters to carry it with, or the refusal sent back. */
export type RequestGuard = (method: string, params: unknown[]) => Promise<{ params: unknown[] } | { refuse: string }>;

/** Answers carried as text pieces (see the protocol above), by method name. */
export type TextStreams = Record<string, () => Promise<Iterable<string>>>;

/** Makes `dir` ours (created 0755 if missing), for a socket everybody may reach. */
async function ensureOwnedDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const st = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new Error(`${dir}: not a directory owned by this user; refusing to put the public socket there`);
  }
}

/**
 * Serves `api` on a unix socket at `socketPath` (replacing a stale socket file).
 * With `guard`, the socket is public (0666) and every request passes the guard.
 */
export async function serveControl(api: EngineApi, socketPath: string, guard?: RequestGuard, texts: TextStreams = {}): Promise<{ close(): Promise<void> }> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    const unsubscribers: (() => void)[] = [];
    socket.on('error', () => socket.destroy()); // a client vanishing is not our problem
    socket.on('close', () => {
      connections.delete(socket);
      for (const u of unsubscribers) u();
    });
    const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
    // readline repeats the socket's errors on itself: a client that goes away in the
    // middle of a long answer (`mailq | head`: ECONNRESET) must not end the engine.
    lines.on('error', () => socket.destroy());
    lines.on('line', (line) => {
      if (!line.trim()) return;
      let req: Request;
      try {
        req = JSON.parse(line) as Request;
      } catch {
        send(socket, { id: null, error: { message: 'malformed request: not JSON' } });
        return;
      }
      void handle(api, socket, req, unsubscribers, guard, texts);
    });
  });
  if (guard) await ensureOwnedDir(nodePath.dirname(socketPath));
  else await ensurePrivateDir(nodePath.dirname(socketPath));
  // The caller holds the engine pid lock, so a socket file left here is a corpse.
  await fs.rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => { server.off('error', reject); resolve(); });
  });
  await fs.chmod(socketPath, guard ? 0o666 : 0o600);
  return {
    async close() {
      for (const c of connections) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(socketPath, { force: true });
    },
  };
}

/**
 * Sends the pieces of `text` as they are made. Waits for the socket to drain when
 * its buffer is full (a slow reader: `mailq | less`), and gives the event loop a
 * turn between pieces so SMTP sessions sharing it are not held up by a long listing.
 * Stops when the client goes away (`mailq | head`).
 */
async function sendText(socket: net.Socket, id: Request['id'], text: Iterable<string>): Promise<void> {
  for (const piece of text) {
    if (socket.destroyed || !socket.writable) return;
    if (!socket.write(JSON.stringify({ id, text: piece }) + '\n')) {
      await new Promise<void>((resolve) => {
        const done = () => { socket.off('drain', done); socket.off('close', done); resolve(); };
        socket.on('drain', done);
        socket.on('close', done);
      });
    } else {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  send(socket, { id, result: null });
}

async function handle(api: EngineApi, socket: net.Socket, req: Request, unsubscribers: (() => void)[], guard?: RequestGuard,
  texts: TextStreams = {}): Promise<void> {
  const { id, method } = req;
  if (guard) {
    const verdict = await guard(String(method), Array.isArray(req.params) ? req.params : []).catch((e: Error) => ({ refuse: e.message }));
    if ('refuse' in verdict) {
      send(socket, { id, error: { message: verdict.refuse, exitCode: 77 } });
      return;
    }
    req = { ...req, params: verdict.params };
  }
  if (method === 'subscribe') {
    unsubscribers.push(api.subscribe((event) => send(socket, { event })));
    send(socket, { id, result: null });
    return;
  }
  if (typeof method === 'string' && Object.hasOwn(texts, method)) {
    try {
      await sendText(socket, id, await texts[method]());
    } catch (e) {
      send(socket, { id, error: wireError(e) });
    }
    return;
  }
  if (typeof method !== 'string' || !METHODS.has(method)) {
    send(socket, { id, error: { message: `unknown method: ${String(method)}` } });
    return;
  }
  const params = Array.isArray(req.params) ? [...req.params] : [];
  for (const i of Array.isArray(req.undef) ? req.undef : []) if (Number.isInteger(i) && i >= 0 && i < params.length) params[i] = undefined;
  try {
    const fn = api[method as EngineApiMethod] as (...args: unknown[]) => Promise<unknown>;
    const result = await fn.apply(api, params);
    send(socket, { id, result: result === undefined ? null : result });
  } catch (e) {
    send(socket, { id, error: wireError(e) });
  }
}

/** The client side: EngineApi over the socket, plus close(). */
export type ControlClient = EngineApi & {
  close(): void;
  /** Like subscribe, but resolves once the engine has confirmed the subscription. */
  subscribeReady(listener: (event: EngineEvent) => void): Promise<() => void>;
  /** Settles when the connection ends (the engine stopped, or close() was called). */
  closed: Promise<void>;
  /**
   * A text answer (see the protocol above) written to `out` piece by piece as it
   * arrives; resolves once all of it is written. Reading pauses while `out` is full.
   */
  streamText(method: string, out: NodeJS.WritableStream): Promise<void>;
};

function openSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new EngineNotRunningError(socketPath, 'no answer'));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => { clearTimeout(timer); socket.off('error', onError); resolve(socket); });
    const onError = (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new EngineNotRunningError(socketPath, 'no control socket'));
      else if (e.code === 'ECONNREFUSED') reject(new EngineNotRunningError(socketPath, 'stale control socket'));
      else if (e.code === 'EACCES') reject(new NotOwnerError(socketPath));
      else reject(e);
    };
    socket.once('error', onError);
  });
}

function toError(e: WireError): Error {
  if (typeof e.responseCode === 'number' && typeof e.enhanced === 'string') {
    // Rebuild the SmtpError so callers can map 4xx/5xx to exit codes.
    const text = e.message.startsWith(e.enhanced + ' ') ? e.message.slice(e.enhanced.length + 1) : e.message;
    return new SmtpError(e.responseCode, e.enhanced, text);
  }
  // cli/main.ts ends the command with it, after one line.
  if (typeof e.exitCode === 'number') return Object.assign(new Error(e.message), { exitCode: e.exitCode });
  return new Error(e.message);
}

/** A line-oriented JSON connection with request/response matching by id. */
function rpc(socket: net.Socket, onEvent?: (event: EngineEvent) => void) {
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; text?(piece: string): void }>();
  const fail = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const lines = readline.createInterface({ input: socket, crlfDelay: Infinity });
  lines.on('error', () => socket.destroy()); // reported through the socket's own 'error', below
  lines.on('line', (line) => {
    let msg: { id?: number; result?: unknown; error?: WireError; event?: EngineEvent; text?: string };
    try { msg = JSON.parse(line); } catch { return; }
    if (msg.event && onEvent) { onEvent(msg.event); return; }
    const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
    if (!p) return;
    if (typeof msg.text === 'string') { p.text?.(msg.text); return; }
    pending.delete(msg.id!);
    if (msg.error) p.reject(toError(msg.error)); else p.resolve(msg.result);
  });
  socket.on('error', (e) => fail(e));
  socket.on('close', () => fail(new Error('engine closed the control connection')));
  return {
    call(method: string, params: unknown[], text?: (piece: string) => void): Promise<unknown> {
      if (socket.destroyed) return Promise.reject(new Error('control connection closed'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, ...(text ? { text } : {}) });
        const undef = params.flatMap((p, i) => (p === undefined ? [i] : []));
        socket.write(JSON.stringify({ id, method, params, ...(undef.length ? { undef } : {}) }) + '\n');
      });
    },
  };
}

/** Connects to a running engine; rejects with EngineNotRunningError when nobody listens. */
export async function connectControl(socketPath: string): Promise<ControlClient> {
  const socket = await openSocket(socketPath);
  const main = rpc(socket);
  const extra = new Set<net.Socket>();

  const subscribeReady = async (listener: (event: EngineEvent) => void): Promise<() => void> => {
    const s = await openSocket(socketPath);
    extra.add(s);
    await rpc(s, listener).call('subscribe', []);
    return () => { extra.delete(s); s.destroy(); };
  };

  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const client = {
    closed,
    close() {
      socket.destroy();
      for (const s of extra) s.destroy();
      extra.clear();
    },
    subscribeReady,
    async streamText(method: string, out: NodeJS.WritableStream): Promise<void> {
      let waiting = false;
      const resume = () => { waiting = false; socket.resume(); };
      try {
        await main.call(method, [], (piece) => {
          // Pieces already read keep coming while paused: write them, wait for one drain.
          if (!out.write(piece) && !waiting) {
            waiting = true;
            socket.pause();
            out.once('drain', resume);
          }
        });
      } finally {
        // The answer can end while we wait for `out` (its last lines were already read):
        // the connection must not stay paused for the calls that follow.
        if (waiting) {
          out.off('drain', resume);
          resume();
        }
      }
      // The last piece may still sit in `out`'s buffer: done means written.
      if ((out as { writableNeedDrain?: boolean }).writableNeedDrain) await new Promise((r) => out.once('drain', r));
    },
    subscribe(listener: (event: EngineEvent) => void): () => void {
      let stop: (() => void) | null = null;
      let cancelled = false;
      subscribeReady(listener).then((u) => { if (cancelled) u(); else stop = u; }, () => { /* engine gone: no events */ });
      return () => { cancelled = true; stop?.(); };
    },
  } as Record<string, unknown>;
  for (const method of ENGINE_API_METHODS) {
    client[method] = (...params: unknown[]) => main.call(method, params);
  }
  return client as unknown as ControlClient;
}
