// Fills a spool directory with N plausible deferred entries without going through
// SMTP: 100 000 messages through the front door would take minutes, and how they got
// there is not what the Queue page bench measures. The files are what cleanup would
// write (a df with the message, a qf with the control record from control-file.ts)
// but without fsyncs: setup, not the durable path.
//
// Owns: bench fixtures. Never: used by the engine or by tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { QueueEntry } from '../../engine/contracts.ts';
import { encodeControl } from '../../engine/queue/control-file.ts';
import { newQueueId } from '../../engine/queue/queue-id.ts';

/** Spread of arrival times: one message every 2.5 s reaches back ~3 days at 100 000. */
const ARRIVAL_STEP_MS = 2500;
/** Distinct recipient domains, senders and mailboxes: enough for filters and the qshape view to have work. */
const DOMAINS = 300;
const SENDERS = 40;
const MAILBOXES = 5000;

function message(i: number, from: string, to: string, at: number): Buffer {
  const body = `Message ${i} of the queue bench.\r\n`.repeat(28); // ~1 KB, like smtp-source -l 1024
  return Buffer.from(
    `Received: from source.example ([127.0.0.1]) by bench.localhost with ESMTP; ${new Date(at).toUTCString()}\r\n` +
    `From: <${from}>\r\nTo: <${to}>\r\nSubject: bench ${i}\r\nDate: ${new Date(at).toUTCString()}\r\n` +
    `Message-ID: <bench.${i}@source.example>\r\n\r\n${body}`, 'latin1');
}

/** Write n deferred entries into `spoolDir` (created if needed); returns the IDs in arrival order. */
// Synchronous writes on purpose: on tmpfs they are several times faster than the
// thread-pool round trips of fs.promises, and nothing else runs in the harness meanwhile.
export function seedSpool(spoolDir: string, n: number, now = Date.now()): string[] {
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = now - (n - i) * ARRIVAL_STEP_MS;
    const id = newQueueId(at);
    ids.push(id);
    const domain = `domain${i % DOMAINS}.example`;
    const from = `user${i % SENDERS}@sender.example`;
    const to = `rcpt${i % MAILBOXES}@${domain}`;
    const data = message(i, from, to, at);
    const reply = `Deferred: Connection refused by mx.${domain}`;
    const entry: QueueEntry = {
      id, sender: from, size: data.length, arrivalTime: at,
      recipients: [{ address: to, status: 'pending', lastReply: reply, dsnStatus: '4.4.1', remoteMta: `mx.${domain}` }],
      state: 'deferred', group: 'default', attempts: 1 + (i % 5),
      // Far enough ahead that no retry starts while the page is measured.
      nextAttempt: now + 3600_000, lastAttempt: now - 60_000, reason: reply,
      client: { address: '127.0.0.1', helo: 'source.example', protocol: 'ESMTP', daemon: 'smtp' },
      messageId: `<bench.${i}@source.example>`, warned: true,
      // What a refused connection leaves (transports/smtp-session.ts): part of every deferred entry.
      transcript: [`*** Connecting to mx.${domain} [192.0.2.${1 + (i % DOMAINS) % 254}]:25`, `*** ${reply}`],
    };
    writeFileSync(path.join(spoolDir, `df${id}`), data, { mode: 0o600 });
    writeFileSync(path.join(spoolDir, `qf${id}`), encodeControl(entry), { mode: 0o600 });
  }
  return ids;
}
