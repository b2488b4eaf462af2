// A bench child process: hosts one thing to be measured — the engine (optionally
// with its console), a bare smtp-server, or nothing but the engine's modules — so
// its RSS and CPU are its own, apart from the harness and the load tools.
// Driven by the harness over the fork() IPC channel: { id, cmd, args } → { id, ok, value | error }.
// Started as `node bin/run-ts.js test/bench/host.ts` (host-client.ts does that).
//
// Owns: carrying commands to the engine's public surface (createEngine, EngineApi,
// startConsole, formatMailq). Never: deciding what a result means.
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { EngineEvent } from '../../engine/api.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';

type EngineModule = typeof import('../../engine/index.ts');
type ListingModule = typeof import('../../engine/queue/listing.ts');
type ConsoleModule = typeof import('../../engine/console/index.ts');
type Engine = Awaited<ReturnType<EngineModule['createEngine']>>;

let mods: { engine: EngineModule; listing: ListingModule; console: ConsoleModule | null } | null = null;
let engine: Engine | null = null;
/** The host around the engine (control socket, pickup) when asked for: what `mailstop serve` runs. */
let hosted: { close(): Promise<void> } | null = null;
let consoleHandle: { url: string; close(): Promise<void> } | null = null;
let bare: SMTPServer | null = null;
let bareCount = 0;
/** Engine event times (performance.now of this process is not comparable; Date.now is). */
const marks = { firstSent: 0, sent: 0, firstDeferred: 0, offlineAt: 0 };

/** The same set of modules in the engine host and the "bare idle" host, so RSS compares like with like. */
async function importAll(): Promise<void> {
  if (mods) return;
  const engineMod = await import('../../engine/index.ts');
  const listing = await import('../../engine/queue/listing.ts');
  // The console is built by another part of the project; an engine without it still benches.
  const consoleMod = await import('../../engine/console/index.ts').catch(() => null);
  mods = { engine: engineMod, listing, console: consoleMod };
}

const handlers: Record<string, (...args: any[]) => Promise<unknown>> = {
  async importAll() { await importAll(); return null; },

  async rss() {
    return process.memoryUsage().rss;
  },

  /** RSS and heap after a full collection (host-client starts us with --expose-gc): live data, not garbage. */
  async afterGc() {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('started without --expose-gc');
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  },

  /** withHost: also the control socket the CLI talks to (engine/host/index.ts), as `mailstop serve`. */
  async startEngine(home: string, settings: SettingsInput, withHost = false) {
    await importAll();
    if (withHost) {
      const { startHost } = await import('../../engine/host/index.ts');
      // The host starts the engine; subscribing below happens after, which the marks do not mind.
      const h = await startHost({ home, settings, passwdFile: '' });
      hosted = h;
      engine = h.engine as Engine;
    } else {
      engine = await mods!.engine.createEngine({ home, settings, passwdFile: '' });
    }
    engine.subscribe((e: EngineEvent) => {
      if (e.type === 'delivery:result' && e.status === 'sent') {
        if (marks.sent === 0) marks.firstSent = Date.now();
        marks.sent++;
      }
      if (e.type === 'delivery:result' && e.status === 'deferred' && marks.firstDeferred === 0) marks.firstDeferred = Date.now();
      if (e.type === 'online:changed' && !e.online.online && marks.offlineAt === 0) marks.offlineAt = Date.now();
    });
    const t0 = performance.now();
    if (!hosted) await engine.start();
    const startMs = performance.now() - t0;
    const status = await engine.status();
    return { listeners: status.listeners, startMs, total: status.counts.total };
  },

  async status() { return engine!.status(); },
  async updateSettings(patch: Record<string, unknown>) { await engine!.updateSettings(patch as never); return null; },

  async marks() { return { ...marks }; },
  async resetMarks() { Object.assign(marks, { firstSent: 0, sent: 0, firstDeferred: 0, offlineAt: 0 }); return null; },

  /** Poll the queue count here (cheap) rather than over IPC: resolves when total === want. */
  async waitTotal(want: number, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await engine!.status();
      if (s.counts.total === want) return Date.now();
      if (Date.now() > deadline) throw new Error(`queue has ${s.counts.total} messages, waited for ${want}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  },

  /** `mailq` inside the engine: listQueue() through EngineApi, then formatMailq. */
  async mailq() {
    const t0 = performance.now();
    const entries = await engine!.listQueue();
    const text = mods!.listing.formatMailq(entries, { spoolDir: `${engine!.home}/spool` });
    return { ms: performance.now() - t0, entries: entries.length, bytes: text.length };
  },

  async flush() {
    const t0 = performance.now();
    const summary = await engine!.flush({});
    return { ms: performance.now() - t0, summary };
  },

  async networkChanged() { return engine!.networkChanged(); },

  async startConsole(home: string, staticDir: string) {
    if (!mods?.console) throw new Error('engine/console/index.ts could not be loaded');
    const h = await mods.console.startConsole(engine!, { address: '127.0.0.1', port: 0, home, staticDir });
    consoleHandle = h;
    return { url: h.url };
  },

  async stopEngine() {
    await consoleHandle?.close();
    consoleHandle = null;
    if (hosted) await hosted.close();
    else await engine?.stop();
    hosted = null;
    engine = null;
    return null;
  },

  /** The ceiling: smtp-server with the engine's options, accepting and discarding. */
  async startBare() {
    bare = new SMTPServer({
      name: 'bare.bench', size: 15 * 1024 * 1024,
      hideDSN: false, hideENHANCEDSTATUSCODES: false, hideSMTPUTF8: false, hide8BITMIME: false, hidePIPELINING: false,
      disableReverseLookup: true, authOptional: true, maxAllowedUnauthenticatedCommands: false,
      disabledCommands: ['AUTH', 'XCLIENT', 'XFORWARD', 'WIZ', 'SHELL', 'KILL', 'STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        stream.on('end', () => { bareCount++; callback(null, 'Ok: discarded'); });
        stream.resume();
      },
    });
    bare.on('error', () => undefined);
    await new Promise<void>((resolve) => bare!.listen(0, '127.0.0.1', resolve));
    return (bare.server.address() as AddressInfo).port;
  },

  async bareCount() { return bareCount; },
};

process.on('message', (msg: { id: number; cmd: string; args: unknown[] }) => {
  const fn = handlers[msg.cmd];
  const reply = (r: object) => process.send!({ id: msg.id, ...r });
  if (!fn) { reply({ ok: false, error: `unknown command ${msg.cmd}` }); return; }
  fn(...msg.args).then(
    (value) => reply({ ok: true, value }),
    (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
// The harness going away (even by kill -9) closes the channel: follow it.
process.on('disconnect', () => process.exit(0));
process.send!({ id: 0, ok: true, value: 'ready' });
