// qshape-style age × domain table and the top-N counts.
import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../engine/contracts.ts';
import { AGE_BUCKETS, qshape, topCounts } from '../../engine/queue-view.ts';

const NOW = 10_000_000_000;
const MIN = 60e3;

function entry(ageMin: number, rcpts: string[], sent: string[] = []): QueueEntry {
  return { id: String(ageMin), sender: 's@x.example', arrivalTime: NOW - ageMin * MIN, size: 1, state: 'deferred', group: 'default',
    recipients: [...rcpts.map((address) => ({ address, status: 'pending' as const })), ...sent.map((address) => ({ address, status: 'sent' as const }))],
    attempts: 1, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' } };
}

describe('qshape', () => {
  it('counts pending recipients by domain and age bucket, TOTAL first', () => {
    const rows = qshape([
      entry(1, ['a@b.example', 'c@b.example'], ['done@b.example']),
      entry(7, ['a@d.example']),
      entry(5000, ['z@b.example']),
    ], NOW);
    const width = AGE_BUCKETS.length + 1;
    const row = (cells: Record<number, number>) => Array.from({ length: width }, (_, i) => cells[i] ?? 0);
    expect(rows).toEqual([
      { domain: 'TOTAL', total: 4, buckets: row({ 0: 2, 1: 1, [width - 1]: 1 }) },
      { domain: 'b.example', total: 3, buckets: row({ 0: 2, [width - 1]: 1 }) },
      { domain: 'd.example', total: 1, buckets: row({ 1: 1 }) },
    ]);
  });

  it('an empty queue is a TOTAL row of zeros', () => {
    expect(qshape([], NOW)).toEqual([{ domain: 'TOTAL', total: 0, buckets: new Array(AGE_BUCKETS.length + 1).fill(0) }]);
  });
});

describe('topCounts', () => {
  const q = [entry(1, ['a@b.example', 'c@b.example']), entry(2, ['a@b.example', 'x@y.example'], ['gone@y.example'])];
  const cases: { by: 'recipient' | 'domain' | 'sender'; want: { key: string; count: number }[] }[] = [
    { by: 'domain', want: [{ key: 'b.example', count: 3 }, { key: 'y.example', count: 1 }] },
    { by: 'recipient', want: [{ key: 'a@b.example', count: 2 }, { key: 'c@b.example', count: 1 }, { key: 'x@y.example', count: 1 }] },
    { by: 'sender', want: [{ key: 's@x.example', count: 2 }] },
  ];
  for (const c of cases) it(`by ${c.by}`, () => expect(topCounts(q, c.by)).toEqual(c.want));
});
