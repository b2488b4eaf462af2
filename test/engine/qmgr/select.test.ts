// QueueSelector semantics shared by flush (-qI/-qR/-qS) and every queue action.
import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { matches, missingIds, select } from '../../../engine/qmgr/select.ts';

const e = (id: string, sender: string, rcpts: [string, 'pending' | 'sent'][], over: Partial<QueueEntry> = {}): QueueEntry => ({
  id, sender, recipients: rcpts.map(([address, status]) => ({ address, status })), arrivalTime: Number(id.slice(1)), size: 1,
  state: 'deferred', group: 'default', attempts: 1, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' }, ...over,
});

const q = [
  e('A1', 'alice@example.com', [['bob@dest.test', 'pending']]),
  e('A2', '', [['alice@example.com', 'pending']]),
  e('A3', 'carol@example.org', [['bob@dest.test', 'sent'], ['dave@other.test', 'pending']], { state: 'hold', group: 'slow' }),
];

describe('select', () => {
  const cases: { name: string; sel: Parameters<typeof select>[1]; want: string[] }[] = [
    { name: 'everything', sel: {}, want: ['A1', 'A2', 'A3'] },
    { name: 'by id', sel: { ids: ['A3', 'A1'] }, want: ['A1', 'A3'] },
    { name: 'recipient substring, any case', sel: { recipient: 'DEST.test' }, want: ['A1'] }, // A3's bob is already sent
    { name: 'sender substring', sel: { sender: 'example' }, want: ['A1', 'A3'] },
    { name: 'MAILER-DAEMON finds bounces', sel: { sender: 'mailer-daemon' }, want: ['A2'] },
    { name: 'state and group', sel: { state: 'hold', group: 'slow' }, want: ['A3'] },
    { name: 'all parts must match', sel: { sender: 'alice', recipient: 'other' }, want: [] },
  ];
  for (const c of cases) it(c.name, () => expect(select(q, c.sel).map((x) => x.id)).toEqual(c.want));

  it('reports ids that are not queued', () => {
    expect(missingIds({ ids: ['A1', 'ZZ'] }, (id) => q.some((x) => x.id === id))).toEqual(['ZZ']);
  });

  it('an empty ids list names no message (never the whole queue)', () => {
    expect(matches(q[0], { ids: [] })).toBe(false);
    expect(select(q, { ids: [] })).toEqual([]);
  });
});
