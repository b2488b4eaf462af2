// Which messages "delete" and "bounce now" act on: exactly the ones selected
// (and waited for) when the admin asked — never a message being delivered that
// a second look at the stored queue would also match, never the whole queue
// for an empty id list.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

describe('an action by state while a retry is in flight', () => {
  const cases: { name: string; act: (h: Harness) => Promise<{ changed: string[] }> }[] = [
    { name: 'bounce now', act: (x) => x.engine.bounceNow({ state: 'deferred' }) },
    { name: 'delete', act: (x) => x.engine.remove({ state: 'deferred' }) },
  ];
  for (const c of cases) {
    it(`${c.name} {state: deferred} leaves the message being delivered alone`, async () => {
      let rcpts = 0;
      const reached = latch();
      const gate = latch();
      h = await startHarness({
        sink: {
          serverOptions: {
            onRcptTo(_address, _session, cb) {
              rcpts++;
              // First attempt: 451, so the control file says `deferred`. The retry stalls until the gate opens.
              if (rcpts === 1) { cb(Object.assign(new Error('Try again later'), { responseCode: 451 })); return; }
              reached.open();
              void gate.promise.then(() => cb());
            },
          },
        },
      });
      const id = await h.submit('alice@sender.test', ['bob@dest.test']);
      await h.engine.whenIdle();
      expect((await h.engine.listQueue()).map((e) => e.state)).toEqual(['deferred']);

      const retry = h.engine.flush({ ids: [id] });
      await reached.promise; // shown `active`, stored `deferred`
      const got = await c.act(h);
      gate.open();
      await retry;
      await h.engine.whenIdle();

      expect(got.changed).toEqual([]);
      expect(h.sink.messages.map((m) => m.envelope)).toEqual([{ mailFrom: 'alice@sender.test', rcptTo: ['bob@dest.test'] }]);
      expect(h.events.filter((e) => e.type === 'queue:removed')).toEqual([{ type: 'queue:removed', id, why: 'delivered' }]);
    });
  }
});

describe('an empty id list', () => {
  it('deletes and bounces nothing (error path: not "the whole queue")', async () => {
    h = await startHarness({ settings: () => ({ delivery: { mode: 'queueonly' } }) });
    const a = await h.submit('alice@sender.test', ['bob@dest.test']);
    const b = await h.submit('alice@sender.test', ['carol@dest.test']);
    const got = { removed: await h.engine.remove({ ids: [] }), bounced: await h.engine.bounceNow({ ids: [] }) };
    expect(got).toEqual({ removed: { changed: [], missing: [] }, bounced: { changed: [], missing: [] } });
    expect((await h.engine.listQueue()).map((e) => e.id).sort()).toEqual([a, b].sort());
  });
});
