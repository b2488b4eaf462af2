// The maildrop: how a local user who is not the engine's owner hands in a
// message (Postfix's postdrop → maildrop/ → pickup). The writer creates a
// private temporary file (dot name, ignored by the pickup), writes and fsyncs
// it, makes it readable, and renames it into place; the pickup (pickup.ts)
// takes the submitter's identity from the file's owner, never from its content.
// The directory is 1733 in an installed instance (anyone may create, nobody but
// the owner may list, the sticky bit stops users removing each other's files).
//
// File layout: "MAILSTOP-DROP 1\n", one JSON line with the envelope, then the
// message bytes unchanged.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DsnNotify, Envelope, RecipientRequest } from '../contracts.ts';
import { maildropDir } from './paths.ts';

const MAGIC = 'MAILSTOP-DROP 1\n';
/** A sane envelope line is far smaller; more is garbage, not a big message. */
const MAX_ENVELOPE_LINE = 1024 * 1024;
const NOTIFY = new Set<DsnNotify>(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']);

export class DropFormatError extends Error {}

export function encodeDrop(envelope: Envelope, message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(MAGIC + JSON.stringify(envelope) + '\n'), message]);
}

const isStr = (v: unknown): v is string => typeof v === 'string';

function recipientOf(v: unknown): RecipientRequest {
  const r = v as Record<string, unknown>;
  if (!r || typeof r !== 'object' || !isStr(r.address) || !r.address) throw new DropFormatError('a recipient has no address');
  const out: RecipientRequest = { address: r.address };
  if (r.orcpt !== undefined) {
    if (!isStr(r.orcpt)) throw new DropFormatError('ORCPT is not text');
    out.orcpt = r.orcpt;
  }
  if (r.notify !== undefined) {
    if (!Array.isArray(r.notify) || !r.notify.every((n) => NOTIFY.has(n as DsnNotify))) throw new DropFormatError('bad NOTIFY');
    out.notify = r.notify as DsnNotify[];
  }
  return out;
}

/** Reads a drop file's bytes back; throws DropFormatError naming what is wrong. */
export function decodeDrop(data: Buffer): { envelope: Envelope; message: Buffer } {
  if (!data.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) throw new DropFormatError('not a maildrop file (bad first line)');
  const end = data.indexOf(0x0a, MAGIC.length);
  if (end < 0 || end - MAGIC.length > MAX_ENVELOPE_LINE) throw new DropFormatError('no envelope line');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(data.subarray(MAGIC.length, end).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new DropFormatError('envelope line is not JSON');
  }
  if (!raw || typeof raw !== 'object' || !isStr(raw.sender)) throw new DropFormatError('envelope has no sender');
  if (!Array.isArray(raw.recipients) || raw.recipients.length === 0) throw new DropFormatError('envelope has no recipients');
  const envelope: Envelope = { sender: raw.sender, recipients: raw.recipients.map(recipientOf) };
  if (raw.ret === 'FULL' || raw.ret === 'HDRS') envelope.ret = raw.ret;
  if (isStr(raw.envid)) envelope.envid = raw.envid;
  if (raw.body === '7BIT' || raw.body === '8BITMIME') envelope.body = raw.body;
  if (raw.smtputf8 === true) envelope.smtputf8 = true;
  return { envelope, message: data.subarray(end + 1) };
}

/** The names the pickup takes: committed drops only, never a writer's temporary file. */
export const isCommittedDropName = (name: string) => /^[0-9a-z]+-[0-9a-f]{32}$/.test(name);

/**
 * Drops one message for the pickup. Resolves once the file is complete under
 * its final name (fsynced before the rename, so a crash leaves either nothing
 * or the whole file). Returns the file's name.
 */
export async function writeDrop(home: string, envelope: Envelope, message: Buffer): Promise<string> {
  const dir = maildropDir(home);
  const unique = `${Date.now().toString(36)}-${crypto.randomBytes(16).toString('hex')}`;
  const tmp = path.join(dir, `.${unique}`);
  // wx: never follow or reuse something another user put under this name.
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(encodeDrop(envelope, message));
    await fh.sync();
    // Readable by the engine's account (which need not be root), still unfindable in a 1733 directory.
    await fh.chmod(0o644);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.rename(tmp, path.join(dir, unique));
  return unique;
}
