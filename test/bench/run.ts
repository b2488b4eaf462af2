// `npm run bench`: the measures the issues ask for (issue 2, 3 and 4 "Measured"),
// each printed beside a reference taken in the same invocation, as one table.
//
//   npm run bench                          all measures
//   npm run bench -- --only accept,relay   a subset (accept, relay, memory, online, queue-page, cli)
//   npm run bench -- --scale 0.25          fewer messages, for a quick look
//
// Each measure runs on its own with its own temp dirs and child processes, cleaned
// up when it ends; one that fails prints its error and the rest still run. The
// exit code is 0 unless the harness itself breaks: aims are reported, not enforced.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { accept } from './accept.ts';
import { cli } from './cli.ts';
import { memory } from './memory.ts';
import { online } from './online.ts';
import { queuePage } from './queue-page.ts';
import { relay } from './relay.ts';
import { mailqPostfix } from './mailq-postfix.ts';
import { createContext, fmtMs, formatTable, row, type Measure, type Row } from './util.ts';

const MEASURES: Record<string, Measure> = {
  accept,
  relay,
  memory,
  online,
  'queue-page': queuePage,
  cli,
  'mailq-postfix': mailqPostfix,
};

function parseArgs(argv: string[]): { only: string[]; scale: number } {
  let only = Object.keys(MEASURES);
  let scale = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a.startsWith('--only')) {
      only = value().split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = only.filter((m) => !(m in MEASURES));
      if (unknown.length) throw new Error(`unknown measure ${unknown.join(', ')}; known: ${Object.keys(MEASURES).join(', ')}`);
    } else if (a.startsWith('--scale')) {
      scale = Number(value());
      if (!(scale > 0)) throw new Error('--scale needs a positive number');
    } else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--only accept,relay,memory,online,queue-page,cli,mailq-postfix] [--scale 1]\n');
      process.exit(0);
    } else {
      throw new Error(`unknown option ${a}`);
    }
  }
  return { only, scale };
}

async function main(): Promise<number> {
  let opts: { only: string[]; scale: number };
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  const cache = new Map<string, Promise<unknown>>();
  const rows: Row[] = [];
  const t0 = performance.now();
  // Other work on the machine moves every number; the header says how busy it was.
  const loadBefore = os.loadavg()[0];
  let current: { close(): Promise<void> } | null = null;
  // Ctrl-C: still remove temp dirs and stop our children.
  process.once('SIGINT', () => { void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130)); });

  for (const name of opts.only) {
    const ctx = createContext({ cache, scale: opts.scale, name });
    current = ctx;
    const started = performance.now();
    ctx.log('running');
    try {
      rows.push(...await MEASURES[name](ctx));
    } catch (err) {
      const e = err as Error;
      process.stderr.write(`[${name}] failed: ${e.stack ?? e.message}\n`);
      rows.push(row(name, { value: `error (see above): ${e.message.split('\n')[0].slice(0, 48)}`, verdict: 'error' }));
    } finally {
      await ctx.close();
      current = null;
      ctx.log(`done in ${fmtMs(performance.now() - started)}`);
    }
  }

  process.stdout.write(`\nMailstop bench (${new Date().toISOString()}, node ${process.version}, scale ${opts.scale}, ` +
    `${fmtMs(performance.now() - t0)} total, ${os.cpus().length} CPUs, load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)})\n\n` +
    `${formatTable(rows)}\n`);
  return 0;
}

process.exitCode = await main();
