// What one alias/.forward target means, and how target text splits.
import { describe, expect, it } from 'vitest';
import { parseTarget, splitTargets } from '../../../engine/resolve/targets.ts';

describe('parseTarget', () => {
  const cases: { got: string; want: unknown }[] = [
    { got: '/dev/null', want: { kind: 'discard' } },
    { got: '/var/mail/archive', want: { kind: 'file', path: '/var/mail/archive' } },
    { got: '"/var/mail/with space"', want: { kind: 'file', path: '/var/mail/with space' } },
    { got: '|/usr/bin/procmail', want: { kind: 'pipe', command: '/usr/bin/procmail' } },
    { got: '"| /usr/bin/vacation alice"', want: { kind: 'pipe', command: '/usr/bin/vacation alice' } },
    { got: ':include:/etc/mail/staff', want: { kind: 'include', path: '/etc/mail/staff' } },
    { got: '\\Alice', want: { kind: 'mailbox', user: 'alice' } },
    { got: 'alice', want: { kind: 'address', address: 'alice' } },
    { got: 'bob@other.example', want: { kind: 'address', address: 'bob@other.example' } },
    { got: 'mail/inbox', want: { kind: 'invalid', reason: 'relative path "mail/inbox": use an absolute path such as /home/user/mail' } },
    { got: '~/inbox', want: { kind: 'invalid', reason: 'relative path "~/inbox": use an absolute path such as /home/user/mail' } },
    { got: '|', want: { kind: 'invalid', reason: 'empty program after "|"' } },
    { got: ':include:staff', want: { kind: 'invalid', reason: ':include: needs an absolute path, got "staff"' } },
    { got: 'a b@example.com', want: { kind: 'invalid', reason: 'bad address "a b@example.com": bad local part "a b"' } },
  ];
  it.each(cases)('$got', ({ got, want }) => { expect(parseTarget(got)).toEqual(want); });
});

describe('splitTargets', () => {
  it.each([
    { got: '\\alice, alice@elsewhere.example', want: ['\\alice', 'alice@elsewhere.example'] },
    { got: '# comment\nalice\n\n bob , carol\n', want: ['alice', 'bob', 'carol'] },
    { got: '"|/usr/bin/prog -a, -b", dave', want: ['"|/usr/bin/prog -a, -b"', 'dave'] },
    { got: '', want: [] },
  ])('$got', ({ got, want }) => { expect(splitTargets(got)).toEqual(want); });
});
