// The `mailstop` command: picks the subcommand, turns usage errors into one
// line plus the usage text (exit 64, EX_USAGE), and anything unexpected into
// one line (exit 70; MAILSTOP_DEBUG=1 adds the stack). Every command honours
// --home DIR, then MAILSTOP_HOME, then ~/.mailstop. The commands themselves live
// beside this file.
import type { Command } from './context.ts';
import { DataError, EX_DATAERR, EX_OK, EX_SOFTWARE, EX_USAGE, UsageError } from './exit-codes.ts';
import { err, out, processIo, type CliIo } from './io.ts';

/**
 * The commands, each loaded only when used: `mailq` from cron should not pay
 * for loading the SMTP server and every transport.
 */
interface Entry { name: string; summary: string; load(): Promise<Command> }
const queue = () => import('./queue-commands.ts');
const pick = (name: string) => async () => (await queue()).actionCommands.find((c) => c.name === name)!;
export const COMMANDS: Entry[] = [
  { name: 'serve', summary: 'run the engine (SMTP listeners, queue, console) for one data directory',
    load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'sendmail', summary: 'drop-in for /usr/sbin/sendmail: queue a message read on stdin (-t -i -f -F -bp -q -bv -bt -bi -bs)',
    load: async () => (await import('./sendmail.ts')).sendmailCommand },
  { name: 'mailq', summary: 'list the queue in Sendmail\'s layout (also: sendmail -bp)', load: async () => (await queue()).mailqCommand },
  { name: 'flush', summary: 'run the queue now (also: sendmail -q)', load: async () => (await queue()).flushCommand },
  { name: 'hold', summary: 'put messages on hold (no delivery until released)', load: pick('hold') },
  { name: 'release', summary: 'release held messages', load: pick('release') },
  { name: 'delete', summary: 'delete messages without notice', load: pick('delete') },
  { name: 'bounce', summary: 'return messages to their senders now, with a DSN', load: pick('bounce') },
  { name: 'requeue', summary: 'reset attempts and schedule at once', load: pick('requeue') },
  { name: 'move', summary: 'move messages to a queue group (e.g. slow)', load: async () => (await queue()).moveCommand },
  { name: 'status', summary: 'show whether the engine runs, its listeners, online state and queue counts',
    load: async () => (await queue()).statusCommand },
  { name: 'log', summary: 'show the maillog; -f follows it live', load: async () => (await import('./log-command.ts')).logCommand },
  { name: 'newaliases', summary: 'check the aliases and report problems line by line (also: sendmail -bi)',
    load: async () => (await import('./config-commands.ts')).newaliasesCommand },
  { name: 'config', summary: 'check, read or change config.json', load: async () => (await import('./config-commands.ts')).configCommand },
  { name: 'install', summary: 'make Mailstop the machine\'s mail system (/usr/sbin/sendmail, mailq, newaliases, a systemd unit)',
    load: async () => (await import('./install.ts')).installCommand },
  { name: 'uninstall', summary: 'undo mailstop install: put back the sendmail, mailq and newaliases that were there',
    load: async () => (await import('./install.ts')).uninstallCommand },
  { name: 'import', summary: 'read a Sendmail or Postfix configuration and print what it becomes; --apply saves it',
    load: async () => (await import('./import-commands.ts')).importCommand },
  { name: 'export', summary: 'write the settings as a sendmail.mc and /etc/mail map sources',
    load: async () => (await import('./import-commands.ts')).exportCommand },
  { name: 'dkim', summary: 'DKIM keys per sending domain, their DNS records, and the DKIM/SPF/DMARC readiness check',
    load: async () => (await import('./dkim-command.ts')).dkimCommand },
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: mailstop [--home DIR] COMMAND [options]   (mailstop COMMAND --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'The data directory is --home DIR, else $MAILSTOP_HOME, else ~/.mailstop.',
  ].join('\n');
}

/**
 * Pulls a leading `--home DIR` / `--home=DIR` off the front (before the command
 * name), so `mailstop --home X sendmail -t` works: sendmail's own flags are
 * single-dash getopt letters and never see it.
 */
function globalHome(argv: string[]): { home?: string; rest: string[] } {
  const [first, second] = argv;
  if (first === '--home') {
    if (second === undefined) throw new UsageError('option --home needs a value', usage());
    return { home: second, rest: argv.slice(2) };
  }
  if (first?.startsWith('--home=')) return { home: first.slice('--home='.length), rest: argv.slice(1) };
  return { rest: argv };
}

/**
 * `mailq | head` closes the pipe early: end quietly, as Sendmail's mailq does when
 * SIGPIPE kills it, instead of an EPIPE stack trace on the terminal.
 */
function endQuietlyOnClosedPipe(io: CliIo): void {
  if (io.stdout !== process.stdout) return;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EX_OK);
    throw e;
  });
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  endQuietlyOnClosedPipe(io);
  try {
    const { home, rest } = globalHome(argv);
    const [name, ...args] = rest;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      out(io, usage());
      return name === undefined ? EX_USAGE : EX_OK;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) throw new UsageError(`unknown command: ${name}`, usage());
    const cmd = await entry.load();
    // `sendmail` takes --home after its name too (scripts add it at the end), but not after `--`.
    if (cmd.name === 'sendmail') {
      const stop = args.indexOf('--');
      const at = args.findIndex((a, i) => (stop < 0 || i < stop) && (a === '--home' || a.startsWith('--home=')));
      if (at >= 0) {
        const value = args[at] === '--home' ? args[at + 1] : args[at].slice('--home='.length);
        if (value === undefined) throw new UsageError('option --home needs a value', cmd.usage);
        args.splice(at, args[at] === '--home' ? 2 : 1);
        return await cmd.run(args, { io, globalHome: value });
      }
    }
    return await cmd.run(args, { io, globalHome: home });
  } catch (e) {
    if (e instanceof UsageError) {
      err(io, e.message);
      if (e.usage) io.stderr.write(e.usage + '\n');
      return EX_USAGE;
    }
    if (e instanceof DataError) {
      err(io, e.message);
      return EX_DATAERR;
    }
    // An error that knows its sysexits code (not the engine's owner: 77) is one plain line.
    const exitCode = (e as { exitCode?: unknown } | null)?.exitCode;
    if (e instanceof Error && typeof exitCode === 'number') {
      err(io, e.message);
      return exitCode;
    }
    // One line for a person; the stack only when asked for (MAILSTOP_DEBUG=1),
    // as a user cannot act on it and scripts parse stderr line by line.
    err(io, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (io.env.MAILSTOP_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return EX_SOFTWARE;
  }
}
