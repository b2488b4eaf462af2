// cleanup over the real spool (files in a temp dir): what is stored, which headers
// are added, and that every refusal leaves nothing behind.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCleanup, InputClosedError, type Cleanup } from '../../../engine/cleanup/index.ts';
import { SettingsSchema, type Settings } from '../../../engine/config/schema.ts';
import { SmtpError, type ClientInfo, type Envelope, type QueueEntry } from '../../../engine/contracts.ts';
import { createSpool } from '../../../engine/queue/spool.ts';
import type { Spool } from '../../../engine/queue/types.ts';

process.env.TZ = 'UTC';
const NOW = Date.UTC(2025, 10, 21, 23, 17, 5);

let dir: string;
let spool: Spool;
let settings: Settings;
let queued: QueueEntry[];
let cleanup: Cleanup;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailstop-cleanup-'));
  spool = createSpool(join(dir, 'spool'));
  settings = SettingsSchema.parse({ hostname: 'mx.example.org', smtp: { maxMessageSize: 4096, maxHeadersLength: 1024 } });
  queued = [];
  cleanup = createCleanup({ spool, settings: () => settings, onQueued: (e) => queued.push(e), now: () => NOW });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const smtpClient: ClientInfo = { address: '192.0.2.7', helo: 'client.example', protocol: 'ESMTP', daemon: 'smtp' };
const cliClient: ClientInfo = { address: '', protocol: 'local', daemon: 'cli', user: 'alice' };
const envelope = (n = 1): Envelope => ({
  sender: 'alice@example.com',
  recipients: Array.from({ length: n }, (_, i) => ({ address: `rcpt${i}@example.net`, notify: ['FAILURE' as const] })),
  ret: 'HDRS',
  envid: 'ENV1',
  body: '8BITMIME',
});

async function stored(id: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of spool.open(id)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

/** Everything in the spool directory: after a refusal there must be nothing. */
async function spoolFiles(): Promise<string[]> {
  try {
    return (await readdir(join(dir, 'spool'))).filter((f) => f !== 'corrupt');
  } catch {
    return [];
  }
}

const msg = (s: string) => Readable.from([Buffer.from(s, 'latin1')]);

describe('cleanup.accept', () => {
  it('stores an SMTP message with a Received header and returns the committed entry', async () => {
    const body = 'From: alice@example.com\r\nSubject: hi\r\nMessage-ID: <m1@example.com>\r\n\r\nHello\r\n..dots stay\r\n';
    const entry = await cleanup.accept(envelope(), smtpClient, msg(body), { lineEndings: 'crlf-strict' });

    const got = await stored(entry.id);
    const want =
      'Received: from client.example (unknown [192.0.2.7])\r\n' +
      `\tby mx.example.org (Mailstop) with ESMTP id ${entry.id}\r\n` +
      '\tfor <rcpt0@example.net>; Fri, 21 Nov 2025 23:17:05 +0000\r\n' + body;
    expect(got).toBe(want);
    expect(entry).toMatchObject({
      sender: 'alice@example.com', state: 'active', group: 'default', attempts: 0, nextAttempt: 0,
      arrivalTime: NOW, size: Buffer.byteLength(want), ret: 'HDRS', envid: 'ENV1', body: '8BITMIME',
      messageId: '<m1@example.com>', client: smtpClient,
      recipients: [{ address: 'rcpt0@example.net', notify: ['FAILURE'], status: 'pending' }],
    });
    expect(queued.map((e) => e.id)).toEqual([entry.id]);
    expect((await spool.list()).map((e) => e.id)).toEqual([entry.id]);
  });

  it('names no recipient in Received when there are several (no Bcc leak, RFC 5321 §4.4)', async () => {
    const entry = await cleanup.accept(envelope(2), smtpClient, msg('Subject: x\r\n\r\nb\r\n'), { lineEndings: 'crlf-strict' });
    const got = (await stored(entry.id)).split('\r\n').slice(0, 2);
    expect(got).toEqual(['Received: from client.example (unknown [192.0.2.7])', `\tby mx.example.org (Mailstop) with ESMTP id ${entry.id}; Fri, 21 Nov 2025 23:17:05 +0000`]);
  });

  it('adds Message-ID, Date and From for local submission and converts LF to CRLF', async () => {
    const entry = await cleanup.accept(envelope(), cliClient, msg('Subject: from cron\n\nline 1\nline 2'), { lineEndings: 'lf' });
    const got = await stored(entry.id);
    const want =
      '(from alice@localhost)\r\n' +
      `\tby mx.example.org (Mailstop) id ${entry.id}\r\n` +
      '\tfor <rcpt0@example.net>; Fri, 21 Nov 2025 23:17:05 +0000\r\n' +
      'Subject: from cron\r\n' +
      `Message-ID: <20251121231705.${entry.id}@mx.example.org>\r\n` +
      'Date: Fri, 21 Nov 2025 23:17:05 +0000\r\n' +
      'From: alice@example.com\r\n' +
      '\r\nline 1\r\nline 2\r\n';
    expect(got).toBe('Received: ' + want);
    expect(entry.messageId).toBe(`<20251121231705.${entry.id}@mx.example.org>`);
  });

  it('adds nothing but Received for an SMTP relay client (headers are the author\'s)', async () => {
    const entry = await cleanup.accept(envelope(), smtpClient, msg('Subject: bare\r\n\r\nb\r\n'), { lineEndings: 'crlf-strict' });
    const got = await stored(entry.id);
    expect(got).not.toMatch(/^(Message-ID|Date|From):/im);
    expect(entry.messageId).toBeUndefined();
  });

  it('rewrites our own sender addresses (masquerading, issue 5 rewrite.ts) in envelope and headers', async () => {
    settings = SettingsSchema.parse({ hostname: 'mx.example.org', rewrite: { masqueradeAs: 'example.org', masqueradeEnvelope: true } });
    const env = { ...envelope(), sender: 'bob@mx.example.org' };
    const entry = await cleanup.accept(env, smtpClient, msg('From: Bob <bob@mx.example.org>\r\nTo: x@remote.example\r\n\r\nb\r\n'), { lineEndings: 'crlf-strict' });
    expect(entry.sender).toBe('bob@example.org');
    expect(await stored(entry.id)).toContain('\r\nFrom: Bob <bob@example.org>\r\nTo: x@remote.example\r\n\r\nb\r\n');
  });

  it('qualifies an unqualified CLI sender with the host name', async () => {
    const env = { ...envelope(), sender: 'alice' };
    const entry = await cleanup.accept(env, cliClient, msg('Subject: s\n\nb\n'), { lineEndings: 'lf' });
    expect(entry.sender).toBe('alice@mx.example.org');
    expect(await stored(entry.id)).toContain('\r\nFrom: alice@mx.example.org\r\n');
  });

  it('takes a cron report as it comes: a progress bar\'s bare CRs end lines, a long line is folded', async () => {
    const long = 'w'.repeat(1500);
    const entry = await cleanup.accept(envelope(), cliClient, msg(`Subject: backup\n\n10%\r20%\r100%\n${long}\n`), { lineEndings: 'lf' });
    const body = (await stored(entry.id)).split('\r\n\r\n')[1];
    expect(body).toBe(`10%\r\n20%\r\n100%\r\n${'w'.repeat(998)}\r\n ${'w'.repeat(502)}\r\n`);
  });

  it('inserts the empty line when the body starts without one', async () => {
    const entry = await cleanup.accept(envelope(), smtpClient, msg('Subject: s\r\nnot a header\r\n'), { lineEndings: 'crlf-strict' });
    expect((await stored(entry.id)).endsWith('Subject: s\r\n\r\nnot a header\r\n')).toBe(true);
  });

  it('keeps folded headers together and reads the folded Message-ID', async () => {
    const entry = await cleanup.accept(envelope(), smtpClient, msg('Message-ID:\r\n <folded@example.com>\r\n\r\nb\r\n'), { lineEndings: 'crlf-strict' });
    expect(entry.messageId).toBe('<folded@example.com>');
  });

  it('accepts exactly 50 Received headers', async () => {
    const hops = 'Received: by x\r\n'.repeat(50);
    const entry = await cleanup.accept(envelope(), smtpClient, msg(hops + '\r\nb\r\n'), { lineEndings: 'crlf-strict' });
    expect(entry.id).toHaveLength(14);
  });

  const refusals: { name: string; input: () => Readable; mode?: 'lf'; want: string }[] = [
    { name: 'bare LF (\\n.\\n smuggling)', input: () => msg('Subject: x\r\n\r\na\n.\nMAIL FROM:<e@vil>\r\n'), want: '550 5.5.2' },
    { name: 'bare CR (\\r.\\r smuggling)', input: () => msg('Subject: x\r\n\r\na\r.\rMAIL FROM:<e@vil>\r\n'), want: '550 5.5.2' },
    { name: 'NUL (\\r\\n\\x00.\\r\\n smuggling)', input: () => msg('Subject: x\r\n\r\na\r\n\x00.\r\nMAIL FROM:<e@vil>\r\n'), want: '550 5.6.0' },
    { name: 'line over 998 octets', input: () => msg(`Subject: x\r\n\r\n${'z'.repeat(999)}\r\n`), want: '554 5.6.0' },
    { name: 'message over smtp.maxMessageSize', input: () => msg(`Subject: x\r\n\r\n${'0123456789\r\n'.repeat(500)}`), want: '552 5.3.4' },
    { name: 'headers over smtp.maxHeadersLength', input: () => msg(`${'X-Pad: 0123456789012345678901234567890123456789\r\n'.repeat(30)}\r\nb\r\n`), want: '552 5.6.0' },
    { name: '51 Received headers (mail loop)', input: () => msg(`${'Received: by x\r\n'.repeat(51)}\r\nb\r\n`), want: '554 5.4.6' },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} and stores nothing`, async () => {
      const client = c.mode === 'lf' ? cliClient : smtpClient;
      const got = await cleanup.accept(envelope(), client, c.input(), { lineEndings: c.mode ?? 'crlf-strict' }).then(
        () => 'accepted',
        (err: unknown) => (err instanceof SmtpError ? `${err.responseCode} ${err.enhanced}` : String(err)),
      );
      expect(got).toBe(c.want);
      expect(await spoolFiles()).toEqual([]);
      expect(queued).toEqual([]);
    });
  }

  it('drains the rest of the input after a refusal, so an SMTP peer can finish sending', async () => {
    const source = new PassThrough();
    const result = cleanup.accept(envelope(), smtpClient, source, { lineEndings: 'crlf-strict' }).catch((e: unknown) => e);
    source.write('Subject: x\r\n\r\nbad\nline\r\n');
    const err = await result;
    expect(err).toBeInstanceOf(SmtpError);
    // Writing much more than a stream buffer still completes: someone is reading.
    for (let i = 0; i < 200; i++) source.write(Buffer.alloc(1024, 0x61));
    const ended = new Promise((resolve) => source.once('end', resolve));
    source.end();
    await ended;
    expect(await spoolFiles()).toEqual([]);
  });

  it('aborts when the client vanishes mid-message', async () => {
    const source = new PassThrough();
    const result = cleanup.accept(envelope(), smtpClient, source, { lineEndings: 'crlf-strict' }).catch((e: unknown) => e);
    source.write('Subject: x\r\n\r\npartial\r\n');
    await new Promise((r) => setTimeout(r, 20));
    source.destroy();
    expect(await result).toBeInstanceOf(InputClosedError);
    expect(await spoolFiles()).toEqual([]);
  });

  it('streams a large message without holding it: many chunks, byte-exact', async () => {
    settings = SettingsSchema.parse({ hostname: 'mx.example.org', smtp: { maxMessageSize: 4 * 1024 * 1024 } });
    const line = 'abcdefghijklmnopqrstuvwxyz0123456789\r\n';
    const chunks = Array.from({ length: 2000 }, (_, i) => Buffer.from((i === 0 ? 'Subject: big\r\n\r\n' : '') + line.repeat(40)));
    const entry = await cleanup.accept(envelope(2), smtpClient, Readable.from(chunks), { lineEndings: 'crlf-strict' });
    const got = await stored(entry.id);
    expect(got.endsWith(Buffer.concat(chunks).toString('latin1'))).toBe(true);
    expect(entry.size).toBe(Buffer.byteLength(got));
  });
});
