// The maildrop file format and the public socket's rules, table-driven: what
// a drop file must look like to be taken (anything else is refused with a
// reason), and what any local user may ask through the public socket.
import { describe, expect, it } from 'vitest';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { decodeDrop, DropFormatError, encodeDrop, isCommittedDropName } from '../../../engine/host/maildrop.ts';
import { publicGuard } from '../../../engine/host/public-guard.ts';

const env = (o: unknown) => Buffer.from(`MAILSTOP-DROP 1\n${JSON.stringify(o)}\nSubject: x\n\nbody\n`);

describe('decodeDrop', () => {
  it('reads back what encodeDrop wrote, message bytes unchanged (Latin-1 included)', () => {
    const message = Buffer.from('Subject: caf\xe9\r\n\r\nbin\xe4r\n', 'latin1');
    const envelope = { sender: 'alice', recipients: [{ address: 'bob@example.org', notify: ['FAILURE' as const] }], ret: 'HDRS' as const, envid: 'e1' };
    const got = decodeDrop(encodeDrop(envelope, message));
    expect(got.envelope).toEqual(envelope);
    expect(got.message.equals(message)).toBe(true);
  });

  const bad: { name: string; got: Buffer; want: string }[] = [
    { name: 'garbage', got: Buffer.from('hello\n'), want: 'not a maildrop file (bad first line)' },
    { name: 'no envelope line end', got: Buffer.from('MAILSTOP-DROP 1\n{"sender":"a"'), want: 'no envelope line' },
    { name: 'envelope not JSON', got: Buffer.from('MAILSTOP-DROP 1\n{sender\n'), want: 'envelope line is not JSON' },
    { name: 'no sender', got: env({ recipients: [{ address: 'b@x' }] }), want: 'envelope has no sender' },
    { name: 'no recipients', got: env({ sender: 'a', recipients: [] }), want: 'envelope has no recipients' },
    { name: 'recipient without address', got: env({ sender: 'a', recipients: [{}] }), want: 'a recipient has no address' },
    { name: 'bad NOTIFY', got: env({ sender: 'a', recipients: [{ address: 'b@x', notify: ['ALWAYS'] }] }), want: 'bad NOTIFY' },
  ];
  for (const tc of bad) {
    it(`refuses ${tc.name}`, () => {
      expect(() => decodeDrop(tc.got)).toThrow(DropFormatError);
      expect(() => decodeDrop(tc.got)).toThrow(tc.want);
    });
  }

  it('ignores an identity claimed in the envelope line (the file owner is the identity)', () => {
    expect(decodeDrop(env({ sender: 'a', user: 'root', uid: 0, recipients: [{ address: 'b@x' }] })).envelope).toEqual({ sender: 'a', recipients: [{ address: 'b@x' }] });
  });

  it('takes only names the sendmail command writes', () => {
    expect(isCommittedDropName(`mi3x9k2-${'0f'.repeat(16)}`)).toBe(true);
    for (const n of ['.mi3x9k2-x', 'passwd', `../x-${'0'.repeat(32)}`, `A-${'0'.repeat(32)}`]) expect(isCommittedDropName(n)).toBe(false);
  });
});

describe('publicGuard', () => {
  const guardWith = (privacy: string[]) => publicGuard({ getSettings: async () => SettingsSchema.parse({ smtp: { privacy } }) });
  const cases: { privacy: string[]; method: string; params?: unknown[]; want: 'carry' | RegExp; carried?: unknown[] }[] = [
    { privacy: [], method: 'status', want: 'carry' },
    { privacy: [], method: 'listQueue', want: 'carry' },
    { privacy: ['restrictmailq'], method: 'listQueue', want: /restrictmailq/ },
    { privacy: [], method: 'flush', params: [{ force: true, recipient: 'x' }], want: 'carry', carried: [{ recipient: 'x' }] },
    { privacy: ['restrictqrun'], method: 'flush', want: /restrictqrun/ },
    { privacy: [], method: 'remove', want: /^permission denied: only root/ },
    { privacy: [], method: 'updateSettings', want: /^permission denied/ },
    { privacy: [], method: 'getSettings', want: /^permission denied/ },
    { privacy: [], method: 'submit', want: /^permission denied/ },
    { privacy: [], method: 'subscribe', want: /^permission denied/ },
  ];
  for (const tc of cases) {
    it(`${tc.method} with [${tc.privacy.join(',')}]`, async () => {
      const got = await guardWith(tc.privacy)(tc.method, tc.params ?? []);
      if (tc.want === 'carry') {
        expect(got).not.toHaveProperty('refuse');
        if (tc.carried) expect(got).toEqual({ params: tc.carried });
      } else {
        expect('refuse' in got ? got.refuse : '').toMatch(tc.want);
      }
    });
  }
});
