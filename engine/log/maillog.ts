// The maillog: one line per event in Sendmail's layout (`ID: from=<…>, size=…` and
// `ID: to=<…>, delay=…, stat=…`), appended to <home>/log/maillog and echoed to the
// live event stream. Owns wording and ordering of log lines; never decides anything
// about mail. Not on the durability path: lines are buffered and appended in order,
// and a failing disk costs log lines, never a message.
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeliveryResult, QueueEntry, QueueId } from '../contracts.ts';
import { formatDelay, logSafe, replyText, syslogPrefix } from './format.ts';
import { tailFile } from './tail.ts';

export interface MailLog {
  /** `ID: from=<sender>, size=…, nrcpts=…, msgid=<…>, proto=…, daemon=…, relay=…` once per accepted message. */
  fromLine(entry: QueueEntry): string;
  /** `ID: to=<rcpt>, delay=…, xdelay=…, mailer=…, pri=…, relay=…, dsn=…, stat=…` per recipient per attempt. */
  toLine(entry: QueueEntry, r: DeliveryResult, x: { mailer: string; relay?: string; attemptStart: number }): string;
  /** A free line: `ID: text`, or just `text` when id is null (start-up, listeners). */
  info(id: QueueId | null, text: string): string;
  /** Last `lines` lines of the file containing `filter`, oldest first; waits for buffered lines. */
  tail(lines: number, filter?: string): Promise<string[]>;
  /** Write out everything buffered. The log stays usable: a later line appends again. */
  close(): Promise<void>;
}

export interface MailLogOptions {
  file: string;
  hostname: string;
  /** Every formatted line, as written (the engine turns these into `log:line` events). */
  onLine?: (line: string) => void;
  now?: () => number;
  /** Shown in `mailstop[PID]:`; tests fix it. */
  pid?: number;
  /** Where a failed append is reported (default: one line on stderr per failure burst). */
  onError?: (err: Error) => void;
}

/**
 * Sendmail's queue priority (conf.c defaults): size + 30000 per recipient
 * (WkRecipFact) + 90000 per delivery attempt so far (WkTimeFact); class 0 adds none.
 * Printed for compatibility; Mailstop's scheduler does not use it.
 */
export function priority(entry: QueueEntry): number {
  return entry.size + 30_000 * entry.recipients.length + 90_000 * entry.attempts;
}

/** Sendmail's daemon= names for our listeners (DAEMON_OPTIONS Name=MTA / MSA). */
const DAEMON_NAMES: Record<string, string> = { smtp: 'MTA', submission: 'MSA', smtps: 'MTA-SSL' };

function angle(address: string): string {
  return `<${logSafe(address)}>`;
}

function clientRelay(entry: QueueEntry): string {
  const c = entry.client;
  // Sendmail's local submission: relay=alice@localhost.
  if (!c.address) return c.user && c.daemon === 'cli' ? `${logSafe(c.user)}@localhost` : 'localhost';
  return c.hostname ? `${logSafe(c.hostname)} [${c.address}]` : `[${c.address}]`;
}

function statField(r: DeliveryResult): string {
  const text = replyText(r.reply);
  switch (r.status) {
    case 'sent': return text ? `Sent (${text})` : 'Sent';
    // Sendmail keeps the whole reply, code included, after "Deferred: ".
    case 'deferred': return `Deferred: ${logSafe(r.reply) || 'temporary failure'}`;
    case 'bounced': return text || 'Service unavailable';
  }
}

/**
 * Append `buf` (whole lines) with one write, or not at all: a write the full disk
 * cut short is truncated back off, so the file never holds half a line (a later
 * line would be glued to it). The log has one writer, this process, so the size
 * before the write is the place to cut.
 */
async function appendWhole(file: string, buf: Buffer): Promise<void> {
  const fh = await open(file, 'a');
  try {
    const before = (await fh.stat()).size;
    let written = 0;
    try {
      written = (await fh.write(buf, 0, buf.length)).bytesWritten;
    } catch (err) {
      await fh.truncate(before).catch(() => undefined);
      throw err;
    }
    if (written < buf.length) {
      await fh.truncate(before).catch(() => undefined);
      throw Object.assign(new Error(`short write to ${file}: no space left on device`), { code: 'ENOSPC' });
    }
  } finally {
    await fh.close();
  }
}

export function createMailLog(opts: MailLogOptions): MailLog {
  const now = opts.now ?? Date.now;
  const pid = opts.pid ?? process.pid;
  let buffered: string[] = [];
  let flushing: Promise<void> = Promise.resolve();
  let lastError = '';
  const reportError = opts.onError ?? ((err: Error) => {
    // One report per distinct failure, so a full disk does not flood stderr.
    if (err.message === lastError) return;
    lastError = err.message;
    process.stderr.write(`mailstop: cannot write ${opts.file}: ${err.message}\n`);
  });

  /** Lines dropped whole because the disk was full; told in one line once space returns. */
  let dropped = 0;

  // One writer at a time; lines that arrive meanwhile go out together in the next
  // append. Appending by path (not a held descriptor) follows a rotated file.
  async function drain(): Promise<void> {
    while (buffered.length > 0) {
      const lines = buffered;
      buffered = [];
      const notice = dropped > 0;
      if (notice) {
        lines.unshift(`${syslogPrefix(new Date(now()), opts.hostname, pid)} ${dropped} log line(s) dropped: no space left on device\n`);
      }
      const batch = Buffer.from(lines.join(''));
      try {
        await appendWhole(opts.file, batch).catch(async (err: NodeJS.ErrnoException) => {
          // First line ever, or someone removed log/: create the directory once and retry.
          if (err.code !== 'ENOENT') throw err;
          await mkdir(dirname(opts.file), { recursive: true });
          await appendWhole(opts.file, batch);
        });
        dropped = 0;
        lastError = '';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // The notice line itself is not counted as a dropped line.
        if (code === 'ENOSPC' || code === 'EDQUOT') dropped += lines.length - (notice ? 1 : 0);
        reportError(err as Error);
      }
    }
  }

  function emit(text: string): string {
    const line = `${syslogPrefix(new Date(now()), opts.hostname, pid)} ${text}`;
    const start = buffered.length === 0;
    buffered.push(line + '\n');
    if (start) flushing = flushing.then(drain);
    if (opts.onLine) opts.onLine(line);
    return line;
  }

  return {
    fromLine(entry) {
      const fields = [
        `from=${angle(entry.sender)}`,
        `size=${entry.size}`,
        'class=0',
        `nrcpts=${entry.recipients.length}`,
      ];
      if (entry.messageId) {
        const id = logSafe(entry.messageId).replace(/^<|>$/g, '');
        fields.push(`msgid=<${id}>`);
      }
      const c = entry.client;
      // Local submissions have no protocol or daemon in Sendmail's line, only relay=.
      if (c.address && c.daemon !== 'cli' && c.daemon !== 'bounce') {
        fields.push(`proto=${logSafe(c.protocol)}`, `daemon=${DAEMON_NAMES[c.daemon] ?? logSafe(c.daemon)}`);
      }
      fields.push(`relay=${clientRelay(entry)}`);
      return emit(`${entry.id}: ${fields.join(', ')}`);
    },

    toLine(entry, r, x) {
      const t = now();
      const fields = [
        `to=${angle(r.address)}`,
        `delay=${formatDelay(t - entry.arrivalTime)}`,
        `xdelay=${formatDelay(t - x.attemptStart)}`,
        `mailer=${logSafe(x.mailer)}`,
        `pri=${priority(entry)}`,
      ];
      const relay = x.relay ?? r.remoteMta;
      if (relay) fields.push(`relay=${logSafe(relay)}`);
      fields.push(`dsn=${logSafe(r.dsnStatus)}`, `stat=${statField(r)}`);
      return emit(`${entry.id}: ${fields.join(', ')}`);
    },

    info(id, text) {
      return emit(id ? `${id}: ${logSafe(text)}` : logSafe(text));
    },

    async tail(lines, filter) {
      await flushing;
      return tailFile(opts.file, lines, filter);
    },

    async close() {
      await flushing;
    },
  };
}
