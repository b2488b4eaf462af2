// Local delivery to real files in a temp data directory: Maildir (tmp → new,
// readable names, trace headers), mbox (From line, >From escaping, dot-lock),
// the pipe agent, and failed writes that must defer rather than lose mail.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { SettingsSchema, type SettingsInput } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { deliverLocal, type LocalContext } from '../../../engine/transports/local.ts';

let home: string;
beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'mailstop-local-')); });
afterEach(async () => {
  await chmod(join(home, 'mail'), 0o755).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

const MESSAGE = [
  'From: Carol <carol@remote.example>',
  'To: alice@example.com',
  'Subject: lunch',
  '',
  'From here on, all good.',
  '>From the archive',
  'bye',
  '',
].join('\r\n');

function message(text = MESSAGE, sender = 'carol@remote.example'): OutboundMessage {
  const buf = Buffer.from(text);
  return { id: 'Q1', sender, size: buf.length, open: () => Readable.from([buf]) };
}
function local(user: string): Destination {
  return { transport: 'local', nexthop: user, mailer: 'local', address: `${user}@example.com`, original: `${user}@example.com` };
}
function ctx(settings: SettingsInput = {}): LocalContext {
  return { settings: SettingsSchema.parse(settings), home, hostname: 'mail.example.com', lockTimeoutMs: 300 };
}

describe('Maildir', () => {
  it('delivers into new/ with Return-Path and Delivered-To, LF lines, nothing left in tmp/', async () => {
    const report = await deliverLocal(message(), [local('alice'), local('bob')], ctx());
    expect(report.results.map((r) => [r.address, r.status, r.dsnStatus])).toEqual([
      ['alice@example.com', 'sent', '2.0.0'],
      ['bob@example.com', 'sent', '2.0.0'],
    ]);
    for (const user of ['alice', 'bob']) {
      const dir = join(home, 'mail', user);
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
      expect(await readdir(join(dir, 'cur'))).toEqual([]);
      const files = await readdir(join(dir, 'new'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^\d+\.M\d+P\d+Q\d+\.mail\.example\.com$/);
      const got = await readFile(join(dir, 'new', files[0]), 'utf8');
      expect(got.startsWith(`Return-Path: <carol@remote.example>\nDelivered-To: ${user}@example.com\nFrom: Carol`)).toBe(true);
      expect(got).not.toContain('\r');
      const parsed = await simpleParser(got);
      expect(parsed.subject).toBe('lunch');
      expect(parsed.text).toContain('From here on, all good.');
    }
  });

  it('gives every message its own file', async () => {
    await deliverLocal(message(), [local('alice')], ctx());
    await deliverLocal(message(), [local('alice')], ctx());
    expect(new Set(await readdir(join(home, 'mail', 'alice', 'new'))).size).toBe(2);
  });

  it('honours an absolute mailboxDir', async () => {
    const dir = join(home, 'elsewhere');
    await deliverLocal(message(), [local('alice')], ctx({ localDelivery: { mailboxDir: dir } }));
    expect(await readdir(join(dir, 'alice', 'new'))).toHaveLength(1);
  });

  it('bounces a message that was already delivered to this mailbox (forwarding loop)', async () => {
    const looped = `Delivered-To: alice@example.com\r\n${MESSAGE}`;
    const report = await deliverLocal(message(looped), [local('alice')], ctx());
    expect(report.results[0]).toMatchObject({ status: 'bounced', dsnStatus: '5.4.6' });
    expect(report.results[0].reply).toContain('mail forwarding loop for alice@example.com');
  });
});

describe('mbox', () => {
  const mbox = { localDelivery: { agent: 'mbox' as const } };

  it('appends From-separated messages with >From escaping and leaves no lock', async () => {
    const first = await deliverLocal(message(), [local('alice')], ctx(mbox));
    const second = await deliverLocal(message(MESSAGE, ''), [local('alice')], ctx(mbox));
    expect([first.results[0].status, second.results[0].status]).toEqual(['sent', 'sent']);
    const got = await readFile(join(home, 'mail', 'alice'), 'utf8');
    const separators = got.split('\n').filter((l) => l.startsWith('From '));
    expect(separators).toHaveLength(2);
    expect(separators[0]).toMatch(/^From carol@remote\.example \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    expect(separators[1]).toMatch(/^From MAILER-DAEMON /);
    expect(got).toContain('\n>From here on, all good.\n>>From the archive\nbye\n\n');
    expect(got).toContain('Return-Path: <>\n');
    expect(got).not.toContain('\r');
    expect(await readdir(join(home, 'mail'))).toEqual(['alice']);
  });

  it('defers while another writer holds the lock, and breaks a stale lock', async () => {
    await mkdir(join(home, 'mail'), { recursive: true });
    const lock = join(home, 'mail', 'alice.lock');
    await writeFile(lock, '99999\n');
    const busy = await deliverLocal(message(), [local('alice')], ctx(mbox));
    expect(busy.results[0]).toMatchObject({ status: 'deferred', dsnStatus: '4.2.0' });
    expect(busy.results[0].reply).toContain('locked');

    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lock, old, old);
    const later = await deliverLocal(message(), [local('alice')], ctx(mbox));
    expect(later.results[0].status).toBe('sent');
    expect(await readFile(join(home, 'mail', 'alice'), 'utf8')).toContain('Subject: lunch');
  });
});

describe('failed writes defer', () => {
  it('a full disk (ENOSPC) defers with 4.3.1', async () => {
    await mkdir(join(home, 'mail'), { recursive: true });
    await symlink('/dev/full', join(home, 'mail', 'alice'));
    const report = await deliverLocal(message(), [local('alice')], ctx({ localDelivery: { agent: 'mbox' } }));
    expect(report.results[0]).toMatchObject({ status: 'deferred', dsnStatus: '4.3.1' });
    expect(report.results[0].reply).toMatch(/cannot write mbox .*alice: .*ENOSPC/);
  });

  it('a mailbox path that is not a directory defers', async () => {
    await mkdir(join(home, 'mail'), { recursive: true });
    await writeFile(join(home, 'mail', 'alice'), 'not a maildir');
    const report = await deliverLocal(message(), [local('alice'), local('bob')], ctx());
    expect(report.results.map((r) => r.status)).toEqual(['deferred', 'sent']);
    expect(report.results[0].reply).toMatch(/^451 4\.3\.0 cannot write maildir/);
  });

  it.skipIf(process.getuid?.() === 0)('a read-only mailbox directory defers (EACCES)', async () => {
    await mkdir(join(home, 'mail'), { recursive: true });
    await chmod(join(home, 'mail'), 0o555);
    const report = await deliverLocal(message(), [local('alice')], ctx());
    expect(report.results[0]).toMatchObject({ status: 'deferred', dsnStatus: '4.2.1' });
  });
});

describe('pipe agent and other local destinations', () => {
  it('runs localDelivery.command with $u for the user', async () => {
    const out = join(home, 'out');
    const script = join(home, 'deliver.sh');
    await writeFile(script, `#!/bin/sh\n{ echo "user=$1 sender=$SENDER"; cat; } > ${out}\n`, { mode: 0o755 });
    const report = await deliverLocal(message(), [local('alice')], ctx({ localDelivery: { agent: 'pipe', command: `${script} $u` } }));
    expect(report.results[0]).toMatchObject({ status: 'sent', dsnStatus: '2.0.0' });
    const got = await readFile(out, 'utf8');
    expect(got.startsWith('user=alice sender=carol@remote.example\nReturn-Path: <carol@remote.example>\nDelivered-To: alice@example.com\n')).toBe(true);
  });

  it('handles discard, error and unknown transports in order', async () => {
    const original = 'x@example.com';
    const report = await deliverLocal(message(), [
      { transport: 'discard', nexthop: '/dev/null', mailer: 'discard', address: '/dev/null', original },
      { transport: 'error', nexthop: '4.3.0:cannot read :include: file /etc/list (EACCES)', mailer: 'error', address: ':include:/etc/list', original },
      { transport: 'error', nexthop: '5.7.1:no mail here', mailer: 'error', address: original, original },
      { transport: 'smtp', nexthop: 'example.org', mailer: 'esmtp', address: 'y@example.org', original },
      { transport: 'local', nexthop: '../etc', mailer: 'local', address: '../etc@example.com', original },
    ], ctx());
    expect(report.results.map((r) => [r.status, r.dsnStatus])).toEqual([
      ['sent', '2.0.0'], ['deferred', '4.3.0'], ['bounced', '5.7.1'], ['deferred', '4.3.5'], ['bounced', '5.1.3'],
    ]);
    expect(report.results[2].reply).toBe('550 5.7.1 no mail here');
  });
});
