// Pairing transport results with destinations, and the mailq reason line.
import { describe, expect, it } from 'vitest';
import type { DeliveryResult, Destination } from '../../../engine/contracts.ts';
import { destinationKey, matchResults } from '../../../engine/qmgr/deliver.ts';
import { deferredReason, slowQueueDue } from '../../../engine/qmgr/commit.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';

const dest = (address: string): Destination => ({ transport: 'smtp', nexthop: 'dest.test', mailer: 'esmtp', address, original: address });
const res = (address: string, status: DeliveryResult['status']): DeliveryResult => ({ address, status, reply: status, dsnStatus: '2.0.0' });

describe('matchResults', () => {
  it('keeps the order when the transport kept it', () => {
    const got = matchResults([dest('a@x'), dest('b@x')], [res('a@x', 'sent'), res('b@x', 'bounced')]);
    expect(got.map((r) => r.status)).toEqual(['sent', 'bounced']);
  });
  it('pairs by address (any case) when the order differs', () => {
    const got = matchResults([dest('a@x'), dest('B@x')], [res('b@x', 'bounced'), res('a@x', 'sent')]);
    expect(got.map((r) => r.status)).toEqual(['sent', 'bounced']);
  });
  it('defers a destination the transport forgot, never drops it', () => {
    const got = matchResults([dest('a@x'), dest('b@x')], [res('a@x', 'sent')]);
    expect(got[1]).toMatchObject({ address: 'b@x', status: 'deferred', dsnStatus: '4.3.0' });
  });
});

describe('deferredReason', () => {
  const cases: [string | undefined, string][] = [
    ['Connection refused by 127.0.0.1', 'Deferred: Connection refused by 127.0.0.1'],
    ['451 4.3.0 Try\r\n later', 'Deferred: 451 4.3.0 Try later'],
    ['Deferred: already worded', 'Deferred: already worded'],
    [undefined, 'Deferred: delivery deferred'],
  ];
  for (const [got, want] of cases) it(JSON.stringify(got), () => expect(deferredReason(got)).toBe(want));
});

describe('slowQueueDue', () => {
  const d = SettingsSchema.parse({ delivery: { slowQueue: { enabled: true, afterAttempts: 3, afterAge: '1d' } } }).delivery;
  const base = { id: 'A', sender: '', recipients: [], arrivalTime: 0, size: 1, state: 'deferred' as const, group: 'default', attempts: 0, nextAttempt: 0, client: { address: '', protocol: 'local', daemon: 'cli' } };
  it('moves after N attempts or age T, only from the default group, only when enabled', () => {
    expect(slowQueueDue({ ...base, attempts: 2 }, 1000, d)).toBe(false);
    expect(slowQueueDue({ ...base, attempts: 3 }, 1000, d)).toBe(true);
    expect(slowQueueDue({ ...base, attempts: 0 }, 86400_000, d)).toBe(true);
    expect(slowQueueDue({ ...base, attempts: 9, group: 'slow' }, 1000, d)).toBe(false);
    expect(slowQueueDue({ ...base, attempts: 9 }, 1000, SettingsSchema.parse({}).delivery)).toBe(false);
  });
});

describe('destinationKey', () => {
  const cases: [Pick<Destination, 'transport' | 'nexthop' | 'address'>, string][] = [
    [{ transport: 'local', nexthop: 'alice', address: 'alice@local.test' }, 'local:alice'],
    [{ transport: 'smtp', nexthop: 'elsewhere.example', address: 'Alice@ElseWhere.Example' }, 'smtp:Alice@elsewhere.example'],
    [{ transport: 'smtp', nexthop: 'smarthost.test', address: 'Alice@elsewhere.example' }, 'smtp:Alice@elsewhere.example'],
    [{ transport: 'pipe', nexthop: '/usr/bin/procmail', address: '|/usr/bin/procmail' }, 'pipe:/usr/bin/procmail'],
    [{ transport: 'discard', nexthop: '/dev/null', address: '/dev/null' }, 'discard:/dev/null'],
  ];
  for (const [got, want] of cases) it(want, () => expect(destinationKey(got)).toBe(want));
});
