// The AUTH brute-force brake: lockout after N failures per address, forgotten
// after the window or a success, other addresses unaffected.
import { expect, it } from 'vitest';
import { createAuthThrottle } from '../../../engine/policy/auth-throttle.ts';

it('locks an address out after maxFailures within the window, and only that address', async () => {
  let t = 0;
  const th = createAuthThrottle({ maxFailures: 3, windowMs: 60_000, failureDelayMs: 0, now: () => t });
  const got: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    got.push(th.locked('192.0.2.1'));
    await th.failed('192.0.2.1');
  }
  got.push(th.locked('192.0.2.1'));
  expect(got).toEqual([false, false, false, true]);
  expect(th.locked('192.0.2.2')).toBe(false);
  t += 60_001;
  expect(th.locked('192.0.2.1')).toBe(false);
  expect(th.failures('192.0.2.1')).toBe(0);
});

it('a success forgets earlier failures', async () => {
  const th = createAuthThrottle({ maxFailures: 2, failureDelayMs: 0 });
  await th.failed('a');
  th.succeeded('a');
  await th.failed('a');
  expect(th.locked('a')).toBe(false);
});
