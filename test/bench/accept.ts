// Issue 2 "Measured" §1: durable accept rate. 1 KB messages from smtp-source
// (-s 20, with and without -d) into the engine in `queueonly` mode (so nothing is
// delivered during the run), beside a bare smtp-server with the engine's options
// that accepts and discards — the ceiling, measured in the same invocation.
//
// Without -d every message is a new connection, and smtp-server waits 100 ms before
// each greeting, so both sides are bounded by 20 sessions / 0.1 s = 200 msg/s: that
// ratio says whether the engine keeps up with the greeting delay, not how fast it is.
//
// Issue 13: where Postfix is installed (and we are root), the same -d runs also go
// into a throwaway Postfix whose mail is held (defer_transports), interleaved with
// the engine's: accept into a held queue, Mailstop against Postfix.
import { startHost, type Host } from './host-client.ts';
import { postfixInstalled, startPostfix, type PostfixInstance } from './postfix.ts';
import { spread } from './relay-postfix.ts';
import {
  benchSettings, fmtRate, fmtRatio, fmtTimes, median, row, scaled, smtpPort, smtpSource, verdict,
  type BenchContext, type Measure, type Row, type StartedEngine,
} from './util.ts';

/** JIT, tsx's first compile of lazily loaded modules and the page cache warm up first. */
const WARMUP = 200;
/** Aim of issue 2: durable accept ≥ 40 % of the ceiling with -d. */
const AIM_KEEP = 0.4;

/** Runs with -d per side, alternating bare / engine so a neighbour's burst of CPU or disk hits both; medians reported. */
const RUNS = 3;

const rate = (n: number, ms: number): number => n / (ms / 1000);

export interface Ceiling { keep: number; noKeep: number; keepN: number; noKeepN: number }

/** Message counts for one invocation: with -d it is fast, without it is 200 msg/s at best. */
export function counts(ctx: BenchContext): { keepN: number; noKeepN: number } {
  return { keepN: scaled(ctx, 4000), noKeepN: scaled(ctx, 1000) };
}

/** A bare smtp-server in its own process, warmed up; returns its port. */
async function startBare(ctx: BenchContext): Promise<{ host: Host; port: number }> {
  const host = await startHost(ctx, 'bare smtp-server');
  const port = await host.call<number>('startBare');
  await smtpSource({ port, messages: WARMUP, keep: true });
  return { host, port };
}

/**
 * The bare smtp-server ceiling (msg/s with and without -d), once per invocation:
 * taken by accept (interleaved with the engine's runs) or, when relay runs alone, here.
 */
export function bareCeiling(ctx: BenchContext): Promise<Ceiling> {
  const cached = ctx.cache.get('bare') as Promise<Ceiling> | undefined;
  if (cached) return cached;
  const p = (async () => {
    const { keepN, noKeepN } = counts(ctx);
    const { host, port } = await startBare(ctx);
    const keep: number[] = [];
    for (let i = 0; i < RUNS; i++) keep.push(rate(keepN, (await smtpSource({ port, messages: keepN, keep: true })).ms));
    const noKeep = await smtpSource({ port, messages: noKeepN, keep: false });
    await host.stop();
    return { keep: median(keep), noKeep: rate(noKeepN, noKeep.ms), keepN, noKeepN };
  })();
  ctx.cache.set('bare', p);
  return p;
}

export const accept: Measure = async (ctx) => {
  const { keepN, noKeepN } = counts(ctx);
  const bare = await startBare(ctx);
  const home = await ctx.tmpdir('accept');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, benchSettings({ delivery: { mode: 'queueonly' } }));
  const port = smtpPort(started);
  await smtpSource({ port, messages: WARMUP, keep: true });
  // Port 9 (discard): nothing listens there, and defer_transports keeps Postfix from trying anyway.
  const postfix: PostfixInstance | null = await postfixInstalled() ? await startPostfix(ctx, 9, { defer_transports: 'smtp relay' }) : null;
  if (postfix) await smtpSource({ port: postfix.port, messages: WARMUP, keep: true });

  const bareKeep: number[] = [];
  const engineKeep: number[] = [];
  const postfixKeep: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bareKeep.push(rate(keepN, (await smtpSource({ port: bare.port, messages: keepN, keep: true })).ms));
    engineKeep.push(rate(keepN, (await smtpSource({ port, messages: keepN, keep: true })).ms));
    if (postfix) postfixKeep.push(rate(keepN, (await smtpSource({ port: postfix.port, messages: keepN, keep: true })).ms));
  }
  await postfix?.stop();
  const bareNoKeep = rate(noKeepN, (await smtpSource({ port: bare.port, messages: noKeepN, keep: false })).ms);
  const engineNoKeep = rate(noKeepN, (await smtpSource({ port, messages: noKeepN, keep: false })).ms);

  // Every 250 stands for a committed spool entry: the engine's queue must hold them all.
  const want = WARMUP + RUNS * keepN + noKeepN;
  const status = await host.call<{ counts: { total: number } }>('status');
  if (status.counts.total !== want) throw new Error(`engine queue holds ${status.counts.total} messages, ${want} were acknowledged`);
  const got = await bare.host.call<number>('bareCount');
  if (got !== want) throw new Error(`bare server counted ${got} messages, sent ${want}`);
  await host.call('stopEngine');
  await bare.host.stop();

  const ceiling: Ceiling = { keep: median(bareKeep), noKeep: bareNoKeep, keepN, noKeepN };
  ctx.cache.set('bare', Promise.resolve(ceiling));
  const keepRate = median(engineKeep);
  ctx.log(`-d runs, msg/s: bare ${bareKeep.map((r) => r.toFixed(0)).join(' ')}; engine ${engineKeep.map((r) => r.toFixed(0)).join(' ')}`);
  const rows: Row[] = [
    row(`durable accept, -d (${keepN} x 1 KB, 20 sessions, median of ${RUNS})`, {
      value: fmtRate(keepRate), reference: `${fmtRate(ceiling.keep)} bare`, ratio: fmtRatio(keepRate / ceiling.keep),
      aim: '>= 40 %', verdict: verdict(keepRate / ceiling.keep >= AIM_KEEP),
    }),
    row(`durable accept, no -d (${noKeepN} x 1 KB)`, {
      value: fmtRate(engineNoKeep), reference: `${fmtRate(bareNoKeep)} bare`, ratio: fmtRatio(engineNoKeep / bareNoKeep),
      aim: '(bound 200/s)', verdict: 'info',
    }),
  ];
  if (postfix) {
    const pf = median(postfixKeep);
    rows.push(row(`accept into a held queue, -d (${keepN} x 1 KB, median of ${RUNS})`, {
      value: `${fmtRate(keepRate)} (${spread(engineKeep)})`, reference: `${fmtRate(pf)} Postfix (${spread(postfixKeep)})`,
      ratio: fmtTimes(keepRate / pf), aim: '>= 2×', verdict: verdict(keepRate / pf >= 2),
    }));
  } else {
    rows.push(row('accept into a held queue against Postfix', { value: 'skipped', reference: 'needs Postfix and root (CI installs it)', verdict: 'skip' }));
  }
  return rows;
};
