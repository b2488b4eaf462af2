// `mailstop log`: the last lines of the maillog, and with -f the live stream of
// new lines (EngineApi `log:line` events) until interrupted. Without a running
// engine the file itself is read; following needs the engine.
import { tailFile } from '../log/tail.ts';
import { bool, int, str } from './args.ts';
import { prepare, withEngine, type Command } from './context.ts';
import { findEngine } from './engine-link.ts';
import { EX_OK } from './exit-codes.ts';
import { out } from './io.ts';
import { maillogPath } from './paths.ts';

/** tail(1)'s default. */
const DEFAULT_LINES = 10;

export const logCommand: Command = {
  name: 'log',
  summary: 'show the maillog; -f follows it live',
  usage: `usage: mailstop log [-n N] [-f] [--filter S] [--home DIR]
  -n, --lines N    how many of the last lines (default ${DEFAULT_LINES})
  -f, --follow     keep printing new lines until interrupted (needs the running engine)
  --filter S       only lines containing S (a queue ID, an address)`,
  async run(args, ctx) {
    const p = prepare(args, {
      lines: { type: 'string', alias: 'n' }, follow: { type: 'boolean', alias: 'f' }, filter: { type: 'string' },
    }, this, ctx);
    if (!p) return EX_OK;
    const n = int(p.flags, 'lines', DEFAULT_LINES, this.usage);
    const filter = str(p.flags, 'filter');
    if (!bool(p.flags, 'follow')) {
      const api = await findEngine(p.home);
      const lines = api
        ? await api.tailLog(n, filter).finally(() => api.close())
        : await tailFile(maillogPath(p.home), n, filter);
      for (const line of lines) out(ctx.io, line);
      return EX_OK;
    }
    return withEngine(p.home, ctx.io, async (api) => {
      const stop = await api.subscribeReady((e) => {
        if (e.type === 'log:line' && (!filter || e.line.includes(filter))) out(ctx.io, e.line);
      });
      for (const line of await api.tailLog(n, filter)) out(ctx.io, line);
      // Follow until a signal, or until the engine goes away.
      await new Promise<void>((resolve) => {
        const done = () => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
        void api.closed.then(done);
      });
      stop();
      return EX_OK;
    });
  },
};
