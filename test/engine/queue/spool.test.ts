// The spool on real files in a temp directory: what is committed survives a
// restart byte for byte; what was not committed leaves nothing; crash leftovers
// are cleaned or moved to corrupt/ (kept, listed) and never break the intact ones.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { newQueueId } from '../../../engine/queue/queue-id.ts';
import { encodeControl } from '../../../engine/queue/control-file.ts';
import { createSpool, INLINE_MAX } from '../../../engine/queue/spool.ts';
import { ORPHAN_GRACE_MS } from '../../../engine/queue/scan.ts';
import type { Spool } from '../../../engine/queue/types.ts';

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nHello Bob.\r\n.. dot-stuffed stays\r\n';

function partial(over: Partial<QueueEntry> = {}): Omit<QueueEntry, 'id' | 'size'> {
  return {
    sender: 'alice@example.com',
    recipients: [{ address: 'bob@example.net', status: 'pending' }],
    arrivalTime: 1_700_000_000_000,
    state: 'deferred',
    group: 'default',
    attempts: 0,
    nextAttempt: 0,
    client: { address: '127.0.0.1', protocol: 'ESMTP', daemon: 'smtp' },
    ...over,
  };
}

/** Write `body` in several chunks (as cleanup does) and commit it. */
async function store(spool: Spool, body: string | Buffer = MESSAGE, over: Partial<QueueEntry> = {}): Promise<QueueEntry> {
  const w = await spool.begin();
  const buf = Buffer.from(body);
  const step = Math.max(7, Math.ceil(buf.length / 8)); // several writes, like cleanup
  for (let i = 0; i < buf.length; i += step) await w.write(buf.subarray(i, i + step));
  return w.commit(partial(over));
}

/**
 * An entry in the version-1 layout (qfID record + dfID message), as Mailstop wrote
 * every entry before inline control files and still writes messages over INLINE_MAX.
 */
async function storeV1(body: string = MESSAGE, over: Partial<QueueEntry> = {}): Promise<QueueEntry> {
  const id = newQueueId();
  const entry: QueueEntry = { id, ...partial(over), size: Buffer.byteLength(body) };
  await writeFile(join(dir, 'df' + id), body);
  await writeFile(join(dir, 'qf' + id), encodeControl(entry));
  return entry;
}

/** The record of a control file (its first line; an inline message follows it). */
async function record(id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await readFile(join(dir, 'qf' + id), 'utf8')).split('\n')[0]);
}

/** Recover as if the grace period for half-written files had passed (a restart long after a crash). */
const later = () => ({ now: Date.now() + ORPHAN_GRACE_MS + 1000 });

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'mailstop-spool-')), 'spool');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('commit and recover', () => {
  it('returns a committed entry intact after a restart, body bytes equal', async () => {
    const body = Buffer.concat([Buffer.from(MESSAGE), Buffer.from([0xc3, 0xa9, 0x0d, 0x0a])]); // 8-bit too
    const committed = await store(createSpool(dir), body, { sender: '', envid: 'ENV1' });
    expect(committed.size).toBe(body.length);

    const restarted = createSpool(dir);
    const got = await restarted.recover();
    expect(got).toEqual({ entries: [committed], cleaned: 0, corrupt: [] });
    const stored = Buffer.concat(await restarted.open(committed.id).toArray());
    expect(stored.equals(body)).toBe(true);
  });

  it('abort leaves nothing behind, and a later commit is refused', async () => {
    const spool = createSpool(dir);
    const w = await spool.begin();
    await w.write(Buffer.from(MESSAGE));
    await w.abort();
    await w.abort(); // twice is harmless
    expect(await readdir(dir)).toEqual([]);
    await expect(w.commit(partial())).rejects.toThrow(/closed/);
    await expect(w.write(Buffer.from('x'))).rejects.toThrow(/closed/);
  });

  it('a writer cannot commit twice', async () => {
    const w = await createSpool(dir).begin();
    await w.write(Buffer.from(MESSAGE));
    await w.commit(partial());
    await expect(w.commit(partial())).rejects.toThrow(/closed/);
  });

  it('nothing is listed before commit resolves', async () => {
    const spool = createSpool(dir);
    const w = await spool.begin();
    await w.write(Buffer.from(MESSAGE));
    expect(await spool.list()).toEqual([]);
    const entry = await w.commit(partial());
    expect((await spool.list()).map((e) => e.id)).toEqual([entry.id]);
  });

  it('50 concurrent commits are all durable, listable and readable', async () => {
    const spool = createSpool(dir);
    const bodies = Array.from({ length: 50 }, (_, i) => `Subject: ${i}\r\n\r\n${'x'.repeat(i * 37)}\r\n`);
    const committed = await Promise.all(bodies.map((b, i) => store(spool, b, { recipients: [{ address: `r${i}@example.net`, status: 'pending' }] })));
    expect(new Set(committed.map((e) => e.id)).size).toBe(50);

    const restarted = createSpool(dir);
    const listed = await restarted.list();
    expect(listed).toHaveLength(50);
    const { entries } = await restarted.recover();
    expect(entries).toEqual(listed);
    for (const [i, e] of committed.entries()) {
      expect(await text(restarted.open(e.id))).toBe(bodies[i]);
    }
  });

  it('ids from two spools on one directory are unique and in commit order', async () => {
    const a = createSpool(dir);
    const b = createSpool(dir);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await store(i % 2 ? a : b, MESSAGE)).id);
    expect(new Set(ids).size).toBe(20);
    expect([...ids].sort()).toEqual(ids);
    expect((await createSpool(dir).list()).map((e) => e.id)).toEqual(ids);
  });
});

describe('crash leftovers', () => {
  type Outcome = 'intact' | 'cleaned' | 'corrupt';
  const cases: { name: string; make: (spool: Spool) => Promise<string>; want: Outcome; reason?: RegExp; split?: true }[] = [
    { name: 'committed entry', want: 'intact', make: async (s) => (await store(s)).id },
    { name: 'committed large entry (qf + df)', want: 'intact', split: true, make: async (s) => (await store(s, MESSAGE + 'x'.repeat(INLINE_MAX))).id },
    { name: 'entry in the version-1 layout', want: 'intact', split: true, make: async () => (await storeV1()).id },
    {
      name: 'tf of an unfinished inline commit (with the empty df releases before 2026-12 reserved it with)',
      want: 'cleaned',
      make: async (s) => {
        const e = await store(s);
        const whole = await readFile(join(dir, 'qf' + e.id));
        await rm(join(dir, 'qf' + e.id));
        await writeFile(join(dir, 'df' + e.id), '');
        await writeFile(join(dir, 'tf' + e.id), whole.subarray(0, whole.length - 7)); // crash before its fdatasync
        return e.id;
      },
    },
    {
      name: 'inline qf cut short',
      want: 'corrupt',
      reason: /control file is truncated: message has \d+ of \d+ bytes/,
      make: async (s) => {
        const e = await store(s);
        await truncate(join(dir, 'qf' + e.id), (await readFile(join(dir, 'qf' + e.id))).length - 5);
        return e.id;
      },
    },
    {
      name: 'tf of an unfinished commit (with its df)',
      want: 'cleaned',
      make: async () => {
        const id = newQueueId();
        await writeFile(join(dir, 'df' + id), MESSAGE);
        await writeFile(join(dir, 'tf' + id), '{"qfVersion":1,"id":"');
        return id;
      },
    },
    {
      name: 'df without qf',
      want: 'cleaned',
      make: async () => {
        const id = newQueueId();
        await writeFile(join(dir, 'df' + id), MESSAGE.slice(0, 10));
        return id;
      },
    },
    {
      name: 'qf with garbage JSON',
      want: 'corrupt',
      reason: /not valid JSON/,
      make: async (s) => {
        const e = await store(s);
        await writeFile(join(dir, 'qf' + e.id), '{"qfVersion":1,"sender":"al');
        return e.id;
      },
    },
    {
      name: 'qf that is valid JSON but no entry',
      want: 'corrupt',
      reason: /recipients/,
      make: async (s) => {
        const e = await store(s);
        await writeFile(join(dir, 'qf' + e.id), JSON.stringify({ qfVersion: 1, ...e, recipients: [] }));
        return e.id;
      },
    },
    {
      name: 'qf of a newer format',
      want: 'corrupt',
      reason: /version 9/,
      make: async (s) => {
        const e = await store(s);
        await writeFile(join(dir, 'qf' + e.id), JSON.stringify({ ...e, qfVersion: 9 }));
        return e.id;
      },
    },
    {
      name: 'qf whose df is truncated',
      want: 'corrupt',
      reason: /truncated: 5 of \d+ bytes/,
      make: async () => {
        const e = await storeV1();
        await truncate(join(dir, 'df' + e.id), 5);
        return e.id;
      },
    },
    {
      name: 'qf whose df is missing',
      want: 'corrupt',
      reason: /data file is missing/,
      make: async () => {
        const e = await storeV1();
        await rm(join(dir, 'df' + e.id));
        return e.id;
      },
    },
  ];

  it('cleans half-written files, moves damaged entries aside, returns the intact ones', async () => {
    const spool = createSpool(dir);
    await spool.recover(); // creates the directory
    const made = [];
    for (const c of cases) made.push({ ...c, id: await c.make(spool) });
    await writeFile(join(dir, 'README'), 'not ours'); // foreign files are left alone

    const report = await createSpool(dir).recover(later());
    for (const c of made) {
      const got: Outcome | 'missing' = report.entries.some((e) => e.id === c.id)
        ? 'intact'
        : report.corrupt.some((e) => e.name === c.id)
          ? 'corrupt'
          : 'cleaned';
      expect({ case: c.name, got }).toEqual({ case: c.name, got: c.want });
      if (c.reason) expect({ case: c.name, reason: report.corrupt.find((e) => e.name === c.id)?.reason }).toEqual({ case: c.name, reason: expect.stringMatching(c.reason) });
    }
    expect(report.cleaned).toBe(5); // tf + its df, the lone df, the inline tf + its empty df

    const intact = made.filter((c) => c.want === 'intact');
    const left = (await readdir(dir)).sort();
    // An inline entry is its qf alone; a split or version-1 entry keeps its df.
    expect(left).toEqual(['README', 'corrupt', ...intact.flatMap((c) => (c.split ? ['df' + c.id, 'qf' + c.id] : ['qf' + c.id]))].sort());

    // Kept, never deleted: every damaged entry's files are in corrupt/ and listed with its reason.
    const corruptFiles = await readdir(join(dir, 'corrupt'));
    for (const c of made.filter((m) => m.want === 'corrupt')) {
      expect(corruptFiles).toContain('qf' + c.id);
      expect(corruptFiles).toContain(c.id + '.reason');
    }
    const listed = await spool.listCorrupt();
    expect(listed.map((e) => e.name).sort()).toEqual(report.corrupt.map((e) => e.name).sort());
    expect(listed.every((e) => e.size > 0 && e.reason.length > 0)).toBe(true);

    // A second recovery finds nothing more to do.
    expect(await createSpool(dir).recover(later())).toEqual({ entries: report.entries, cleaned: 0, corrupt: [] });
  });

  it('list() reads around damaged entries without touching them', async () => {
    const spool = createSpool(dir);
    const good = await store(spool);
    const bad = await store(spool);
    await writeFile(join(dir, 'qf' + bad.id), 'garbage');
    await writeFile(join(dir, 'tf' + good.id), 'half');
    const before = (await readdir(dir)).sort();
    expect((await spool.list()).map((e) => e.id)).toEqual([good.id]);
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('list() of a spool that does not exist yet is empty and creates nothing', async () => {
    expect(await createSpool(dir).list()).toEqual([]);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });
});

describe('update', () => {
  it('replaces the control record durably', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    const next: QueueEntry = { ...e, state: 'hold', heldBy: 'admin', attempts: 2, reason: 'held by administrator' };
    await spool.update(next);
    expect(await createSpool(dir).list()).toEqual([next]);
    expect((await readdir(dir)).some((n) => n.startsWith('tf'))).toBe(false);
  });

  it('is old or new, never half: a tf left beside the qf is dropped and the qf kept', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    const half = JSON.stringify({ qfVersion: 1, ...e, state: 'hold' }).slice(0, 40);
    await writeFile(join(dir, 'tf' + e.id), half); // crash before the rename
    const report = await createSpool(dir).recover(later());
    expect(report.entries).toEqual([e]);
    expect(report.cleaned).toBe(1);
    expect(await record(e.id)).toMatchObject({ state: 'deferred' });
  });

  const layouts: { name: string; make: (spool: Spool) => Promise<QueueEntry>; body: string; files: (id: string) => string[] }[] = [
    { name: 'inline', make: (sp) => store(sp), body: MESSAGE, files: (id) => ['qf' + id] },
    { name: 'large (qf + df)', make: (sp) => store(sp, MESSAGE + 'y'.repeat(INLINE_MAX)), body: MESSAGE + 'y'.repeat(INLINE_MAX), files: (id) => ['df' + id, 'qf' + id] },
    { name: 'version 1', make: async (sp) => { await sp.recover(); return storeV1(); }, body: MESSAGE, files: (id) => ['df' + id, 'qf' + id] },
  ];
  for (const l of layouts) {
    it(`keeps the message and the layout of a ${l.name} entry`, async () => {
      const spool = createSpool(dir);
      const e = await l.make(spool);
      const next: QueueEntry = { ...e, attempts: 1, recipients: [{ address: 'bob@example.net', status: 'pending', lastReply: '451 4.3.0 a much longer record than before' }] };
      const reader = spool.open(e.id); // opened before the update: still reads the whole message
      await spool.update(next);
      expect(await text(reader)).toBe(l.body);
      expect(await text(createSpool(dir).open(e.id))).toBe(l.body);
      expect(await createSpool(dir).readHeaders(e.id)).toBe('From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n');
      expect((await readdir(dir)).sort()).toEqual(l.files(e.id));
      expect((await createSpool(dir).recover()).entries).toEqual([next]);
    });
  }

  it('concurrent updates of one entry end with the last one written', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    await Promise.all(Array.from({ length: 10 }, (_, i) => spool.update({ ...e, attempts: i + 1 })));
    expect((await spool.list())[0].attempts).toBe(10);
  });

  it('refuses to resurrect a removed entry', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    await spool.remove(e.id);
    await expect(spool.update(e)).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an id that is not a queue id', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    await expect(spool.update({ ...e, id: '../../x' })).rejects.toThrow(/not a queue id/);
    await expect(spool.remove('../spool')).rejects.toThrow(/not a queue id/);
  });
});

describe('reading and removing', () => {
  it('readHeaders returns the header block only', async () => {
    const spool = createSpool(dir);
    const e = await store(spool, MESSAGE + 'x'.repeat(100_000));
    expect(await spool.readHeaders(e.id)).toBe('From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n');
  });

  it('readHeaders finds a blank line across read chunks and returns all of a header-only message', async () => {
    const spool = createSpool(dir);
    const long = 'X-Long: ' + 'a'.repeat(16 * 1024 - 10) + '\r\n';
    const e = await store(spool, long + '\r\nbody\r\n');
    expect(await spool.readHeaders(e.id)).toBe(long);
    const headerOnly = await store(spool, 'Subject: no body\r\n');
    expect(await spool.readHeaders(headerOnly.id)).toBe('Subject: no body\r\n');
  });

  it('readInline gives an inline message (with the header fields kept in its record) in one buffer, and null for a split one', async () => {
    const spool = createSpool(dir);
    const e = await store(spool, MESSAGE, { prepend: 'Received: from x\r\n' });
    const whole = await text(spool.open(e.id));
    expect(whole).toBe('Received: from x\r\n' + MESSAGE);
    expect(spool.readInline(e.id)?.toString('utf8')).toBe(whole);
    const large = await store(spool, MESSAGE + 'z'.repeat(INLINE_MAX));
    expect(spool.readInline(large.id)).toBeNull();
    const v1 = await storeV1();
    expect(spool.readInline(v1.id)).toBeNull();
    await spool.remove(e.id);
    expect(() => spool.readInline(e.id)).toThrow(/ENOENT/);
  });

  it('removing delivered mail without the directory fsync removes every file of each layout', async () => {
    const spool = createSpool(dir);
    await spool.recover();
    const made = [await store(spool), await store(spool, MESSAGE + 'z'.repeat(INLINE_MAX)), await storeV1()];
    for (const e of made) await spool.remove(e.id, { sync: false });
    expect(await readdir(dir)).toEqual([]);
    // Another process's spool object (one found at start) does not know the layouts: same result.
    const again = [await store(spool), await storeV1()];
    for (const e of again) await createSpool(dir).remove(e.id, { sync: false });
    expect(await readdir(dir)).toEqual([]);
  });

  it('reading a missing entry fails clearly', async () => {
    const spool = createSpool(dir);
    await spool.recover();
    const id = newQueueId();
    await expect(spool.readHeaders(id)).rejects.toThrow(/ENOENT/);
    await expect(text(spool.open(id))).rejects.toThrow(/ENOENT/);
    expect(() => spool.open('nope')).toThrow(/not a queue id/);
  });

  it('remove deletes both files and tolerates missing ones', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    await spool.remove(e.id);
    await spool.remove(e.id);
    expect(await readdir(dir)).toEqual([]);
  });

  it('moveToCorrupt keeps the files and lists the reason', async () => {
    const spool = createSpool(dir);
    const e = await store(spool);
    const moved = await spool.moveToCorrupt(e.id, 'operator said so');
    expect(moved).toMatchObject({ name: e.id, reason: 'operator said so', size: expect.any(Number) });
    expect(await spool.list()).toEqual([]);
    // Inline: the qf holds the record and the message; there is no df.
    expect(existsSync(join(dir, 'corrupt', 'df' + e.id))).toBe(false);
    expect((await readFile(join(dir, 'corrupt', 'qf' + e.id), 'utf8')).endsWith('\n' + MESSAGE)).toBe(true);
    expect(await spool.listCorrupt()).toEqual([moved]);
    await expect(spool.moveToCorrupt(e.id, 'again')).rejects.toThrow(/no files/);
  });

  it('moveToCorrupt moves both files of a version-1 entry', async () => {
    const spool = createSpool(dir);
    await spool.recover();
    const e = await storeV1();
    await spool.moveToCorrupt(e.id, 'operator said so');
    expect(await readFile(join(dir, 'corrupt', 'df' + e.id), 'utf8')).toBe(MESSAGE);
    expect(await readdir(dir)).toEqual(['corrupt']);
  });

  it('freeBlocks reports the filesystem free space in KiB', async () => {
    const got = await createSpool(dir).freeBlocks();
    expect(Number.isInteger(got) && got > 0).toBe(true);
  });
});
