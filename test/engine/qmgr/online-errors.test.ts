// The online gate when its probe throws something that is neither a DNS answer
// nor a socket error (a resolver bug): the gate says offline with that message,
// keeps re-checking, and check() — which callers never await — never rejects.
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { createDns, type Dns } from '../../../engine/dns/resolver.ts';
import { OnlineGate } from '../../../engine/qmgr/online.ts';

let gate: OnlineGate | undefined;
afterEach(() => { gate?.stop(); gate = undefined; });

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OnlineGate with a probe that throws', () => {
  it('is offline with the error as reason and schedules the re-check', async () => {
    const s = SettingsSchema.parse({ smartHost: { host: 'smart.test', port: 2525, tls: 'none' }, delivery: { online: { probe: 'smarthost' } } });
    let calls = 0;
    // The real resolver, except that looking up a host fails with a plain Error (no code):
    // what a bug inside the resolver would throw.
    const dns: Dns = { ...createDns(() => s.dns), resolveHost: async () => { calls++; throw new Error('resolver exploded'); } };
    const changes: boolean[] = [];
    gate = new OnlineGate({
      settings: () => s, clock: { now: () => 1_000 }, dns, hostname: () => 'mta.test',
      onChange: (st) => changes.push(st.online), log: () => undefined,
    });

    const got = await gate.check('test');
    expect({ online: got.online, reason: got.reason }).toEqual({ online: false, reason: 'resolver exploded' });
    expect(changes).toEqual([false]);

    await gate.start({ timers: true }); // fire-and-forget check, then re-checks while offline
    await waitFor(() => calls >= 3);
    expect(gate.isOnline()).toBe(false);
  });
});
