// What every command receives, and the shared steps around one: parse flags,
// answer --help, find the data directory, reach the engine or say it is not
// running. Holds no command logic.
import { parseArgs, str, type FlagSpec, type Parsed } from './args.ts';
import { findEngine, isPermissionDenied, NEEDS_OWNER, notRunningMessage, NotOwnerError, type EngineLink } from './engine-link.ts';
import { EX_NOPERM, EX_UNAVAILABLE } from './exit-codes.ts';
import { err, out, resolveHome, type CliIo } from './io.ts';

export interface Ctx {
  io: CliIo;
  /** --home given before the command name (`mailstop --home X mailq`). */
  globalHome?: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], ctx: Ctx): Promise<number>;
}

export interface Prepared extends Parsed { home: string }

/** Parses a command's arguments; returns null after printing --help. */
export function prepare(args: string[], spec: Record<string, FlagSpec>, cmd: Pick<Command, 'usage'>, ctx: Ctx): Prepared | null {
  const parsed = parseArgs(args, spec, cmd.usage);
  if (parsed.help) {
    out(ctx.io, cmd.usage);
    return null;
  }
  return { ...parsed, home: resolveHome(str(parsed.flags, 'home') ?? ctx.globalHome, ctx.io.env) };
}

/**
 * Runs `fn` with the running engine, or prints that it is not running (exit 69).
 * A command that changes the queue or the settings needs the private socket
 * (root or the engine's owner); anyone else gets one line and exit 77
 * (EX_NOPERM). `anyone`: status and flush, which the public socket answers.
 */
export async function withEngine(home: string, io: CliIo, fn: (api: EngineLink) => Promise<number>, opts: { anyone?: boolean } = {}): Promise<number> {
  let api: EngineLink | null;
  try {
    api = await findEngine(home);
  } catch (e) {
    if (!(e instanceof NotOwnerError)) throw e;
    err(io, e.message);
    return EX_NOPERM;
  }
  if (!api) {
    err(io, notRunningMessage(home));
    return EX_UNAVAILABLE;
  }
  try {
    if (api.publicOnly && !opts.anyone) {
      err(io, NEEDS_OWNER);
      return EX_NOPERM;
    }
    return await fn(api);
  } catch (e) {
    if (!isPermissionDenied(e)) throw e;
    err(io, (e as Error).message);
    return EX_NOPERM;
  } finally {
    api.close();
  }
}
