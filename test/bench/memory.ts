// Issue 2 and issue 13 "Measured": engine RSS with 10 000 messages queued (aim
// ≤ 120 MB) and with 100 000 (aim ≤ 250 MB), beside a bare idle node process that
// imported the same modules, and `mailq` over those 10 000: formatMailq(listQueue())
// inside the engine (aim < 0.5 s), and `node bin/mailstop.js mailq` as a subprocess
// with the engine stopped (it reads the spool itself) beside `node -e 0` — what any
// node command pays to start.
// RSS is the server as it ships (`mailstop serve` on dist/, serve-process.ts): the
// 10 000 arrive through SMTP (smtp-source), the 100 000 are seeded into the spool
// (seed.ts: through the front door they would take minutes) and recovered at start.
// The mailq timings and the heap after a full GC come from the bench host (host.ts,
// sources under tsx) started on the same spool.
import path from 'node:path';
import { startHost } from './host-client.ts';
import { seedSpool } from './seed.ts';
import { countQueued, idleRss, rssOf, startServe } from './serve-process.ts';
import {
  benchSettings, fmtMB, fmtMs, fmtRatio, fmtTimes, median, row, run, scaled, sleep, smtpSource, verdict, waitFor,
  type Measure,
} from './util.ts';

const QUEUED = 10_000;
const SEEDED = 100_000;
const AIM_RSS = 120 * 1024 * 1024;
const AIM_RSS_SEEDED = 250 * 1024 * 1024;
const AIM_MAILQ_MS = 500;
/** Repetitions of the quick timings; the median is reported. */
const REPEAT = 3;
/** Let the allocator and lazy work (log writes, timers) settle before reading RSS. */
const SETTLE_MS = 1000;

export const memory: Measure = async (ctx) => {
  const n = scaled(ctx, QUEUED, 1000);
  const seeded = scaled(ctx, SEEDED, 1000);
  const settings = benchSettings({ delivery: { mode: 'queueonly' } });

  const idle = await idleRss(SETTLE_MS);

  // 10 000 through SMTP into `mailstop serve`.
  const home = await ctx.tmpdir('memory');
  const spoolDir = path.join(home, 'spool');
  const serve = await startServe(ctx, home, settings);
  await sleep(SETTLE_MS);
  const emptyRss = await rssOf(serve.pid);
  ctx.log(`queueing ${n} messages through SMTP into mailstop serve`);
  await smtpSource({ port: serve.smtpPort, messages: n, keep: true });
  await waitFor(`${n} queue files`, async () => (await countQueued(spoolDir)) >= n, 10_000, 100);
  await sleep(SETTLE_MS);
  const rss = await rssOf(serve.pid);
  await serve.stop();

  // 100 000 seeded, recovered by `mailstop serve` at start.
  const bigHome = await ctx.tmpdir('memory-100k', 'memory');
  ctx.log(`seeding ${seeded} messages into a spool`);
  seedSpool(path.join(bigHome, 'spool'), seeded);
  const big = await startServe(ctx, bigHome, settings, 600_000);
  await sleep(SETTLE_MS);
  const bigRss = await rssOf(big.pid);
  await big.stop();

  // mailq and the live heap: the bench host's engine on the 10 000.
  const host = await startHost(ctx, 'engine');
  const started = await host.call<{ total: number }>('startEngine', home, settings);
  if (started.total !== n) throw new Error(`the engine recovered ${started.total} entries, ${n} are queued`);
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
    row(`engine RSS, ${n} queued through SMTP`, {
      value: fmtMB(rss), reference: `${fmtMB(idle)} idle`, ratio: fmtTimes(rss / idle),
      aim: '≤ 120 MB', verdict: verdict(rss <= AIM_RSS),
    }),
    row(`engine RSS, ${seeded} queued (seeded spool, recovered)`, {
      value: fmtMB(bigRss), reference: `${fmtMB(idle)} idle`, ratio: fmtTimes(bigRss / idle),
      aim: '≤ 250 MB', verdict: verdict(bigRss <= AIM_RSS_SEEDED),
    }),
    row('engine RSS, empty queue', { value: fmtMB(emptyRss), reference: `${fmtMB(idle)} idle`, ratio: fmtTimes(emptyRss / idle) }),
    row(`engine heap after a full GC, ${n} queued (bench host)`, { value: fmtMB(gc.heapUsed), aim: `(host RSS ${fmtMB(gc.rss)}, tsx)` }),
    row(`mailq in engine, ${n} queued`, {
      value: fmtMs(mailqMs), reference: `${fmtMs(AIM_MAILQ_MS)} aim`, ratio: fmtRatio(mailqMs / AIM_MAILQ_MS),
      aim: '< 500 ms', verdict: verdict(mailqMs < AIM_MAILQ_MS),
    }),
    row(`mailstop mailq subprocess, ${n} queued`, {
      value: fmtMs(median(cli)), reference: `${fmtMs(median(bare))} node -e 0`, ratio: fmtTimes(median(cli) / median(bare)),
    }),
  ];
};
