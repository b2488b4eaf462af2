// The delivery concurrency limit: never more than `size` at once, FIFO, and a
// size change applies to the next slot.
import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../engine/qmgr/limit.ts';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => { open = r; });
  return { p, open };
}

describe('Limiter', () => {
  it('runs at most size tasks at once, in arrival order', async () => {
    let size = 2;
    const l = new Limiter(() => size);
    const started: number[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const runs = gates.map((g, i) => l.run(async () => { started.push(i); await g.p; return i; }));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(l.active).toBe(2);
    size = 1; // shrink: finishing one task must not start another while 1 still runs
    gates[0].open();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    gates[1].open();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[2].open();
    gates[3].open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(l.active).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const l = new Limiter(() => 1);
    await expect(l.run(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await l.run(async () => 'next')).toBe('next');
  });
});
