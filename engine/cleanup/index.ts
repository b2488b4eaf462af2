// cleanup: the only stage that creates queue entries (STYLE.md §1). Takes an
// envelope and a message stream from smtpd or the sendmail CLI, validates and
// normalises it line by line, adds the trace and missing headers, streams it
// into a SpoolWriter and commits the entry. Resolves only after the spool commit
// is on disk — that is what stands behind a `250`. On any refusal nothing is
// committed (writer.abort()). Never buffers a whole message, never delivers.
import { isAscii } from 'node:buffer';
import { PassThrough, type Readable } from 'node:stream';
import type { AuthVerdict } from '../auth/verify.ts';
import { authservId } from '../auth/authserv-id.ts';
import type { Settings } from '../config/schema.ts';
import type { ClientInfo, Envelope, QueueEntry } from '../contracts.ts';
import { SmtpError } from '../contracts.ts';
import type { Spool } from '../queue/types.ts';
import { assertRoom } from '../queue/free-space.ts';
import type { HeaderBlock } from './headers.ts';
import type { LineEndings } from './lines.ts';
import { MessageBuilder } from './message.ts';
import { pump } from './pump.ts';
import { fromFor, messageIdFor, receivedHeader, rfc5322Date } from './received.ts';
import { rewriteHeaders, rewriteSender } from './rewrite.ts';

export type { LineEndings } from './lines.ts';
export { InputClosedError } from './pump.ts';

export interface CleanupDeps {
  spool: Spool;
  settings: () => Settings;
  /** Told about every committed entry (qmgr schedules it, the UI shows it). */
  onQueued: (e: QueueEntry) => void;
  now?: () => number;
}

export interface AcceptOptions {
  lineEndings: LineEndings;
  /**
   * Sendmail's X-Authentication-Warning texts ("alice set sender to x@y using -f"),
   * added as `X-Authentication-Warning: <hostname>: <text>` only when smtp.privacy
   * has authwarnings (or goaway). The caller decides which cases apply.
   */
  authWarnings?: readonly string[];
  /**
   * Inbound checks (issue 15, engine/auth/verify.ts): given the message as received,
   * while it streams to the spool; its header fields go on top of the stored message
   * (QueueEntry.prepend), its DMARC verdict may refuse (550) or hold the message.
   */
  authenticate?: (message: Readable) => Promise<AuthVerdict>;
}

export interface Cleanup {
  /** Store one message; resolves with the committed entry, rejects with SmtpError. */
  accept(envelope: Envelope, client: ClientInfo, source: Readable, opts: AcceptOptions): Promise<QueueEntry>;
}

/**
 * More Received: headers than this means a mail loop. 50 is Postfix's
 * hopcount_limit; RFC 5321 §6.3 asks for a limit of at least 100 *hops*
 * but every real MTA uses a smaller header count (Sendmail 25, Postfix 50).
 */
export const MAX_RECEIVED = 50;

/** Octets gathered before one spool write: 64 KiB, a typical pipe/socket buffer size. */
const WRITE_BATCH = 64 * 1024;

/** Local submission gets Message-ID/Date/From added when missing (RFC 6409 §8). */
function isLocalSubmission(client: ClientInfo, opts: AcceptOptions): boolean {
  return opts.lineEndings === 'lf' || client.daemon === 'cli' || client.daemon === 'submission';
}

/** The X-Authentication-Warning: fields to add (none unless authwarnings/goaway is set). */
function authWarningHeaders(warnings: readonly string[] | undefined, settings: Settings): string {
  const privacy = settings.smtp.privacy;
  if (!warnings?.length || !(privacy.includes('authwarnings') || privacy.includes('goaway'))) return '';
  return warnings.map((w) => `X-Authentication-Warning: ${settings.hostname}: ${w}\r\n`).join('');
}

export function createCleanup(deps: CleanupDeps): Cleanup {
  const now = deps.now ?? Date.now;

  return {
    async accept(envelope, client, source, opts) {
      const settings = deps.settings();
      const arrivalTime = now();
      // Sender rewriting (issue 5, rewrite.ts): generics, masquerading and
      // qualification touch only our own addresses, as Sendmail's do.
      const sender = rewriteSender(envelope.sender, settings);
      const writer = await deps.spool.begin();
      let messageId: string | undefined;

      const finishHeaders = (headers: HeaderBlock): Buffer => {
        const hops = headers.count('received');
        if (hops > MAX_RECEIVED) {
          throw new SmtpError(554, '5.4.6', `Too many hops (${hops} Received: headers, max ${MAX_RECEIVED}); mail loop?`);
        }
        const added: string[] = [];
        // RFC 8601 §5: Authentication-Results claiming to be ours did not come from us
        // (our own bounces carry none); only the ones we add are to be believed.
        if (client.daemon !== 'bounce') {
          const ours = settings.hostname.toLowerCase();
          headers.removeWhere((name, value) => name === 'authentication-results' && authservId(value) === ours);
        }
        messageId = headers.value('message-id');
        if (isLocalSubmission(client, opts)) {
          if (!messageId) {
            messageId = messageIdFor(writer.id, settings.hostname, arrivalTime);
            added.push(`Message-ID: ${messageId}\r\n`);
          }
          if (!headers.has('date')) added.push(`Date: ${rfc5322Date(arrivalTime)}\r\n`);
          if (!headers.has('from')) added.push(`From: ${fromFor(sender, settings.hostname)}\r\n`);
        }
        const received = receivedHeader({ client, envelope, id: writer.id, hostname: settings.hostname, now: arrivalTime })
          + authWarningHeaders(opts.authWarnings, settings);
        // latin1 keeps every byte of 8-bit headers as it was; only addresses change.
        const original = Buffer.from(rewriteHeaders(headers.toBuffer().toString('latin1'), settings), 'latin1');
        return Buffer.concat([Buffer.from(received), original, Buffer.from(added.join(''))]);
      };

      const builder = new MessageBuilder({
        mode: opts.lineEndings,
        maxMessageSize: settings.smtp.maxMessageSize,
        maxHeadersLength: settings.smtp.maxHeadersLength,
        finishHeaders,
      });

      // Small chunks (a socket delivers a few KiB at a time) are gathered into
      // writes of up to WRITE_BATCH octets: far fewer system calls, bounded memory.
      let batch: Buffer[] = [];
      let batched = 0;
      let inflight: Promise<void> = Promise.resolve();
      const flush = async () => {
        const out = Buffer.concat(batch, batched);
        batch = [];
        batched = 0;
        // smtp.minFreeBlocks while the message comes in, not only at MAIL: a client
        // without SIZE= (or one that lied) gets 452 before the disk fills up.
        await assertRoom(deps.spool, settings.smtp.minFreeBlocks, out.length);
        inflight = writer.write(out);
        return inflight;
      };
      // The checks read a copy of the input as it arrives, so DKIM's body hash needs no second pass.
      const tee = opts.authenticate ? new PassThrough() : null;
      const checked = tee && opts.authenticate ? opts.authenticate(tee) : null;
      // A verifier that gave up early must not leave the copy piling up in memory.
      void checked?.then(() => tee?.resume(), () => tee?.resume());
      let entry: QueueEntry;
      let eightBit = false;
      try {
        await pump(source, async (chunk) => {
          tee?.write(chunk);
          const out = builder.push(chunk);
          eightBit ||= !isAscii(out);
          batch.push(out);
          batched += out.length;
          if (batched >= WRITE_BATCH) await flush();
        });
        const tail = builder.end();
        eightBit ||= !isAscii(tail);
        batch.push(tail);
        batched += tail.length;
        if (batched) await flush();
        tee?.end();
        const verdict = checked ? await checked : null;
        if (verdict?.action === 'reject') throw new SmtpError(550, '5.7.1', verdict.reason ?? 'Message rejected by DMARC policy');
        const held = verdict?.action === 'hold';
        entry = await writer.commit({
          sender,
          recipients: envelope.recipients.map((r) => ({ ...r, status: 'pending' as const })),
          arrivalTime,
          state: held ? 'hold' : 'active',
          ...(held ? { heldBy: 'admin' as const, reason: verdict?.reason } : {}),
          ...(verdict?.headers ? { prepend: verdict.headers } : {}),
          group: 'default',
          attempts: 0,
          nextAttempt: 0,
          ret: envelope.ret,
          envid: envelope.envid,
          // What the octets are, not only what the client said (many send 8-bit
          // without BODY=8BITMIME): delivery declares it or converts it (RFC 6152).
          body: eightBit ? '8BITMIME' : envelope.body,
          smtputf8: envelope.smtputf8,
          client,
          messageId,
        });
      } catch (err) {
        // A write may still be running if the input vanished mid-chunk; let it
        // finish (or fail) so abort() removes everything it wrote.
        await inflight.catch(() => undefined);
        tee?.destroy();
        await writer.abort();
        throw err;
      }
      deps.onQueued(entry);
      return entry;
    },
  };
}
