// Issue 13 §2: `mailq` over 10 000 queued against Postfix's `postqueue -p`, both
// as whole processes, on the same box in the same invocation. Both queues are
// filled with the same smtp-source stream and held (Mailstop `queueonly`; Postfix
// `defer_transports`). Mailstop is timed with the engine running (the built CLI asks
// it over the control socket and the engine streams the listing, as showq answers
// postqueue) and stopped (the CLI reads the spool itself). Three runs each,
// alternating with postqueue; medians printed.
// Relay and accept against Postfix are in relay-postfix.ts and accept.ts.
import { startHost } from './host-client.ts';
import { POSTQUEUE, postfixInstalled, startPostfix } from './postfix.ts';
import {
  benchSettings, fmtMs, fmtTimes, median, row, run, scaled, smtpPort, smtpSource, verdict, waitFor,
  type Measure, type Row, type StartedEngine,
} from './util.ts';

const RUNS = 3;

export const mailqPostfix: Measure = async (ctx) => {
  if (!(await postfixInstalled())) {
    return [row('mailq against postqueue -p', { value: 'skipped', reference: 'needs Postfix and root (CI installs it)', verdict: 'skip' })];
  }
  const queued = scaled(ctx, 10_000);
  const heldHome = await ctx.tmpdir('mailq-held');
  const held = await startHost(ctx, 'engine held');
  // With its control socket: `mailq` is measured against the running engine too.
  const heldStarted = await held.call<StartedEngine>('startEngine', heldHome, benchSettings({ delivery: { mode: 'queueonly' } }), true);
  const pfHeld = await startPostfix(ctx, 9, { defer_transports: 'smtp relay' });
  await smtpSource({ port: smtpPort(heldStarted), messages: queued, keep: true });
  await smtpSource({ port: pfHeld.port, messages: queued, keep: true });
  await held.call('waitTotal', queued, 30_000);
  ctx.log(`${queued} queued in each`);

  // `mailq` over the same held queue, as a whole process each (the built CLI) against
  // Postfix's `postqueue -p` (which asks its showq daemon): first with the engine
  // running (the CLI asks it over the control socket and the engine streams the
  // listing), then stopped (the CLI reads the spool itself).
  const mailqOnce = async (): Promise<number> => {
    const m = await run(process.execPath, ['bin/mailstop.js', 'mailq', '--home', heldHome], { env: { ...process.env, MAILSTOP_FROM_SOURCE: '' } });
    if (m.code !== 0 || !m.stdout.includes(`Total requests: ${queued}`)) throw new Error(`mailstop mailq: exit ${m.code}, ${m.stderr.trim().slice(0, 200) || 'not every message listed'}`);
    return m.ms;
  };
  const postqueueOnce = async (): Promise<number> => {
    const p = await run(POSTQUEUE, ['-c', pfHeld.configDir, '-p']);
    if (p.code !== 0 || !p.stdout.includes(`in ${queued} Request`)) {
      const total = p.stdout.trim().split('\n').pop() ?? '';
      throw new Error(`postqueue -p: exit ${p.code}, ${p.stderr.trim().slice(0, 200) || `not every message listed (${total})`}`);
    }
    return p.ms;
  };
  // Postfix's cleanup and qmgr move the last messages along after smtp-source ends:
  // time its listing once all of them are in its queue (and listed).
  await waitFor('Postfix to queue every message', async () => (await pfHeld.queued()) >= queued, 60_000, 200);
  await waitFor('postqueue -p to list every message', () => postqueueOnce().then(() => true, () => false), 60_000, 500);
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

  const rows: Row[] = [
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
