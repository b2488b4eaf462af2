// Issue 13 "Measured": Mailstop beside a throwaway Postfix on the same box, same
// smtp-source stream (-s 20 -d, 1 KB), each relaying through its smart host /
// relayhost to Postfix's smtp-sink, which exits after the N-th message — that exit
// is "accepted and delivered", so no command competing for the CPU polls either
// side. Also: accept into a held queue (Mailstop queueonly; Postfix
// defer_transports), whole-box CPU per relayed message from /proc/stat, and
// `mailq` over that held queue against `postqueue -p`, with the engine running (the
// CLI asks it over the control socket) and stopped (the CLI reads the spool).
// Three repetitions, alternating sides; median and spread printed.
import { promises as fsp } from 'node:fs';
import { startHost } from './host-client.ts';
import { POSTQUEUE, postfixInstalled, startPostfix } from './postfix.ts';
import {
  benchSettings, fmtMs, fmtRate, fmtTimes, median, row, run, scaled, smtpPort, smtpSource, startSmtpSink, timed, verdict,
  type BenchContext, type Measure, type Row, type StartedEngine,
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

interface RunResult { rate: number; cpuMsPerMsg: number }

/** One relay run of n messages into `port`, drained when a fresh smtp-sink has all of them. */
async function relayRun(ctx: BenchContext, n: number, send: (sinkPort: number) => Promise<number>): Promise<RunResult> {
  const sink = await startSmtpSink(ctx, n);
  const port = await send(sink.port);
  const before = await cpuJiffies();
  let timer: NodeJS.Timeout | undefined;
  const drained = Promise.race([
    sink.exited,
    new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`sink did not get ${n} in ${fmtMs(DRAIN_TIMEOUT_MS)}`)), DRAIN_TIMEOUT_MS); }),
  ]);
  try {
    const { ms } = await timed(async () => {
      await smtpSource({ port, messages: n, keep: true });
      await drained;
    });
    const after = await cpuJiffies();
    // USER_HZ is 100 on Linux: one jiffy is 10 ms of one core.
    return { rate: n / (ms / 1000), cpuMsPerMsg: ((after.busy - before.busy) * 10) / n };
  } finally {
    clearTimeout(timer);
  }
}

const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

export const versusPostfix: Measure = async (ctx) => {
  if (!(await postfixInstalled())) {
    return [row('versus Postfix', { value: 'skipped', reference: 'needs Postfix and root (CI installs it)', verdict: 'skip' })];
  }
  const n = scaled(ctx, 2000);
  const mailstop: RunResult[] = [];
  const postfix: RunResult[] = [];

  // Mailstop: one engine whose smart host is re-pointed at each run's sink.
  const home = await ctx.tmpdir('vs-postfix');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, benchSettings({ delivery: { mode: 'background' } }));
  const engPort = smtpPort(started);
  const pointEngineAt = async (sinkPort: number) => {
    await host.call('updateSettings', { smartHost: { host: '[127.0.0.1]', port: sinkPort, tls: 'none' } });
    return engPort;
  };
  // Warm up (JIT, page cache).
  await relayRun(ctx, WARMUP, pointEngineAt);
  ctx.log('warmed up');

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

  // Accept into a held queue: nothing leaves during the run on either side.
  const heldN = scaled(ctx, 5000);
  const heldHome = await ctx.tmpdir('vs-postfix-held');
  const held = await startHost(ctx, 'engine held');
  // With its control socket: `mailq` is measured against the running engine too.
  const heldStarted = await held.call<StartedEngine>('startEngine', heldHome, benchSettings({ delivery: { mode: 'queueonly' } }), true);
  const pfHeld = await startPostfix(ctx, 9, { defer_transports: 'smtp relay' });
  const acceptM: number[] = [];
  const acceptP: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    acceptM.push(heldN / ((await smtpSource({ port: smtpPort(heldStarted), messages: heldN, keep: true })).ms / 1000));
    acceptP.push(heldN / ((await smtpSource({ port: pfHeld.port, messages: heldN, keep: true })).ms / 1000));
  }

  // `mailq` over the same held queue, as a whole process each (the built CLI) against
  // Postfix's `postqueue -p` (which asks its showq daemon): first with the engine
  // running (the CLI asks it over the control socket and the engine streams the
  // listing), then stopped (the CLI reads the spool itself).
  const queued = RUNS * heldN;
  const mailqOnce = async (): Promise<number> => {
    const m = await run(process.execPath, ['bin/mailstop.js', 'mailq', '--home', heldHome], { env: { ...process.env, MAILSTOP_FROM_SOURCE: '' } });
    if (m.code !== 0 || !m.stdout.includes(`Total requests: ${queued}`)) throw new Error(`mailstop mailq: exit ${m.code}, ${m.stderr.trim().slice(0, 200) || 'not every message listed'}`);
    return m.ms;
  };
  const postqueueOnce = async (): Promise<number> => {
    const p = await run(POSTQUEUE, ['-c', pfHeld.configDir, '-p']);
    if (p.code !== 0 || !p.stdout.includes(`in ${queued} Request`)) throw new Error(`postqueue -p: exit ${p.code}, ${p.stderr.trim().slice(0, 200) || 'not every message listed'}`);
    return p.ms;
  };
  const mailqRunning: number[] = [];
  const mailqM: number[] = [];
  const mailqP: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    mailqRunning.push(await mailqOnce());
    mailqP.push(await postqueueOnce());
  }
  await held.call('stopEngine');
  for (let i = 0; i < RUNS; i++) {
    mailqM.push(await mailqOnce());
    mailqP.push(await postqueueOnce());
  }

  const rm = median(mailstop.map((r) => r.rate));
  const rp = median(postfix.map((r) => r.rate));
  const cm = median(mailstop.map((r) => r.cpuMsPerMsg));
  const cp = median(postfix.map((r) => r.cpuMsPerMsg));
  const am = median(acceptM);
  const ap = median(acceptP);
  ctx.log(`relay msg/s: Mailstop ${mailstop.map((r) => r.rate.toFixed(0)).join(' ')}; Postfix ${postfix.map((r) => r.rate.toFixed(0)).join(' ')}`);
  const rows: Row[] = [
    row(`relay via smart host, ${n} x 1 KB (-s 20 -d), median of ${RUNS}`, {
      value: `${fmtRate(rm)} (${spread(mailstop.map((r) => r.rate))})`, reference: `${fmtRate(rp)} Postfix (${spread(postfix.map((r) => r.rate))})`,
      ratio: fmtTimes(rm / rp), aim: '>= 1.5×', verdict: verdict(rm / rp >= 1.5),
    }),
    row('whole-box CPU per relayed message', {
      value: `${cm.toFixed(2)} ms`, reference: `${cp.toFixed(2)} ms Postfix`, ratio: fmtTimes(cm / cp), aim: '<= 0.5×', verdict: verdict(cm / cp <= 0.5),
    }),
    row(`accept into a held queue, ${heldN} x 1 KB, median of ${RUNS}`, {
      value: `${fmtRate(am)} (${spread(acceptM)})`, reference: `${fmtRate(ap)} Postfix (${spread(acceptP)})`,
      ratio: fmtTimes(am / ap), aim: '>= 2×', verdict: verdict(am / ap >= 2),
    }),
    row(`mailq over ${queued} queued, engine running (whole process, median of ${RUNS})`, {
      value: fmtMs(median(mailqRunning)), reference: `${fmtMs(median(mailqP))} postqueue -p`,
      ratio: fmtTimes(median(mailqRunning) / median(mailqP)), aim: '<= 1.0×', verdict: verdict(median(mailqRunning) <= median(mailqP)),
    }),
    row(`mailq over ${queued} queued, engine stopped (reads the spool; whole process, median of ${RUNS})`, {
      value: fmtMs(median(mailqM)), reference: `${fmtMs(median(mailqP))} postqueue -p`,
      ratio: fmtTimes(median(mailqM) / median(mailqP)), aim: '<= 1.0×', verdict: verdict(median(mailqM) <= median(mailqP)),
    }),
  ];
  return rows;
};
