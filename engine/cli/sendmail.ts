// `mailstop sendmail`: the drop-in for /usr/sbin/sendmail. Reads a message on
// stdin and queues it (through the engine, or into the spool when it is not
// running), or dispatches Sendmail's other modes (-bp, -q, -bv, -bt, -bi, -bs,
// -bd) to the matching command. Exit codes are sysexits, which mail programs read.
import { SmtpError, type Envelope } from '../contracts.ts';
import { addressSyntaxError } from '../policy/address.ts';
import { escaped } from '../inert-text.ts';
import { senderWarnings as identityWarnings } from '../host/identity.ts';
import { loadCheckedSettings } from '../config/checked-copy.ts';
import type { Command, Ctx } from './context.ts';
import { findEngine, notRunningMessage } from './engine-link.ts';
import { DataError, EX_DATAERR, EX_OK, EX_TEMPFAIL, EX_UNAVAILABLE, UsageError } from './exit-codes.ts';
import { err, out, readAll, resolveHome, type CliIo } from './io.ts';
import { parseSendmailArgs, SENDMAIL_USAGE, type SendmailRequest } from './sendmail-args.ts';
import { addFromIfMissing, endAtLoneDot, headerRecipients, qualify, removeBcc, uniqueAddresses } from './sendmail-message.ts';
import { localUser, submitMessage } from './submit.ts';

/**
 * Sendmail's authwarnings case for the command line: an untrusted user set the
 * envelope sender with -f/-r to someone other than themselves. The same rule the
 * maildrop pickup applies to other users' drops (host/identity.ts).
 */
export function senderWarnings(req: SendmailRequest, user: string, hostname: string): string[] {
  return req.sender === undefined ? [] : identityWarnings(user, req.sender, hostname);
}

/**
 * Refuses, before anything is read or queued, an envelope address no server would
 * take: Sendmail answers "553 … User address required" / "Invalid address" at
 * submission too, and a message queued with such a sender could only fail later.
 */
export function checkCommandLineAddresses(req: SendmailRequest): void {
  if (req.sender !== undefined && req.sender !== '') {
    const why = addressSyntaxError(req.sender);
    if (why) throw new UsageError(`bad sender address -f "${escaped(req.sender)}": ${why}`);
  }
  for (const r of req.recipients) {
    const why = addressSyntaxError(r);
    if (why) throw new UsageError(`bad recipient address "${escaped(r)}": ${why}`);
  }
}

/** The envelope and stored bytes for a message read on stdin (pure, for tests). */
export function prepareMessage(req: SendmailRequest, input: Buffer, user: string, hostname: string): { envelope: Envelope; message: Buffer } {
  let message = req.ignoreDots ? input : endAtLoneDot(input);
  const fromHeader = req.extractRecipients ? headerRecipients(message) : [];
  for (const r of fromHeader) {
    const why = addressSyntaxError(r);
    if (why) throw new DataError(`bad recipient address "${escaped(r)}" in the header (-t): ${why}`);
  }
  // With -t, header recipients are added to any named on the command line (Postfix's rule;
  // Sendmail 8 would drop the command-line ones, which surprises more than it helps).
  const recipients = uniqueAddresses([...req.recipients, ...fromHeader]);
  if (!recipients.length) {
    throw new UsageError(req.extractRecipients ? 'no recipient addresses found in the header (-t)' : 'no recipients given', SENDMAIL_USAGE);
  }
  message = removeBcc(message);
  const sender = qualify(req.sender ?? user, hostname);
  if (req.fullName !== undefined) message = addFromIfMissing(message, req.fullName, sender);
  const envelope: Envelope = {
    sender,
    recipients: recipients.map((address) => (req.notify ? { address, notify: req.notify } : { address })),
    ...(req.ret ? { ret: req.ret } : {}),
    ...(req.envid ? { envid: req.envid } : {}),
    ...(req.body ? { body: req.body } : {}),
  };
  return { envelope, message };
}

async function deliver(req: SendmailRequest, home: string, io: CliIo): Promise<number> {
  checkCommandLineAddresses(req);
  const input = await readAll(io.stdin);
  let hostname = 'localhost';
  try {
    hostname = (await loadCheckedSettings(home)).hostname;
  } catch { /* a broken config.json must not stop mail from being queued; submit says why */ }
  const user = localUser(io.env);
  const { envelope, message } = prepareMessage(req, input, user, hostname);
  try {
    const r = await submitMessage(home, envelope, message, io.env, senderWarnings(req, user, hostname));
    if (r.warning) err(io, `warning: ${r.warning}`);
    if (req.verbose) {
      out(io, r.via === 'engine' ? `${r.id}: queued`
        : r.via === 'maildrop' ? `${r.id}: handed to ${home}/maildrop (the engine picks it up)`
        : `${r.id}: queued in ${home}/spool (engine not running; it is delivered when mailstop starts)`);
    }
    return EX_OK;
  } catch (e) {
    if (e instanceof SmtpError) {
      err(io, `${e.responseCode} ${e.message}`);
      return e.responseCode >= 500 ? EX_DATAERR : EX_TEMPFAIL;
    }
    // Anything else (disk full, engine vanished mid-way): the caller keeps the message and retries.
    err(io, `cannot queue the message: ${(e as Error).message}`);
    return EX_TEMPFAIL;
  }
}

async function flush(req: SendmailRequest, home: string, io: CliIo): Promise<number> {
  const { refuseQueueCommand } = await import('./restrict.ts');
  const refused = await refuseQueueCommand(home, 'restrictqrun', io);
  if (refused !== null) return refused;
  const api = await findEngine(home);
  if (!api) {
    err(io, notRunningMessage(home));
    return EX_UNAVAILABLE;
  }
  try {
    const { id, recipient, sender } = req.queue;
    let ids: string[] | undefined;
    if (id) {
      // Sendmail's -qI matches a substring of the queue ID.
      ids = (await api.listQueue()).map((e) => e.id).filter((q) => q.includes(id));
      if (!ids.length) {
        if (req.verbose) out(io, `no queued message matches -qI${id}`);
        return EX_OK;
      }
    }
    const { runFlush } = await import('./queue-commands.ts');
    return await runFlush(api, io, { ...(ids ? { ids } : {}), ...(recipient ? { recipient } : {}), ...(sender ? { sender } : {}) },
      req.verbose, false);
  } finally {
    api.close();
  }
}

export async function runSendmail(argv: string[], ctx: Ctx): Promise<number> {
  const { io } = ctx;
  const req = parseSendmailArgs(argv);
  for (const w of req.warnings) err(io, `warning: ${w}`);
  if (req.verbose) for (const n of req.notes) err(io, `note: ${n}`);
  const home = resolveHome(ctx.globalHome, io.env);
  // Each mode loads what it needs when it runs: cron, git and PHP start `sendmail`
  // once per message, and the plain case should not pay for the others.
  switch (req.mode) {
    case 'deliver': return deliver(req, home, io);
    case 'mailq': return (await import('./queue-commands.ts')).printQueue(home, io, false);
    case 'flush': return flush(req, home, io);
    case 'verify':
      if (!req.recipients.length) throw new UsageError('-bv needs at least one address', SENDMAIL_USAGE);
      return (await import('./address-test.ts')).verifyAddresses(home, io, req.recipients);
    case 'test': return (await import('./address-test.ts')).testMode(home, io);
    case 'newaliases': return (await import('./config-commands.ts')).runNewaliases(home, io);
    case 'smtp': return (await import('./sendmail-bs.ts')).smtpOnStdio(home, io);
    case 'daemon': return (await import('./serve.ts')).runServe(home, io);
  }
}

export const sendmailCommand: Command = {
  name: 'sendmail',
  summary: 'drop-in for /usr/sbin/sendmail: queue a message read on stdin (-t -i -f -F -bp -q -bv -bt -bi -bs)',
  usage: SENDMAIL_USAGE,
  async run(args, ctx) {
    if (args.includes('--help')) {
      out(ctx.io, SENDMAIL_USAGE);
      return EX_OK;
    }
    return runSendmail(args, ctx);
  },
};

