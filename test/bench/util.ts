// Shared pieces of `npm run bench`: the result row and its table, temporary
// directories and child processes that are always cleaned up, free loopback
// ports, and the Postfix load tools (smtp-source, smtp-sink) as subprocesses.
//
// Owns: measuring machinery. Never: assertions. A bench prints numbers beside a
// reference taken in the same invocation; it never fails a build (DESIGN.md: speed
// belongs here, not in tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SMTP_SOURCE = '/usr/sbin/smtp-source';
export const SMTP_SINK = '/usr/sbin/smtp-sink';
const SHM = '/dev/shm';

export type Verdict = 'pass' | 'fail' | 'info' | 'skip' | 'error';

export interface Row {
  measure: string;
  value: string;
  reference: string;
  ratio: string;
  aim: string;
  verdict: Verdict;
}

/** Everything a measure gets: where to put files, what to clean up, how to report. */
export interface BenchContext {
  /**
   * Create a temporary directory, removed when the measure ends. `memory` puts it on
   * tmpfs (/dev/shm) when there is one: for fixtures whose disk speed is not measured.
   */
  tmpdir(prefix: string, where?: 'disk' | 'memory'): Promise<string>;
  /** Run fn when the measure ends (last registered, first run), even after a failure. */
  defer(fn: () => Promise<unknown> | unknown): void;
  /** One progress line on stderr, so stdout keeps only the table. */
  log(text: string): void;
  /** Results shared between measures of one invocation (e.g. the bare smtp-server ceiling). */
  cache: Map<string, Promise<unknown>>;
  /** Scale factor for message counts (`--scale 0.2` for a quick look). */
  scale: number;
}

export type Measure = (ctx: BenchContext) => Promise<Row[]>;

// ---- formatting -----------------------------------------------------------------

export const fmtRate = (perSec: number): string => `${perSec.toFixed(0)} msg/s`;
export const fmtMs = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
export const fmtMB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${(r * 100).toFixed(0)} %` : '-');
/** A ratio of times or sizes reads better as "2.3×" than as "230 %". */
export const fmtTimes = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(1)}×` : '-');

export function row(measure: string, parts: Partial<Omit<Row, 'measure'>>): Row {
  return { measure, value: '-', reference: '-', ratio: '-', aim: '-', verdict: 'info', ...parts };
}

export const verdict = (ok: boolean): Verdict => (ok ? 'pass' : 'fail');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function formatTable(rows: Row[]): string {
  const head: Row = { measure: 'measure', value: 'value', reference: 'reference', ratio: 'ratio', aim: 'aim', verdict: 'info' };
  const cols = ['measure', 'value', 'reference', 'ratio', 'aim', 'verdict'] as const;
  const cell = (r: Row, c: (typeof cols)[number]) => (r === head && c === 'verdict' ? 'result' : String(r[c]));
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => cell(r, c).length)));
  const line = (r: Row) => cols.map((c, i) => cell(r, c).padEnd(width[i])).join('  ').trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- time -----------------------------------------------------------------------

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `check` every `everyMs` until it returns true; throws after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${fmtMs(timeoutMs)} waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---- context --------------------------------------------------------------------

/** A context whose cleanups run by `close()`; run.ts makes one per measure. */
export function createContext(opts: { cache: Map<string, Promise<unknown>>; scale: number; name: string }): BenchContext & { close(): Promise<void> } {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  return {
    cache: opts.cache,
    scale: opts.scale,
    log: (text) => process.stderr.write(`[${opts.name}] ${text}\n`),
    defer: (fn) => { cleanups.push(fn); },
    async tmpdir(prefix, where = 'disk') {
      const base = where === 'memory' && existsSync(SHM) ? SHM : os.tmpdir();
      const dir = await fsp.mkdtemp(path.join(base, `mailstop-bench-${prefix}-`));
      cleanups.push(() => fsp.rm(dir, { recursive: true, force: true }));
      return dir;
    },
    async close() {
      while (cleanups.length > 0) {
        const fn = cleanups.pop()!;
        try {
          await fn();
        } catch (err) {
          process.stderr.write(`[${opts.name}] cleanup failed: ${(err as Error).message}\n`);
        }
      }
    },
  };
}

/** A message count scaled for --scale, never below `min`. */
export const scaled = (ctx: BenchContext, n: number, min = 100): number => Math.max(min, Math.round(n * ctx.scale));

// ---- ports and processes ----------------------------------------------------------

/**
 * A loopback port that was free a moment ago. Only for peers that cannot bind port 0
 * and report back (smtp-sink) or that must come up later on a known port (the
 * smart host that starts down); the short race with other users is accepted.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Kill a child we started (by its own pid) and wait for it to be gone. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const late = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(late);
}

export interface RunResult { ms: number; code: number | null; stdout: string; stderr: string }

/** Run a command to completion; time from spawn to exit. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code, stdout, stderr });
    });
  });
}

export interface SourceOptions {
  port: number;
  messages: number;
  /** Parallel sessions (-s). */
  sessions?: number;
  /** Payload bytes per message (-l). */
  size?: number;
  /** Keep the connection for the next message (-d). */
  keep?: boolean;
  to?: string;
}

/**
 * Postfix's smtp-source against 127.0.0.1:port. Resolves with the wall time of the
 * whole run; rejects when smtp-source reports an error (a refused message would make
 * the rate meaningless).
 */
export async function smtpSource(o: SourceOptions): Promise<RunResult> {
  const args = [
    '-s', String(o.sessions ?? 20), '-m', String(o.messages), '-l', String(o.size ?? 1024),
    '-f', 'bench@source.example', '-t', o.to ?? 'rcpt@sink.example', '-M', 'source.example',
    ...(o.keep ? ['-d'] : []),
    `127.0.0.1:${o.port}`,
  ];
  const r = await run(SMTP_SOURCE, args);
  if (r.code !== 0 || /fatal|error/i.test(r.stderr)) {
    throw new Error(`smtp-source ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  }
  return r;
}

export interface SmtpSinkProcess { port: number; child: ChildProcess; exited: Promise<number | null> }

/**
 * Postfix's smtp-sink on a loopback port, exiting after `messages` messages (-M), so
 * its exit is "the sink has all N". As root it must drop privileges (-u nobody).
 */
export async function startSmtpSink(ctx: BenchContext, messages: number, port?: number): Promise<SmtpSinkProcess> {
  const p = port ?? await freePort();
  const asRoot = process.getuid?.() === 0;
  // Backlog 256: 20 sessions of the engine's client never come near it.
  const args = [...(asRoot ? ['-u', 'nobody'] : []), '-M', String(messages), `127.0.0.1:${p}`, '256'];
  const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  ctx.defer(() => stopChild(child));
  // Ready when it accepts a TCP connection (a bare connect + close is one session, not a message).
  await waitFor(`smtp-sink on port ${p}`, async () => {
    if (child.exitCode !== null) throw new Error(`smtp-sink exited ${child.exitCode}: ${stderr.trim()}`);
    return canConnect(p);
  }, 5000);
  return { port: p, child, exited };
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// ---- engine settings ----------------------------------------------------------------

/**
 * Settings for an engine under load: SMTP on port 0 only, no console, and a queue-run
 * schedule that never fires during a bench (1 January, 00:00) so only the measured
 * path does work. Callers override the delivery part they measure.
 */
export function benchSettings(over: { delivery?: Record<string, unknown>; smartHost?: Record<string, unknown> | null } = {}) {
  return {
    hostname: 'bench.localhost',
    listen: { address: '127.0.0.1', smtp: 0, submission: false as const, smtps: false as const },
    console: { port: false as const },
    delivery: { mode: 'queueonly', queueRun: '0 0 1 1 *', ...over.delivery },
    ...(over.smartHost !== undefined ? { smartHost: over.smartHost } : {}),
  };
}

export interface StartedEngine { listeners: { name: string; port: number }[]; startMs: number; total: number }

export const smtpPort = (s: StartedEngine): number => {
  const l = s.listeners.find((x) => x.name === 'smtp');
  if (!l) throw new Error('the engine reports no smtp listener');
  return l.port;
};
