// Issue 2 "Measured" §1: durable accept rate. 1 KB messages from smtp-source
// (-s 20, with and without -d) into the engine in `queueonly` mode (so nothing is
// delivered during the run), beside a bare smtp-server with the engine's options
// that accepts and discards — the ceiling, measured in the same invocation.
//
// Without -d every message is a new connection, and smtp-server waits 100 ms before
// each greeting, so both sides are bounded by 20 sessions / 0.1 s = 200 msg/s: that
// ratio says whether the engine keeps up with the greeting delay, not how fast it is.
import { startHost } from './host-client.ts';
import {
  benchSettings, fmtRate, fmtRatio, median, row, scaled, smtpPort, smtpSource, verdict,
  type BenchContext, type Measure, type Row, type StartedEngine,
} from './util.ts';

/** JIT, tsx's first compile of lazily loaded modules and the page cache warm up first. */
const WARMUP = 200;
/** Aim of issue 2: durable accept ≥ 40 % of the ceiling with -d. */
const AIM_KEEP = 0.4;

/** Runs with -d per side; the median damps a neighbour's burst of CPU or disk. */
const RUNS = 3;

/** Median rate (msg/s) of RUNS smtp-source -d runs of n messages. */
async function keepRuns(port: number, n: number): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) rates.push(n / ((await smtpSource({ port, messages: n, keep: true })).ms / 1000));
  return median(rates);
}

export interface Ceiling { keep: number; noKeep: number; keepN: number; noKeepN: number }

/** Message counts for one invocation: with -d it is fast, without it is 200 msg/s at best. */
export function counts(ctx: BenchContext): { keepN: number; noKeepN: number } {
  return { keepN: scaled(ctx, 4000), noKeepN: scaled(ctx, 1000) };
}

/** The bare smtp-server ceiling (msg/s with and without -d), measured once per invocation. */
export function bareCeiling(ctx: BenchContext): Promise<Ceiling> {
  const cached = ctx.cache.get('bare') as Promise<Ceiling> | undefined;
  if (cached) return cached;
  const p = (async () => {
    const { keepN, noKeepN } = counts(ctx);
    const host = await startHost(ctx, 'bare smtp-server');
    try {
      const port = await host.call<number>('startBare');
      await smtpSource({ port, messages: WARMUP, keep: true });
      const keep = await keepRuns(port, keepN);
      const noKeep = await smtpSource({ port, messages: noKeepN, keep: false });
      const got = await host.call<number>('bareCount');
      if (got !== WARMUP + RUNS * keepN + noKeepN) throw new Error(`bare server counted ${got} messages`);
      const c = { keep, noKeep: noKeepN / (noKeep.ms / 1000), keepN, noKeepN };
      ctx.log(`bare smtp-server: ${fmtRate(c.keep)} with -d, ${fmtRate(c.noKeep)} without`);
      return c;
    } finally {
      await host.stop();
    }
  })();
  ctx.cache.set('bare', p);
  return p;
}

export const accept: Measure = async (ctx) => {
  const ceiling = await bareCeiling(ctx);
  const { keepN, noKeepN } = ceiling;
  const home = await ctx.tmpdir('accept');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, benchSettings({ delivery: { mode: 'queueonly' } }));
  const port = smtpPort(started);

  await smtpSource({ port, messages: WARMUP, keep: true });
  const keepRate = await keepRuns(port, keepN);
  const noKeep = await smtpSource({ port, messages: noKeepN, keep: false });
  // Every 250 stands for a committed spool entry: the queue must hold them all.
  const status = await host.call<{ counts: { total: number } }>('status');
  const want = WARMUP + RUNS * keepN + noKeepN;
  if (status.counts.total !== want) throw new Error(`engine queue holds ${status.counts.total} messages, ${want} were acknowledged`);
  await host.call('stopEngine');

  const noKeepRate = noKeepN / (noKeep.ms / 1000);
  const rows: Row[] = [
    row(`durable accept, -d (${keepN} x 1 KB, 20 sessions, median of ${RUNS})`, {
      value: fmtRate(keepRate), reference: `${fmtRate(ceiling.keep)} bare`, ratio: fmtRatio(keepRate / ceiling.keep),
      aim: '>= 40 %', verdict: verdict(keepRate / ceiling.keep >= AIM_KEEP),
    }),
    row(`durable accept, no -d (${noKeepN} x 1 KB)`, {
      value: fmtRate(noKeepRate), reference: `${fmtRate(ceiling.noKeep)} bare`, ratio: fmtRatio(noKeepRate / ceiling.noKeep),
      aim: '(bound 200/s)', verdict: 'info',
    }),
  ];
  return rows;
};
