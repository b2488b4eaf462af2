// Relay rate: 1 KB messages from smtp-source (-s 20 -d) into the engine in
// `whenonline` mode, relayed through the smart host [127.0.0.1]:port, where
// Postfix's smtp-sink exits after the N-th message: the time from the first
// connection to that exit is "accepted and delivered".
// Reference: Postfix doing the same, side by side (relay-postfix.ts, issue 13),
// wherever Postfix is installed and we are root; otherwise the bare smtp-server
// ceiling with -d (accept.ts, issue 2), measured in the same invocation, and the
// row says so.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { bareCeiling, counts } from './accept.ts';
import { startHost } from './host-client.ts';
import { postfixInstalled } from './postfix.ts';
import { relayVersusPostfix } from './relay-postfix.ts';
import {
  benchSettings, fmtMs, fmtRate, fmtRatio, row, smtpPort, smtpSource, startSmtpSink, timed, verdict,
  type Measure, type StartedEngine,
} from './util.ts';

/** Warm-up messages relayed before the clock starts (JIT, first compiles, sink pool). */
const WARMUP = 200;
/** Aim of issue 2: relay ≥ 20 % of the ceiling. */
const AIM = 0.2;
/** Transactions the engine may have in flight when the sink exits (delivery.concurrency default). */
const IN_FLIGHT = 10;
/** Far beyond any plausible run; a stuck delivery shows as an error, not a hang. */
const DRAIN_TIMEOUT_MS = 180_000;

export const relay: Measure = async (ctx) => {
  if (await postfixInstalled()) return relayVersusPostfix(ctx);
  ctx.log('Postfix is not installed (or we are not root): the reference is a bare smtp-server');
  const ceiling = await bareCeiling(ctx);
  const n = counts(ctx).keepN;
  const sink = await startSmtpSink(ctx, WARMUP + n);
  const home = await ctx.tmpdir('relay');
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, benchSettings({
    delivery: { mode: 'whenonline' },
    smartHost: { host: '[127.0.0.1]', port: sink.port, tls: 'none' },
  }));
  const port = smtpPort(started);

  await smtpSource({ port, messages: WARMUP, keep: true });
  await host.call('waitTotal', 0, DRAIN_TIMEOUT_MS);

  let timer: NodeJS.Timeout | undefined;
  const sinkDone = Promise.race([
    sink.exited,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`smtp-sink did not get ${n} messages in ${fmtMs(DRAIN_TIMEOUT_MS)}`)), DRAIN_TIMEOUT_MS); }),
  ]);
  try {
    const { ms } = await timed(async () => {
      const source = await smtpSource({ port, messages: n, keep: true });
      ctx.log(`${n} accepted in ${fmtMs(source.ms)}; waiting for the sink`);
      await sinkDone;
    });
    // smtp-sink exits on the N-th "." before it answers it, so the engine may rightly keep
    // that last message (or the few in flight) as deferred "lost connection": at-least-once.
    // More than a session's worth left over would mean duplicates stood in for lost mail.
    const left = (await host.call<{ counts: { total: number } }>('status')).counts.total;
    if (left > IN_FLIGHT) throw new Error(`the sink counted ${n} messages but ${left} are still queued`);
    await host.call('stopEngine');
    const rate = n / (ms / 1000);
    return [row(`relay via smart host to smtp-sink (${n} x 1 KB, -d)`, {
      value: fmtRate(rate), reference: `${fmtRate(ceiling.keep)} bare smtp-server (no Postfix here)`, ratio: fmtRatio(rate / ceiling.keep),
      aim: '>= 20 %', verdict: verdict(rate / ceiling.keep >= AIM),
    })];
  } catch (err) {
    const s = await host.call<{ counts: object }>('status').catch(() => null);
    const log = await fsp.readFile(path.join(home, 'log', 'maillog'), 'utf8').catch(() => '');
    const odd = log.split('\n').filter((l) => /stat=/.test(l) && !/stat=Sent/.test(l)).slice(-3);
    throw new Error(`${(err as Error).message}${s ? `; engine counts ${JSON.stringify(s.counts)}` : ''}` +
      (odd.length ? `; maillog: ${odd.join(' | ')}` : ''));
  } finally {
    clearTimeout(timer);
  }
};
