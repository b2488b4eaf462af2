// Issue 2 "Measured": engine RSS with 10 000 messages queued (aim < 150 MB) beside
// a bare idle node process that imported the same modules, and `mailq` over those
// 10 000: formatMailq(listQueue()) inside the engine (aim < 0.5 s), and
// `node bin/mailstop.js mailq` as a subprocess with the engine stopped (it reads the
// spool itself) beside `node -e 0` — what any node command pays to start.
import { startHost } from './host-client.ts';
import {
  benchSettings, fmtMB, fmtMs, fmtRatio, fmtTimes, median, row, run, scaled, sleep, smtpPort, smtpSource, verdict,
  type Measure, type StartedEngine,
} from './util.ts';

const QUEUED = 10_000;
const AIM_RSS = 150 * 1024 * 1024;
const AIM_MAILQ_MS = 500;
/** Repetitions of the quick timings; the median is reported. */
const REPEAT = 3;
/** Let the allocator and lazy work (log writes, timers) settle before reading RSS. */
const SETTLE_MS = 1000;

export const memory: Measure = async (ctx) => {
  const n = scaled(ctx, QUEUED, 1000);

  const idle = await startHost(ctx, 'idle');
  await idle.call('importAll');
  await sleep(SETTLE_MS);
  const idleRss = await idle.call<number>('rss');
  await idle.stop();

  const home = await ctx.tmpdir('memory');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, benchSettings({ delivery: { mode: 'queueonly' } }));
  const emptyRss = await host.call<number>('rss');
  ctx.log(`queueing ${n} messages through SMTP`);
  await smtpSource({ port: smtpPort(started), messages: n, keep: true });
  await host.call('waitTotal', n, 10_000);
  await sleep(SETTLE_MS);
  const rss = await host.call<number>('rss');
  const gc = await host.call<{ rss: number; heapUsed: number }>('afterGc');

  const inEngine: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const r = await host.call<{ ms: number; entries: number }>('mailq');
    if (r.entries !== n) throw new Error(`listQueue() returned ${r.entries} entries, ${n} are queued`);
    inEngine.push(r.ms);
  }
  await host.call('stopEngine');
  await host.stop();

  const cli: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const r = await run(process.execPath, ['bin/mailstop.js', 'mailq', '--home', home]);
    if (r.code !== 0) throw new Error(`mailstop mailq exited ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
    // Sendmail's layout: a header, then per message a line, a status line and one line per recipient.
    const ids = r.stdout.split('\n').filter((l) => /^[0-9A-Za-z]{14}[ *X-]/.test(l)).length;
    if (ids !== n) throw new Error(`mailstop mailq listed ${ids} messages, ${n} are queued`);
    cli.push(r.ms);
    bare.push((await run(process.execPath, ['-e', '0'])).ms);
  }
  const mailqMs = median(inEngine);

  return [
    row(`engine RSS, ${n} queued`, {
      value: fmtMB(rss), reference: `${fmtMB(idleRss)} idle`, ratio: fmtTimes(rss / idleRss),
      aim: '< 150 MB', verdict: verdict(rss < AIM_RSS),
    }),
    row(`engine RSS after a full GC, ${n} queued`, {
      value: fmtMB(gc.rss), reference: `${fmtMB(idleRss)} idle`, ratio: fmtTimes(gc.rss / idleRss), aim: `(heap ${fmtMB(gc.heapUsed)})`,
    }),
    row('engine RSS, empty queue', { value: fmtMB(emptyRss), reference: `${fmtMB(idleRss)} idle`, ratio: fmtTimes(emptyRss / idleRss) }),
    row(`mailq in engine, ${n} queued`, {
      value: fmtMs(mailqMs), reference: `${fmtMs(AIM_MAILQ_MS)} aim`, ratio: fmtRatio(mailqMs / AIM_MAILQ_MS),
      aim: '< 500 ms', verdict: verdict(mailqMs < AIM_MAILQ_MS),
    }),
    row(`mailstop mailq subprocess, ${n} queued`, {
      value: fmtMs(median(cli)), reference: `${fmtMs(median(bare))} node -e 0`, ratio: fmtTimes(median(cli) / median(bare)),
    }),
  ];
};
