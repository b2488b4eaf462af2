// Issue 3 and 10 "Measured": send when online, hold when offline. The engine in
// `whenonline` mode with `delivery.online.probe: 'smarthost'` and a smart host that
// is down; 1 000 messages queue up; then the smart host (the test sink, on the port
// the engine was given) comes up. Measured: from the moment it listens to the first
// message it receives (aim < 2 s with default probe settings) and to all 1 000 (the
// queue drained). Reference: the same 1 000 held in `deferred` mode with the hop up
// from the start, drained by a flush.
// Issue 10 adds the other direction: the next hop dies under a running engine; from
// the first delivery that fails to the state "offline" (aim < 3 s).
//
// Coming back by itself the engine relies on its re-check ladder (1 s, 2 s, 4 s …
// up to delivery.online.recheck), so the hop goes up after a fixed offline spell
// (OFFLINE_MS) to keep runs comparable. A second, small run measures the signal path:
// the hop comes up and networkChanged() is called at once, as the desktop app does on
// Electron's "online" and resume events.
import { startScriptedSmtp } from '../helpers/scripted-smtp.ts';
import { startHost, type Host } from './host-client.ts';
import {
  benchSettings, fmtMs, fmtTimes, freePort, row, scaled, sleep, smtpPort, smtpSource, verdict, waitFor,
  type BenchContext, type Measure, type Row, type StartedEngine,
} from './util.ts';

const QUEUED = 1000;
/** The small run of the networkChanged() path: the first message is what is measured. */
const SIGNAL_QUEUED = 50;
/** Issue 3's aim: reachable → first message sent. */
const AIM_FIRST_MS = 2000;
/** Offline spell before the hop comes up: past the first re-checks, not yet at the 30 s cap. */
const OFFLINE_MS = 5000;
/** Ample for a first probe against a refused port (it fails at once). */
const GATE_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 180_000;
/** Issue 10's aim: first failed delivery → "offline". */
const AIM_OFFLINE_MS = 3000;

interface OnlineStatus { online: { online: boolean; since: number; reason: string }; counts: { total: number } }

/** `deferred` holds the reference's queue while online; `whenonline` holds it while offline. */
function settingsFor(port: number, mode: 'whenonline' | 'deferred' = 'whenonline') {
  return benchSettings({
    delivery: { mode, online: { probe: 'smarthost' } },
    smartHost: { host: '[127.0.0.1]', port, tls: 'none' },
  });
}

async function engineWithQueue(ctx: BenchContext, port: number, n: number, wantOnline: boolean, mode: 'whenonline' | 'deferred' = 'whenonline'): Promise<{ host: Host; status: OnlineStatus }> {
  const home = await ctx.tmpdir('online');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, settingsFor(port, mode));
  let status!: OnlineStatus;
  try {
    await waitFor(`the online gate to say ${wantOnline ? 'online' : 'offline'}`, async () => {
      status = await host.call<OnlineStatus>('status');
      return status.online.online === wantOnline && status.online.reason !== 'checking the next hop';
    }, GATE_TIMEOUT_MS, 50);
  } catch (err) {
    throw Object.assign(new Error(`online gate not available (${(err as Error).message}; status: ${status?.online?.reason})`), { skip: true });
  }
  await smtpSource({ port: smtpPort(started), messages: n, keep: true });
  await host.call('waitTotal', n, 10_000);
  return { host, status };
}

interface TimedSink { port: number; times: number[]; reset(): void; close(): Promise<void> }

/**
 * The smart host: a raw loopback SMTP peer that accepts everything and notes when each
 * final "." arrived. Not smtp-server: its 100 ms wait before every greeting would cap
 * the drain at delivery.concurrency × 10 msg/s and hide the engine's own pace.
 */
async function startTimedSink(ctx: BenchContext, port?: number): Promise<TimedSink> {
  const times: number[] = [];
  const peer = await startScriptedSmtp({
    ...(port !== undefined ? { port } : {}),
    on: { DOT: () => { times.push(Date.now()); return undefined; } },
  });
  ctx.defer(() => peer.close());
  return { port: peer.port, times, reset: () => { times.length = 0; }, close: () => peer.close() };
}

/** When the sink had its first and its n-th message, relative to t0 (all Date.now of this process). */
async function arrivals(sink: TimedSink, n: number, t0: number): Promise<{ first: number; all: number }> {
  await waitFor(`${n} messages at the smart host (got ${sink.times.length})`, () => sink.times.length >= n, DRAIN_TIMEOUT_MS, 5);
  return { first: sink.times[0] - t0, all: Math.max(...sink.times.slice(0, n)) - t0 };
}

export const online: Measure = async (ctx) => {
  const n = scaled(ctx, QUEUED);

  // Reference: the hop is up from the start; the queue drains by an explicit flush.
  const refSink = await startTimedSink(ctx);
  let ref: { first: number; all: number };
  try {
    const { host } = await engineWithQueue(ctx, refSink.port, n, true, 'deferred');
    refSink.reset();
    const t0 = Date.now();
    const flushing = host.call('flush').catch((err: Error) => ctx.log(`flush: ${err.message}`));
    ref = await arrivals(refSink, n, t0);
    await flushing;
    await host.call('stopEngine');
    await host.stop();
  } catch (err) {
    if ((err as { skip?: boolean }).skip) return [row('online: hop up → queue drained', { value: `skipped: ${(err as Error).message}`, verdict: 'skip' })];
    throw err;
  }

  // The hop starts down: nothing listens on the smart host's port yet.
  const port = await freePort();
  const { host, status } = await engineWithQueue(ctx, port, n, false);
  ctx.log(`offline as expected (${status.online.reason}); ${n} queued; hop comes up after ${fmtMs(OFFLINE_MS)} offline`);
  const wait = status.online.since + OFFLINE_MS - Date.now();
  if (wait > 0) await sleep(wait);
  const sink = await startTimedSink(ctx, port);
  const tUp = Date.now();
  const back = await arrivals(sink, n, tUp);
  await host.call('stopEngine');
  await host.stop();

  const rows: Row[] = [
    row(`online: hop up → first sent (after ${fmtMs(OFFLINE_MS)} offline)`, {
      value: fmtMs(back.first), reference: `${fmtMs(ref.first)} flush`, ratio: fmtTimes(back.first / ref.first),
      aim: '< 2 s', verdict: verdict(back.first < AIM_FIRST_MS),
    }),
    row(`online: hop up → ${n} drained`, {
      value: fmtMs(back.all), reference: `${fmtMs(ref.all)} flush`, ratio: fmtTimes(back.all / ref.all),
    }),
  ];

  // The signal path: hop up and networkChanged() at once.
  const m = Math.min(SIGNAL_QUEUED, n);
  const port2 = await freePort();
  const second = await engineWithQueue(ctx, port2, m, false);
  const sink2 = await startTimedSink(ctx, port2);
  const tUp2 = Date.now();
  await second.host.call('networkChanged');
  const signal = await arrivals(sink2, m, tUp2);
  await second.host.call('stopEngine');
  rows.push(row('online: hop up + networkChanged() → first sent', {
    value: fmtMs(signal.first), reference: `${fmtMs(ref.first)} flush`, ratio: fmtTimes(signal.first / ref.first),
    aim: '< 2 s', verdict: verdict(signal.first < AIM_FIRST_MS),
  }));
  rows.push(await hopDown(ctx));
  return rows;
};

/**
 * The next hop dies under a running, online engine (its connections cut, its port
 * closed); one message is submitted. Measured: from the first delivery that fails
 * to the gate saying "offline" (the failure makes the gate re-check at once, rather
 * than at its next delivery.online.recheckOnline timer, 60 s).
 */
async function hopDown(ctx: BenchContext): Promise<Row> {
  const sink = await startTimedSink(ctx);
  const home = await ctx.tmpdir('online-down');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, settingsFor(sink.port));
  await waitFor('the online gate to say online', async () => (await host.call<OnlineStatus>('status')).online.online, GATE_TIMEOUT_MS, 50);
  await sink.close();
  await host.call('resetMarks');
  await smtpSource({ port: smtpPort(started), messages: 1, keep: true });
  let m = { firstDeferred: 0, offlineAt: 0 };
  await waitFor('the gate to say offline', async () => {
    m = await host.call<typeof m>('marks');
    return m.offlineAt > 0 && m.firstDeferred > 0;
  }, GATE_TIMEOUT_MS, 20);
  const status = await host.call<OnlineStatus & { counts: { total: number } }>('status');
  await host.call('stopEngine');
  await host.stop();
  const ms = Math.max(0, m.offlineAt - m.firstDeferred);
  ctx.log(`hop down: ${status.online.reason}; ${status.counts.total} held`);
  return row('online: hop down → first failed delivery → "offline"', {
    value: fmtMs(ms), reference: 'recheckOnline 60 s', ratio: fmtTimes(ms / 60_000), aim: '< 3 s', verdict: verdict(ms < AIM_OFFLINE_MS),
  });
}
