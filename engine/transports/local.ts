// The local delivery agent: a message for a local user goes to its Maildir
// (default), its mbox, or a program (localDelivery.agent, e.g. procmail -d $u).
// deliverLocal also takes the other local destinations resolve produces — file,
// pipe, discard and error — so qmgr may hand it any non-SMTP recipients at once.
// Results come back in the order of `recipients`. A failed write defers.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeliveryReport, DeliveryResult, Destination, OutboundMessage } from '../contracts.ts';
import { appendToFile } from './file.ts';
import { alreadyDeliveredTo, DEFAULT_LOCK_TIMEOUT_MS, localCopy, readMessage, writeFailed, type LocalContext } from './local-context.ts';
import { mailboxRoot } from '../config/mailbox-root.ts';
import { writeMaildir } from './maildir.ts';
import { appendMbox } from './mbox.ts';
import { DEFAULT_PIPE_TIMEOUT_MS, programEnv, programResult, runProgram } from './pipe.ts';

export type { LocalContext } from './local-context.ts';
export { mailboxRoot } from '../config/mailbox-root.ts';

/** Mailbox names resolve lets through; checked again here because a path is built from it. */
const USER_RE = /^[a-z0-9_][a-z0-9._+-]*$/i;

export async function deliverLocal(message: OutboundMessage, recipients: Destination[], ctx: LocalContext): Promise<DeliveryReport> {
  const raw = await readMessage(message);
  const results: DeliveryResult[] = [];
  for (const d of recipients) results.push(await deliverOne(raw, message, d, ctx));
  return { results, transcript: results.map((r) => `${r.address}: ${r.reply}`) };
}

async function deliverOne(raw: Buffer, message: OutboundMessage, d: Destination, ctx: LocalContext): Promise<DeliveryResult> {
  switch (d.transport) {
    case 'local': return toMailbox(raw, message, d, ctx);
    case 'file': return appendToFile(raw, message.sender, d, ctx);
    case 'pipe': return toProgram(raw, message, d, d.nexthop, ctx);
    case 'discard': return { address: d.address, status: 'sent', dsnStatus: '2.0.0', reply: '250 2.0.0 discarded (/dev/null)' };
    case 'error': return errorResult(d);
    default:
      // A programming error in the caller; keep the message and say so.
      return { address: d.address, status: 'deferred', dsnStatus: '4.3.5', reply: `451 4.3.5 transport ${d.transport} is not local` };
  }
}

async function toMailbox(raw: Buffer, message: OutboundMessage, d: Destination, ctx: LocalContext): Promise<DeliveryResult> {
  const user = d.nexthop;
  if (!USER_RE.test(user)) return { address: d.address, status: 'bounced', dsnStatus: '5.1.3', reply: `550 5.1.3 "${user}" cannot name a mailbox` };
  if (alreadyDeliveredTo(raw, d.address)) {
    // Postfix local(8): the message was here before, under this very name.
    return { address: d.address, status: 'bounced', dsnStatus: '5.4.6', reply: `550 5.4.6 mail forwarding loop for ${d.address}` };
  }
  const { agent, command } = ctx.settings.localDelivery;
  if (agent === 'pipe') return toProgram(raw, message, d, command.replace(/\$u/g, shellQuote(user)), ctx, user);
  const path = join(mailboxRoot(ctx.settings, ctx.home), user);
  const copy = localCopy(raw, message.sender, d.address);
  try {
    if (agent === 'mbox') {
      // The mailbox directory is ours to create; the mbox file itself appendMbox creates.
      await mkdir(mailboxRoot(ctx.settings, ctx.home), { recursive: true, mode: 0o700 });
      await appendMbox(path, copy, { sender: message.sender, lockTimeoutMs: ctx.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS });
      return { address: d.address, status: 'sent', dsnStatus: '2.0.0', reply: `250 2.0.0 delivered to mbox ${path}` };
    }
    const file = await writeMaildir(path, copy, ctx.hostname);
    return { address: d.address, status: 'sent', dsnStatus: '2.0.0', reply: `250 2.0.0 delivered to maildir ${file}` };
  } catch (err) {
    return writeFailed(d.address, `${agent} ${path}`, err);
  }
}

async function toProgram(raw: Buffer, message: OutboundMessage, d: Destination, command: string, ctx: LocalContext, user?: string): Promise<DeliveryResult> {
  // Delivered-To names a mailbox: the user's own address, or for an alias's
  // "|program" (whose address is the command) the recipient it was sent to.
  const input = localCopy(raw, message.sender, user ? d.address : d.original);
  const run = await runProgram(command, input, { env: programEnv(message, d, user), timeoutMs: ctx.pipeTimeoutMs ?? DEFAULT_PIPE_TIMEOUT_MS });
  return programResult(d.address, command, run);
}

/** resolve's `error` destinations: "4.3.0:text" defers, "5.x.x:text" bounces. */
function errorResult(d: Destination): DeliveryResult {
  const m = /^([245]\.\d{1,3}\.\d{1,3}):(.*)$/s.exec(d.nexthop);
  const dsn = m ? m[1] : '5.0.0';
  const text = (m ? m[2] : d.nexthop).trim();
  if (dsn.startsWith('4')) return { address: d.address, status: 'deferred', dsnStatus: dsn, reply: `451 ${dsn} ${text}` };
  return { address: d.address, status: 'bounced', dsnStatus: dsn, reply: `550 ${dsn} ${text}` };
}

/** Single-quotes a word for /bin/sh; user names are already restricted, this is belt and braces. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
