// Issue 13 "Measured": relay beside a throwaway Postfix on the same box, the same
// smtp-source stream (-s 20 -d, 1 KB) into each, each relaying through its smart
// host / relayhost to Postfix's smtp-sink, which exits after the N-th message —
// that exit is "accepted and delivered", so no command competing for the CPU polls
// either side. Also per run: whole-box CPU per relayed message (/proc/stat: sources
// and sinks included, as a battery sees it) and accept while relaying (the time
// smtp-source took to hand over all N). Three repetitions, alternating sides so a
// neighbour's burst hits both; median and spread printed.
import { promises as fsp } from 'node:fs';
import { startHost } from './host-client.ts';
import { startPostfix } from './postfix.ts';
import {
  benchSettings, fmtMs, fmtRate, fmtTimes, median, row, scaled, smtpPort, smtpSource, startSmtpSink, timed, verdict,
  type BenchContext, type Row, type StartedEngine,
} from './util.ts';

const RUNS = 3;
const WARMUP = 200;
const DRAIN_TIMEOUT_MS = 180_000;

/** Jiffies the whole box spent busy and in total (first line of /proc/stat). */
async function cpuJiffies(): Promise<{ busy: number; total: number }> {
  const first = (await fsp.readFile('/proc/stat', 'utf8')).split('\n')[0];
  const f = first.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export interface RelayRun {
  /** Accepted and delivered, msg/s: N over the time until the sink had all N. */
  rate: number;
  /** Accepted while relaying, msg/s: N over the time smtp-source took. */
  accept: number;
  cpuMsPerMsg: number;
}

/** One relay run of n messages into the port `send` returns, drained when a fresh smtp-sink has all of them. */
export async function relayRun(ctx: BenchContext, n: number, send: (sinkPort: number) => Promise<number>): Promise<RelayRun> {
  const sink = await startSmtpSink(ctx, n);
  const port = await send(sink.port);
  const before = await cpuJiffies();
  let timer: NodeJS.Timeout | undefined;
  const drained = Promise.race([
    sink.exited,
    new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`sink did not get ${n} in ${fmtMs(DRAIN_TIMEOUT_MS)}`)), DRAIN_TIMEOUT_MS); }),
  ]);
  try {
    let acceptMs = 0;
    const { ms } = await timed(async () => {
      acceptMs = (await smtpSource({ port, messages: n, keep: true })).ms;
      await drained;
    });
    const after = await cpuJiffies();
    // USER_HZ is 100 on Linux: one jiffy is 10 ms of one core.
    return { rate: n / (ms / 1000), accept: n / (acceptMs / 1000), cpuMsPerMsg: ((after.busy - before.busy) * 10) / n };
  } finally {
    clearTimeout(timer);
  }
}

export const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

/** The rows of issue 13 §1 for relay: rate, whole-box CPU per message, accept while relaying. */
export async function relayVersusPostfix(ctx: BenchContext): Promise<Row[]> {
  const n = scaled(ctx, 2000);
  const mailstop: RelayRun[] = [];
  const postfix: RelayRun[] = [];

  // Mailstop: one engine whose smart host is re-pointed at each run's sink.
  const home = await ctx.tmpdir('relay-vs-postfix');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, benchSettings({ delivery: { mode: 'whenonline' } }));
  const engPort = smtpPort(started);
  const pointEngineAt = async (sinkPort: number) => {
    await host.call('updateSettings', { smartHost: { host: '[127.0.0.1]', port: sinkPort, tls: 'none' } });
    return engPort;
  };
  await relayRun(ctx, WARMUP, pointEngineAt); // JIT, page cache
  for (let i = 0; i < RUNS; i++) {
    mailstop.push(await relayRun(ctx, n, pointEngineAt));
    // The sink exits on the N-th "." before answering it, so a few in-flight messages stay
    // deferred (at-least-once); they are not waited for, and go to the next run's sink.
    await host.call('waitTotal', 0, 5_000).catch(() => {});
    ctx.log(`run ${i + 1}: Mailstop ${mailstop[i].rate.toFixed(0)} msg/s`);
    const pf = { stop: async () => {} };
    postfix.push(await relayRun(ctx, n, async (sinkPort) => {
      const p = await startPostfix(ctx, sinkPort);
      pf.stop = p.stop;
      return p.port;
    }));
    await pf.stop();
    ctx.log(`run ${i + 1}: Postfix ${postfix[i].rate.toFixed(0)} msg/s`);
  }
  await host.call('stopEngine');

  const m = (f: (r: RelayRun) => number) => median(mailstop.map(f));
  const p = (f: (r: RelayRun) => number) => median(postfix.map(f));
  const rate = (r: RelayRun) => r.rate;
  const cpu = (r: RelayRun) => r.cpuMsPerMsg;
  const accept = (r: RelayRun) => r.accept;
  return [
    row(`relay via smart host, ${n} x 1 KB (-s 20 -d), median of ${RUNS}`, {
      value: `${fmtRate(m(rate))} (${spread(mailstop.map(rate))})`, reference: `${fmtRate(p(rate))} Postfix (${spread(postfix.map(rate))})`,
      ratio: fmtTimes(m(rate) / p(rate)), aim: '>= 1.5×', verdict: verdict(m(rate) / p(rate) >= 1.5),
    }),
    row('whole-box CPU per relayed message (sources and sinks included)', {
      value: `${m(cpu).toFixed(2)} ms`, reference: `${p(cpu).toFixed(2)} ms Postfix`, ratio: fmtTimes(m(cpu) / p(cpu)),
      aim: '<= 0.5×', verdict: verdict(m(cpu) / p(cpu) <= 0.5),
    }),
    row('accept while relaying', {
      value: `${fmtRate(m(accept))} (${spread(mailstop.map(accept))})`, reference: `${fmtRate(p(accept))} Postfix (${spread(postfix.map(accept))})`,
      ratio: fmtTimes(m(accept) / p(accept)), verdict: 'info',
    }),
  ];
}
