// The queue commands: mailq, flush, hold/release/delete/bounce/requeue, move,
// status. Each is a thin client of EngineApi over the control socket; only
// `mailq` reads the spool itself when the engine is not running (a listing
// never changes anything). Output formats come from engine/queue/listing.ts.
import { modeLabel } from '../config/modes.ts';
import fs from 'node:fs/promises';
import type { ActionResult, EngineApi, EngineEvent, EngineStatus, FlushOptions, QueueSelector } from '../api.ts';
import type { QueueEntry } from '../contracts.ts';
import { MAILQ_CHUNK, mailqChunks, mailqEntry, mailqHeader, mailqTotal, toPostqueueJson } from '../queue/listing.ts';
import type { Spool } from '../queue/types.ts';
import { terminalSafeJson } from '../inert-text.ts';
import { createSpool } from '../queue/spool.ts';
import { bool, str, strs } from './args.ts';
import { prepare, withEngine, type Command, type Ctx } from './context.ts';
import { findEngine, isPermissionDenied, notRunningMessage, NotOwnerError, type EngineLink } from './engine-link.ts';
import { EX_NOINPUT, EX_NOPERM, EX_OK, EX_TEMPFAIL, EX_UNAVAILABLE, UsageError } from './exit-codes.ts';
import { err, out, type CliIo } from './io.ts';
import { spoolDir } from './paths.ts';
import { TextBuffer } from './text-buffer.ts';
import { refuseQueueCommand } from './restrict.ts';

/** The spool, when no engine runs; null when there is none (never started, nothing ever queued). */
async function stoppedSpool(home: string): Promise<Spool | null> {
  const dir = spoolDir(home);
  try {
    await fs.access(dir);
  } catch {
    return null;
  }
  return createSpool(dir);
}

/**
 * With no engine running nothing is being delivered, whatever state a control
 * file was left in (a crash mid-delivery, or a `sendmail` drop while stopped):
 * the listing says so instead of showing a `*`.
 */
function asStopped(e: QueueEntry): QueueEntry {
  return e.state === 'active' ? { ...e, state: 'deferred', reason: e.reason ?? 'Deferred: mailstop is not running' } : e;
}

/** Writes the pieces in order, waiting whenever `out` is full (a pager, a slow pipe). */
async function writePieces(out: NodeJS.WritableStream, pieces: Iterable<string | Uint8Array>): Promise<void> {
  for (const piece of pieces) {
    if (!out.write(piece)) await new Promise((resolve) => out.once('drain', resolve));
  }
}

const isUnknownMethod = (e: unknown) => e instanceof Error && e.message.startsWith('unknown method:');

/**
 * The Sendmail layout from a running engine, made there and carried as text
 * (host/index.ts); true when done, false when the engine predates that (the
 * caller then lists the entries itself).
 */
async function streamFromEngine(api: EngineLink, io: CliIo): Promise<boolean> {
  try {
    await api.streamText('mailq', io.stdout);
    return true;
  } catch (e) {
    if (isUnknownMethod(e)) return false;
    throw e;
  }
}

/**
 * `mailq`: the listing is written as it is made, in pieces (listing.ts
 * mailqChunks), never as one string of the whole queue.
 */
export async function printQueue(home: string, io: CliIo, json: boolean): Promise<number> {
  const refused = await refuseQueueCommand(home, 'restrictmailq', io);
  if (refused !== null) return refused;
  try {
    const api = await findEngine(home);
    if (api) {
      try {
        if (!json && (await streamFromEngine(api, io))) return EX_OK;
        const entries = await api.listQueue();
        await writePieces(io.stdout, json ? jsonLines(entries) : mailqChunks(entries, { spoolDir: spoolDir(home) }));
      } finally {
        api.close();
      }
      return EX_OK;
    }
    // Both layouts tell the same story: a stopped engine delivers nothing.
    const spool = await stoppedSpool(home);
    if (json) {
      await writePieces(io.stdout, jsonLines(spool ? (await spool.list()).map(asStopped) : []));
      return EX_OK;
    }
    // Each entry is turned into its lines as it is read; only those bytes are kept
    // until the count the header shows is known.
    const now = Date.now();
    const lines = new TextBuffer();
    const count = spool ? await spool.listEach((e) => lines.append(mailqEntry(asStopped(e), now))) : 0;
    await writePieces(io.stdout, [mailqHeader(spoolDir(home), count), ...lines.pieces(MAILQ_CHUNK), mailqTotal(count)]);
    return EX_OK;
  } catch (e) {
    // Another user's private home, the engine's refusal (restrictmailq), or a stopped
    // system instance whose spool only its owner may read: one line each.
    if (e instanceof NotOwnerError || isPermissionDenied(e)) {
      err(io, (e as Error).message);
      return EX_NOPERM;
    }
    if ((e as NodeJS.ErrnoException).code === 'EACCES') {
      err(io, `${notRunningMessage(home)}; while it is stopped only its owner may read the queue`);
      return EX_UNAVAILABLE;
    }
    throw e;
  }
}

/** `mailq --json`: one Postfix `postqueue -j` object per line. */
function jsonLines(entries: QueueEntry[]): string[] {
  // A parser reads the same values; a terminal shows DEL, C1 and direction marks as \u escapes.
  return entries.map((e) => terminalSafeJson(JSON.stringify(toPostqueueJson(e))) + '\n');
}

export const mailqCommand: Command = {
  name: 'mailq',
  summary: 'list the queue in Sendmail\'s layout (also: sendmail -bp)',
  usage: `usage: mailstop mailq [--json] [--home DIR]
  --json   one JSON object per message (Postfix postqueue -j names, plus attempts, next_attempt)`,
  async run(args, ctx) {
    const p = prepare(args, { json: { type: 'boolean' } }, this, ctx);
    if (!p) return EX_OK;
    if (p.positional.length) throw new UsageError(`unexpected argument: ${p.positional[0]}`, this.usage);
    return printQueue(p.home, ctx.io, bool(p.flags, 'json'));
  },
};

/** Sendmail -v style lines for delivery events: what `flush -v` and `sendmail -v -q` print. */
export function describeEvent(e: EngineEvent): string[] {
  switch (e.type) {
    case 'delivery:attempting':
      return [`Running ${e.id}`, ...e.recipients.map((r) => `<${r}>... Connecting to ${e.nexthop}...`)];
    case 'delivery:transcript':
      return [e.line];
    case 'delivery:result': {
      const word = e.status === 'sent' ? 'Sent' : e.status === 'deferred' ? 'Deferred' : 'Bounced';
      return [`<${e.address}>... ${word} (${e.reply})`];
    }
    default:
      return [];
  }
}

export async function runFlush(api: EngineApi & { subscribeReady?(l: (e: EngineEvent) => void): Promise<() => void> },
  io: CliIo, options: FlushOptions, verbose: boolean, summary: boolean): Promise<number> {
  let stop: (() => void) | undefined;
  if (verbose && api.subscribeReady) {
    try {
      stop = await api.subscribeReady((e) => { for (const line of describeEvent(e)) out(io, line); });
    } catch (e) {
      // The public socket carries no event stream (it would show other users' mail).
      if (!isPermissionDenied(e)) throw e;
      err(io, 'no delivery transcript: only root and the owner may watch deliveries');
    }
  }
  try {
    let s: Awaited<ReturnType<EngineApi['flush']>>;
    try {
      s = await api.flush(options);
    } catch (e) {
      if (!isPermissionDenied(e)) throw e;
      err(io, (e as Error).message);
      return EX_NOPERM;
    }
    if (summary || verbose) {
      out(io, `flush: ${s.attempted} attempted, ${s.sent} sent, ${s.deferred} deferred, ${s.bounced} bounced, ` +
        `${s.skipped} skipped${s.failed ? `, ${s.failed} failed (queue file not updated; see mailq)` : ''} (${(s.durationMs / 1000).toFixed(1)}s)`);
    }
    // Sendmail's -q exits 0 whatever the mail did; an engine that could not record
    // what it did is a temporary failure of ours (EX_TEMPFAIL), so scripts notice.
    return s.failed ? EX_TEMPFAIL : EX_OK;
  } finally {
    stop?.();
  }
}

export const flushCommand: Command = {
  name: 'flush',
  summary: 'run the queue now (also: sendmail -q)',
  usage: `usage: mailstop flush [-v] [--id ID]... [--recipient S] [--sender S] [--force] [--home DIR]
  -v, --verbose    print each delivery and its SMTP transcript as it happens
  --id ID          only this message (repeatable; bare IDs work too)
  --recipient S    only messages with a pending recipient containing S (like -qR)
  --sender S       only messages whose sender contains S (like -qS)
  --force          try even while offline (the online gate says the next hop is unreachable)`,
  async run(args, ctx) {
    const p = prepare(args, {
      verbose: { type: 'boolean', alias: 'v' }, id: { type: 'strings' }, recipient: { type: 'string' },
      sender: { type: 'string' }, force: { type: 'boolean' },
    }, this, ctx);
    if (!p) return EX_OK;
    const refused = await refuseQueueCommand(p.home, 'restrictqrun', ctx.io);
    if (refused !== null) return refused;
    const ids = [...strs(p.flags, 'id'), ...p.positional];
    const options: FlushOptions = {
      ...(ids.length ? { ids } : {}),
      ...(str(p.flags, 'recipient') ? { recipient: str(p.flags, 'recipient') } : {}),
      ...(str(p.flags, 'sender') ? { sender: str(p.flags, 'sender') } : {}),
      ...(bool(p.flags, 'force') ? { force: true } : {}),
    };
    return withEngine(p.home, ctx.io, (api) => runFlush(api, ctx.io, options, bool(p.flags, 'verbose'), true), { anyone: true });
  },
};

type ActionName = 'hold' | 'release' | 'remove' | 'bounceNow' | 'requeue';

function actionCommand(name: string, method: ActionName, done: string, summary: string): Command {
  return {
    name,
    summary,
    usage: `usage: mailstop ${name} ID... [--recipient S] [--sender S] [--home DIR]`,
    async run(args, ctx) {
      const p = prepare(args, { recipient: { type: 'string' }, sender: { type: 'string' } }, this, ctx);
      if (!p) return EX_OK;
      const selector = selectorOf(p.positional, p.flags, this.usage);
      return withEngine(p.home, ctx.io, async (api) => report(ctx.io, await api[method](selector), done));
    },
  };
}

function selectorOf(ids: string[], flags: Record<string, unknown>, usage: string): QueueSelector {
  const recipient = flags.recipient as string | undefined;
  const sender = flags.sender as string | undefined;
  // An empty selector would mean "every message"; nobody should get that by forgetting an ID.
  if (!ids.length && !recipient && !sender) throw new UsageError('name at least one queue ID (or --recipient / --sender)', usage);
  return { ...(ids.length ? { ids } : {}), ...(recipient ? { recipient } : {}), ...(sender ? { sender } : {}) };
}

function report(io: CliIo, r: ActionResult, done: string): number {
  for (const id of r.changed) out(io, `${id}: ${done}`);
  for (const id of r.missing) err(io, `${id}: not in the queue`);
  if (!r.changed.length && !r.missing.length) out(io, 'no matching messages');
  return r.missing.length ? EX_NOINPUT : EX_OK;
}

export const actionCommands: Command[] = [
  actionCommand('hold', 'hold', 'held', 'put messages on hold (no delivery until released)'),
  actionCommand('release', 'release', 'released', 'release held messages'),
  actionCommand('delete', 'remove', 'deleted', 'delete messages without notice'),
  actionCommand('bounce', 'bounceNow', 'bounced', 'return messages to their senders now, with a DSN'),
  actionCommand('requeue', 'requeue', 'requeued', 'reset attempts and schedule at once'),
];

export const moveCommand: Command = {
  name: 'move',
  summary: 'move messages to a queue group (e.g. slow)',
  usage: 'usage: mailstop move ID... --group GROUP [--recipient S] [--sender S] [--home DIR]',
  async run(args, ctx) {
    const p = prepare(args, { group: { type: 'string' }, recipient: { type: 'string' }, sender: { type: 'string' } }, this, ctx);
    if (!p) return EX_OK;
    const group = str(p.flags, 'group');
    if (!group) throw new UsageError('--group is required (e.g. --group slow)', this.usage);
    const selector = selectorOf(p.positional, p.flags, this.usage);
    return withEngine(p.home, ctx.io, async (api) => report(ctx.io, await api.moveToGroup(selector, group), `moved to ${group}`));
  },
};

export function formatStatus(s: EngineStatus): string[] {
  const since = new Date(s.online.since).toISOString();
  const c = s.counts;
  return [
    `mailstop ${s.version} on ${s.hostname} (pid ${s.pid}, home ${s.home})`,
    `started:   ${new Date(s.startedAt).toISOString()}`,
    `mode:      ${modeLabel(s.mode)} (delivery.mode ${s.mode})`,
    `online:    ${s.online.online ? 'online' : 'offline'} since ${since}: ${s.online.reason}`,
    `queue:     ${c.total} total, ${c.active} active, ${c.deferred} deferred, ${c.hold} held, ${c.corrupt} corrupt`,
    ...s.listeners.map((l) => `listening: ${l.name} ${l.address}:${l.port}`),
    ...(s.flushing ? [s.flush ? `flushing:  ${s.flush.done} of ${s.flush.total}` : 'flushing:  yes'] : []),
  ];
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show whether the engine runs, its listeners, online state and queue counts',
  usage: 'usage: mailstop status [--json] [--home DIR]',
  async run(args, ctx: Ctx) {
    const p = prepare(args, { json: { type: 'boolean' } }, this, ctx);
    if (!p) return EX_OK;
    return withEngine(p.home, ctx.io, async (api) => {
      const s = await api.status();
      if (bool(p.flags, 'json')) out(ctx.io, JSON.stringify(s));
      else for (const line of formatStatus(s)) out(ctx.io, line);
      return EX_OK;
    }, { anyone: true });
  },
};
