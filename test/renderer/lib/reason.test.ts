// The Queue page's "why" column: the sentence a person reads instead of a status code.
import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { plainReason, plainReply, type ReasonContext } from '../../../renderer/lib/reason.ts';

const online = { online: true, since: 0, reason: 'smart host answered' };
const offline = { online: false, since: 0, reason: 'cannot resolve smtp.provider.example' };

function entry(over: Partial<QueueEntry>): QueueEntry {
  return { id: 'A', sender: 'a@x.example', recipients: [{ address: 'b@y.example', status: 'pending' }], arrivalTime: 0, size: 1,
    state: 'deferred', group: 'default', attempts: 1, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' }, ...over };
}

describe('plainReason', () => {
  const cases: { name: string; e: Partial<QueueEntry>; ctx: ReasonContext; want: string }[] = [
    { name: 'held by a person', e: { state: 'hold', heldBy: 'admin' }, ctx: { online }, want: 'held by you' },
    { name: 'held by hold mode while offline', e: { state: 'hold', heldBy: 'mode' }, ctx: { online: offline }, want: 'waiting: offline' },
    { name: 'held by hold mode while online', e: { state: 'hold', heldBy: 'mode' }, ctx: { online }, want: 'waiting: hold mode' },
    { name: 'deferred while offline', e: {}, ctx: { online: offline }, want: 'waiting: offline' },
    { name: 'remote refused for now', e: { recipients: [{ address: 'b@y.example', status: 'pending', lastReply: '452 4.2.2 Mailbox full' }] }, ctx: { online }, want: 'remote said 452 mailbox full' },
    { name: 'multi-line reply', e: { recipients: [{ address: 'b@y.example', status: 'pending', lastReply: '421-4.7.0 Try again later\n421 4.7.0 closing' }] }, ctx: { online }, want: 'remote said 421 try again later, closing' },
    { name: 'engine reason when no reply', e: { reason: 'Deferred: Connection refused by mx.y.example' }, ctx: { online }, want: 'Deferred: Connection refused by mx.y.example' },
    { name: 'new in deferred mode', e: { state: 'active', attempts: 0 }, ctx: { online, mode: 'deferred' }, want: 'waiting: holding all mail until a queue run or Flush' },
    { name: 'new in queue-only mode', e: { state: 'active', attempts: 0 }, ctx: { online, mode: 'queueonly' }, want: 'waiting for the next queue run' },
    { name: 'attempt in flight', e: { state: 'active' }, ctx: { online, delivering: true }, want: 'being delivered now' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = plainReason(entry(c.e), c.ctx);
      expect(got).toBe(c.want);
    });
  }
});

describe('plainReply', () => {
  const cases = [
    { reply: '550 5.1.1 <b@y.example>: Recipient address rejected', want: '550 <b@y.example>: Recipient address rejected' },
    { reply: 'connection timed out', want: 'connection timed out' },
  ];
  for (const c of cases) it(c.reply, () => expect(plainReply(c.reply)).toBe(c.want));
});
