// Queue filters: each part narrows the list; all given parts must match.
import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../../engine/contracts.ts';
import { filterEntries } from '../../../../engine/queue-view.ts';
import { EMPTY_FILTER, toViewFilter, type QueueFilter } from '../../../../renderer/pages/queue/filters.ts';

/** The page's form, mapped to the engine's filter and matched by the engine's rules. */
const filterQueue = (entries: QueueEntry[], f: QueueFilter) => filterEntries(entries, toViewFilter(f));

function entry(id: string, sender: string, rcpts: string[], over: Partial<QueueEntry> = {}): QueueEntry {
  return { id, sender, recipients: rcpts.map((address) => ({ address, status: 'pending' as const })), arrivalTime: 0, size: 1,
    state: 'deferred', group: 'default', attempts: 1, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' }, ...over };
}

const queue = [
  entry('Q1', 'alice@home.example', ['bob@corp.example']),
  entry('Q2', 'alice@home.example', ['carol@mail.corp.example', 'dave@other.example'], { state: 'hold' }),
  entry('Q3', '', ['postmaster@home.example'], { reason: 'Deferred: 452 mailbox full' }),
  entry('Q4', 'eve@corp.example', ['Frank@Notcorp.example']),
];

describe('filterQueue', () => {
  const cases: { name: string; f: Partial<QueueFilter>; want: string[] }[] = [
    { name: 'nothing given: everything', f: {}, want: ['Q1', 'Q2', 'Q3', 'Q4'] },
    { name: 'by state', f: { state: 'hold' }, want: ['Q2'] },
    { name: 'by sender substring', f: { sender: 'ALICE' }, want: ['Q1', 'Q2'] },
    { name: 'by recipient, case-insensitive', f: { recipient: 'frank@' }, want: ['Q4'] },
    { name: 'by domain: the domain and its subdomains, not lookalikes', f: { domain: 'corp.example' }, want: ['Q1', 'Q2'] },
    { name: 'by domain with @', f: { domain: '@other.example' }, want: ['Q2'] },
    { name: 'by text in the reason', f: { text: 'mailbox full' }, want: ['Q3'] },
    { name: 'by text: a queue ID', f: { text: 'q4' }, want: ['Q4'] },
    { name: 'parts combine', f: { sender: 'alice', state: 'deferred' }, want: ['Q1'] },
    { name: 'no match', f: { recipient: 'nobody' }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = filterQueue(queue, { ...EMPTY_FILTER, ...c.f }).map((e) => e.id);
      expect(got).toEqual(c.want);
    });
  }
});
