// Issue 9 "Measured": what one call of the command costs — cron, PHP and git call
// `sendmail` once per message. `mailstop --help` and `mailstop sendmail -t` of a
// 1 KB message (engine stopped: the message goes into the spool, fsynced), each
// beside `node -e 0` in the same run, interleaved so load hits all three alike.
// Runs the built CLI (`npm run bench` builds first when dist/ is stale).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fmtMs, fmtTimes, median, REPO, row, verdict, type Measure } from './util.ts';

const REPEAT = 9;
const AIM = 2;

function time(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.trim().slice(0, 200)}`));
      else resolve(performance.now() - t0);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

export const cli: Measure = async (ctx) => {
  const home = await ctx.tmpdir('cli');
  const env: NodeJS.ProcessEnv = { ...process.env, MAILSTOP_HOME: home };
  delete env.MAILSTOP_FROM_SOURCE; // the build, as users run it
  const body = 'x'.repeat(72) + '\n';
  const message = `From: bench\nTo: someone@remote.example\nSubject: 1 KB\n\n${body.repeat(13)}`;
  const help: number[] = [];
  const send: number[] = [];
  const bare: number[] = [];
  await time(['bin/mailstop.js', '--help'], env); // warm the file cache once
  for (let i = 0; i < REPEAT; i++) {
    bare.push(await time(['-e', '0'], env));
    help.push(await time(['bin/mailstop.js', '--help'], env));
    send.push(await time(['bin/mailstop.js', 'sendmail', '-t', '-i'], env, message));
  }
  const ref = median(bare);
  return [
    row('mailstop --help', {
      value: fmtMs(median(help)), reference: `${fmtMs(ref)} node -e 0`, ratio: fmtTimes(median(help) / ref),
      aim: '≤ 2×', verdict: verdict(median(help) / ref <= AIM),
    }),
    row('sendmail -t, 1 KB, engine stopped', {
      value: fmtMs(median(send)), reference: `${fmtMs(ref)} node -e 0`, ratio: fmtTimes(median(send) / ref),
      aim: '≤ 2×', verdict: verdict(median(send) / ref <= AIM),
    }),
  ];
};
