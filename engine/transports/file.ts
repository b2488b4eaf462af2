// File delivery: an alias or forward target "/path/file" gets each message
// appended mbox-style (From line, >From escaping, dot-lock, fsync), as Sendmail's
// *file* mailer does. A failed write defers; nothing is lost.
import type { DeliveryReport, DeliveryResult, Destination, OutboundMessage } from '../contracts.ts';
import { appendMbox } from './mbox.ts';
import { DEFAULT_LOCK_TIMEOUT_MS, localCopy, readMessage, writeFailed, type LocalContext } from './local-context.ts';

export async function appendToFile(raw: Buffer, sender: string, d: Destination, ctx: LocalContext): Promise<DeliveryResult> {
  const path = d.nexthop;
  if (!path.startsWith('/')) {
    // resolve refuses these; a hand-made destination gets the same answer.
    return { address: d.address, status: 'bounced', dsnStatus: '5.3.5', reply: `550 5.3.5 file target must be an absolute path: ${path}` };
  }
  if (path === '/dev/null') return { address: d.address, status: 'sent', dsnStatus: '2.0.0', reply: '250 2.0.0 discarded (/dev/null)' };
  try {
    await appendMbox(path, localCopy(raw, sender, d.original), { sender, lockTimeoutMs: ctx.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS });
  } catch (err) {
    return writeFailed(d.address, `file ${path}`, err);
  }
  return { address: d.address, status: 'sent', dsnStatus: '2.0.0', reply: `250 2.0.0 appended to file ${path}` };
}

export async function deliverFile(message: OutboundMessage, recipients: Destination[], ctx: LocalContext): Promise<DeliveryReport> {
  const raw = await readMessage(message);
  const results: DeliveryResult[] = [];
  for (const d of recipients) results.push(await appendToFile(raw, message.sender, d, ctx));
  return { results, transcript: results.map((r) => `${r.address}: ${r.reply}`) };
}
