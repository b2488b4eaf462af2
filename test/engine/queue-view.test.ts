// The Queue page's window on the queue: filtering, counts, the window itself, every
// matching ID for "select all shown", and the top / qshape summaries.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../engine/contracts.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { MAX_LIMIT, queuePage, type QueuePageQuery } from '../../engine/queue-view.ts';

const NOW = 10_000_000_000;
const MIN = 60e3;

function entry(id: string, sender: string, rcpts: string[], over: Partial<QueueEntry> = {}): QueueEntry {
  return { id, sender, recipients: rcpts.map((address) => ({ address, status: 'pending' as const })), arrivalTime: NOW - 30 * MIN, size: 1,
    state: 'deferred', group: 'default', attempts: 1, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' }, ...over };
}

const queue: QueueEntry[] = [
  entry('Q1', 'alice@home.example', ['bob@corp.example']),
  entry('Q2', 'alice@home.example', ['carol@mail.corp.example', 'dave@other.example'], { state: 'hold' }),
  entry('Q3', '', ['postmaster@home.example'], { reason: 'Deferred: 452 mailbox full', arrivalTime: NOW - 2 * MIN }),
  entry('Q4', 'eve@corp.example', ['Frank@Notcorp.example']),
  // Delivered recipients are not searched: only pending ones are still queued.
  { ...entry('Q5', 'zed@x.example', ['gone@corp.example']), recipients: [{ address: 'gone@corp.example', status: 'sent' }, { address: 'left@y.example', status: 'pending' }] },
];

describe('queuePage', () => {
  const cases: { name: string; q: QueuePageQuery; want: { ids: string[]; matched: number; offset?: number } }[] = [
    { name: 'nothing asked: everything, in the order given', q: {}, want: { ids: ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'], matched: 5 } },
    { name: 'a window', q: { offset: 1, limit: 2 }, want: { ids: ['Q2', 'Q3'], matched: 5, offset: 1 } },
    { name: 'limit 0: counts only', q: { limit: 0 }, want: { ids: [], matched: 5 } },
    { name: 'an offset past the end is clamped to the last match', q: { offset: 99 }, want: { ids: ['Q5'], matched: 5, offset: 4 } },
    { name: 'a negative offset starts at the top', q: { offset: -3, limit: 1 }, want: { ids: ['Q1'], matched: 5, offset: 0 } },
    { name: 'by state', q: { filter: { state: 'hold' } }, want: { ids: ['Q2'], matched: 1 } },
    { name: 'state all is no filter', q: { filter: { state: 'all' } }, want: { ids: ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'], matched: 5 } },
    { name: 'by sender, case-insensitive', q: { filter: { sender: 'ALICE' } }, want: { ids: ['Q1', 'Q2'], matched: 2 } },
    { name: 'by recipient, pending only', q: { filter: { recipient: 'corp.example' } }, want: { ids: ['Q1', 'Q2', 'Q4'], matched: 3 } },
    { name: 'by recipient, case-insensitive', q: { filter: { recipient: 'frank@' } }, want: { ids: ['Q4'], matched: 1 } },
    { name: 'by domain: the domain and its subdomains, not lookalikes', q: { filter: { domain: 'corp.example' } }, want: { ids: ['Q1', 'Q2'], matched: 2 } },
    { name: 'by domain: part of a domain from a label start', q: { filter: { domain: 'corp' } }, want: { ids: ['Q1', 'Q2'], matched: 2 } },
    { name: 'by sender <>: the null sender (bounces)', q: { filter: { sender: '<>' } }, want: { ids: ['Q3'], matched: 1 } },
    { name: 'by domain with @', q: { filter: { domain: '@other.example' } }, want: { ids: ['Q2'], matched: 1 } },
    { name: 'by text in the reason', q: { filter: { text: 'mailbox full' } }, want: { ids: ['Q3'], matched: 1 } },
    { name: 'by text: a queue ID', q: { filter: { text: 'q4' } }, want: { ids: ['Q4'], matched: 1 } },
    { name: 'parts combine, and the window is over the matches', q: { filter: { sender: 'alice', state: 'deferred' }, limit: 5 }, want: { ids: ['Q1'], matched: 1 } },
    { name: 'no match', q: { filter: { recipient: 'nobody' } }, want: { ids: [], matched: 0 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = queuePage(queue, c.q, NOW);
      expect({ ids: got.entries.map((e) => e.id), matched: got.matched, total: got.total, offset: got.offset })
        .toEqual({ ids: c.want.ids, matched: c.want.matched, total: 5, offset: c.want.offset ?? 0 });
      expect(got.ids).toBeUndefined();
      expect(got.summary).toBeUndefined();
    });
  }

  it('withIds: every matching ID, beyond the window', () => {
    const got = queuePage(queue, { filter: { sender: 'alice' }, limit: 1, withIds: true }, NOW);
    expect({ window: got.entries.map((e) => e.id), ids: got.ids }).toEqual({ window: ['Q1'], ids: ['Q1', 'Q2'] });
  });

  it('limit is capped, so one call cannot ask for a bulk export', () => {
    const many = Array.from({ length: MAX_LIMIT + 10 }, (_, i) => entry(`M${i}`, 's@x.example', ['r@y.example']));
    expect(queuePage(many, { limit: MAX_LIMIT * 2 }, NOW).entries).toHaveLength(MAX_LIMIT);
  });

  it('summary: top domains and the qshape table over the matching entries', () => {
    const got = queuePage(queue, { filter: { sender: 'alice' }, limit: 0, summary: 'domain' }, NOW);
    expect(got.summary!.top).toEqual([
      { key: 'corp.example', count: 1 }, { key: 'mail.corp.example', count: 1 }, { key: 'other.example', count: 1 },
    ]);
    // Q1 and Q2 are 30 minutes old: the 40-minute bucket (index 3 of 5, 10, 20, 40 …).
    const total = got.summary!.shape[0];
    expect(total).toEqual({ domain: 'TOTAL', total: 3, buckets: [0, 0, 0, 3, 0, 0, 0, 0, 0, 0] });
  });

  it('summary: top senders, the null sender as <>', () => {
    const got = queuePage(queue, { limit: 0, summary: 'sender' }, NOW);
    expect(got.summary!.top).toEqual([
      { key: 'alice@home.example', count: 2 }, { key: '<>', count: 1 }, { key: 'eve@corp.example', count: 1 }, { key: 'zed@x.example', count: 1 },
    ]);
  });

  it('an unknown summary is refused with its name', () => {
    expect(() => queuePage(queue, { summary: 'size' as never }, NOW)).toThrow(/summary must be recipient, domain or sender, not "size"/);
  });

  it('an empty queue: zero of zero, no rows', () => {
    expect(queuePage([], { offset: 10 }, NOW)).toEqual({ total: 0, matched: 0, offset: 0, entries: [] });
  });
});

describe('Engine.listQueuePage', () => {
  let home = '';
  let engine: Engine | null = null;
  afterEach(async () => {
    await engine?.stop();
    engine = null;
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('answers from the live queue: new mail is in the next answer, the filter runs in the engine', async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-queue-view-'));
    engine = await createEngine({ home, timers: false, passwdFile: '', settings: {
      hostname: 'mta.test', listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false }, delivery: { mode: 'deferred' },
    } });
    await engine.start();
    const submit = (to: string) => engine!.submit({ envelope: { sender: 'alice@mta.test', recipients: [{ address: to }] },
      messageBase64: Buffer.from(`Subject: to ${to}\n\nhi\n`).toString('base64') });
    expect(await engine.listQueuePage()).toEqual({ total: 0, matched: 0, offset: 0, entries: [] });
    const a = await submit('bob@far.example');
    const b = await submit('carol@near.example');
    const got = await engine.listQueuePage({ filter: { domain: 'near.example' }, withIds: true });
    expect({ total: got.total, matched: got.matched, ids: got.ids, shown: got.entries.map((e) => e.id) })
      .toEqual({ total: 2, matched: 1, ids: [b.id], shown: [b.id] });
    expect((await engine.listQueuePage({ limit: 1 })).entries.map((e) => e.id)).toEqual([a.id]);
  });
});
