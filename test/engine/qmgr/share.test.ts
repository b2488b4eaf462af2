// The index keeps what repeats between queued messages once (share.ts, issue 13:
// RSS with 100 000 queued) without changing what any entry says: an entry reads
// the same, field for field and in the same order, before and after.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createCleanup } from '../../../engine/cleanup/index.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import type { ClientInfo, QueueEntry } from '../../../engine/contracts.ts';
import { indexable } from '../../../engine/qmgr/index.ts';
import { Sharer } from '../../../engine/qmgr/share.ts';
import { createSpool } from '../../../engine/queue/spool.ts';

let dir: string | undefined;
afterEach(async () => { if (dir) await fs.rm(dir, { recursive: true, force: true }); dir = undefined; });

const entry = (id: string, client: ClientInfo): QueueEntry => ({
  id, sender: 'list@sender.test', size: 10, arrivalTime: 1, state: 'deferred', group: 'default', attempts: 1, nextAttempt: 2,
  recipients: [{ address: 'bob@dest.test', status: 'pending', lastReply: '451 4.3.0 try later', dsnStatus: '4.3.0', remoteMta: 'mx.dest.test' }],
  reason: 'Deferred: 451 4.3.0 try later', client, messageId: `<${id}@sender.test>`,
});

describe('Sharer', () => {
  it('gives back an entry that reads the same, with one client object for the messages of one client', () => {
    const share = new Sharer();
    const client = { address: '192.0.2.1', helo: 'sender.test', protocol: 'ESMTP', daemon: 'smtp', tls: { version: 'TLSv1.3', cipher: 'X' } };
    const a = entry('A1', client);
    const b = entry('A2', { ...client, tls: { ...client.tls } });
    const sa = share.entry(a);
    const sb = share.entry(b);
    expect(JSON.stringify(sa)).toBe(JSON.stringify(a));
    expect(JSON.stringify(sb)).toBe(JSON.stringify(b));
    expect(sa.client).toBe(sb.client);
    expect(sa).not.toBe(a);
    expect(sa.recipients[0]).not.toBe(a.recipients[0]);
  });

  it('never freezes or keeps the caller\'s client: an SMTP session may change it after the message', () => {
    const share = new Sharer();
    const session: ClientInfo = { address: '192.0.2.1', protocol: 'ESMTP', daemon: 'smtp' };
    const shared = share.entry(entry('A1', session));
    session.user = 'later';
    expect(shared.client.user).toBeUndefined();
    expect(Object.isFrozen(session)).toBe(false);
  });

  it('a write to a shared client throws instead of changing every message from that client', () => {
    const shared = new Sharer().entry(entry('A1', { address: '192.0.2.1', protocol: 'ESMTP', daemon: 'smtp', tls: { version: 'v', cipher: 'c' } }));
    expect(() => { (shared.client as { address: string }).address = 'x'; }).toThrow(TypeError);
    expect(() => { shared.client.tls!.cipher = 'y'; }).toThrow(TypeError);
  });

  it('transcripts keep their lines in order, each message its own array', () => {
    const share = new Sharer();
    const lines = ['*** Connecting to mx.dest.test [192.0.2.9]:25', '*** connect: ECONNREFUSED'];
    const a = share.entry({ ...entry('A1', { address: '', protocol: 'local', daemon: 'cli' }), transcript: [...lines] });
    const b = share.entry({ ...entry('A2', { address: '', protocol: 'local', daemon: 'cli' }), transcript: [...lines, '*** third'] });
    expect(a.transcript).toEqual(lines);
    expect(b.transcript).toEqual([...lines, '*** third']);
    expect(a.transcript).not.toBe(b.transcript);
  });

  it('different clients stay different', () => {
    const share = new Sharer();
    const a = share.entry(entry('A1', { address: '192.0.2.1', protocol: 'ESMTP', daemon: 'smtp' }));
    const b = share.entry(entry('A2', { address: '192.0.2.2', protocol: 'ESMTP', daemon: 'smtp' }));
    expect(a.client).not.toBe(b.client);
    expect(b.client.address).toBe('192.0.2.2');
  });
});

describe('recovery in the index\'s form', () => {
  it('recover({ keep: indexable }) returns the committed entries unchanged, their client shared', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-share-'));
    const spool = createSpool(path.join(dir, 'spool'));
    const settings = SettingsSchema.parse({ hostname: 'mta.test' });
    const cleanup = createCleanup({ spool, settings: () => settings, now: () => Date.UTC(2025, 0, 6), onQueued: () => {} });
    const client: ClientInfo = { address: '192.0.2.1', helo: 'sender.test', protocol: 'ESMTP', daemon: 'smtp' };
    const committed: QueueEntry[] = [];
    for (const to of ['bob@dest.test', 'carol@dest.test']) {
      committed.push(await cleanup.accept({ sender: 'list@sender.test', recipients: [{ address: to }] }, client,
        Readable.from([Buffer.from('Subject: x\n\nhello\n')]), { lineEndings: 'lf' }));
    }
    const plain = await spool.recover();
    const shared = await spool.recover({ keep: indexable });
    expect(shared.entries).toEqual(plain.entries);
    expect(shared.entries.map((e) => JSON.stringify(e))).toEqual(plain.entries.map((e) => JSON.stringify(e)));
    expect(shared.entries.map((e) => e.id).sort()).toEqual(committed.map((e) => e.id).sort());
    expect(shared.entries[0].client).toBe(shared.entries[1].client);
    expect(plain.entries[0].client).not.toBe(plain.entries[1].client);
  });
});
