// Who waits for whom between admin actions and deliveries of one message.
import { describe, expect, it } from 'vitest';
import { Exclusion } from '../../../engine/qmgr/exclusion.ts';

function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

describe('Exclusion', () => {
  it('an action waits for the delivery of its message, and no delivery starts meanwhile', async () => {
    const x = new Exclusion();
    const order: string[] = [];
    const gate = latch();
    const delivery = x.delivery('A', async () => { await gate.promise; order.push('delivered A'); });
    const action = x.action(['A'], async () => {
      order.push(`acting on A, free: ${x.free('A')}`);
    });
    expect(x.free('A')).toBe(false);
    gate.open();
    await Promise.all([delivery, action]);
    expect(order).toEqual(['delivered A', 'acting on A, free: false']);
    expect(x.free('A')).toBe(true);
  });

  it('other messages are not held up, and a failing action still frees its message (error path)', async () => {
    const x = new Exclusion();
    const gate = latch();
    const slow = x.delivery('A', () => gate.promise);
    await expect(x.action(['B'], async () => { throw new Error('disk full'); })).rejects.toThrow('disk full');
    expect({ A: x.free('A'), B: x.free('B') }).toEqual({ A: true, B: true });
    gate.open();
    await slow;
  });
});
