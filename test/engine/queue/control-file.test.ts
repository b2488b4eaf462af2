// Control records: what is written reads back equal; what is damaged is refused
// with a reason a person can act on (it goes to corrupt/, never guessed at).
import { describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { decodeControl, encodeControl, encodeInlineHead, QF_INLINE_VERSION, QF_VERSION } from '../../../engine/queue/control-file.ts';

const ID = '0Abc0000000001';
const entry: QueueEntry = {
  id: ID,
  sender: '',
  recipients: [{ address: 'bob@example.net', status: 'pending', notify: ['FAILURE'], orcpt: 'rfc822;bob@example.net' }],
  arrivalTime: 1_700_000_000_000,
  size: 1234,
  state: 'hold',
  heldBy: 'mode',
  group: 'slow',
  attempts: 3,
  nextAttempt: 1_700_000_600_000,
  client: { address: '', protocol: 'local', daemon: 'cli' },
  transcript: ['<<< 220 hi'],
};

describe('control file', () => {
  it('round-trips an entry and carries its format version', () => {
    const text = encodeControl(entry);
    expect(JSON.parse(text)).toMatchObject({ qfVersion: QF_VERSION, id: ID });
    expect(text.endsWith('\n')).toBe(true);
    expect(decodeControl(text, ID)).toEqual({ ok: true, entry, inline: false });
  });

  it('round-trips the head of an inline control file (version 2: the message follows the record)', () => {
    const text = encodeInlineHead(entry);
    expect(text.indexOf('\n')).toBe(text.length - 1); // the first '\n' ends the record
    expect(JSON.parse(text)).toMatchObject({ qfVersion: QF_INLINE_VERSION, id: ID });
    expect(decodeControl(text.slice(0, -1), ID)).toEqual({ ok: true, entry, inline: true });
    // Newlines inside fields are escaped by JSON, so they cannot end the record early.
    const tricky = { ...entry, sender: 'a\nb@example.com' };
    expect(encodeInlineHead(tricky).split('\n').length).toBe(2);
  });

  const bad = (over: Record<string, unknown>) => JSON.stringify({ qfVersion: QF_VERSION, ...entry, ...over });
  const cases: { name: string; text: string; want: RegExp }[] = [
    { name: 'empty file', text: '', want: /not valid JSON/ },
    { name: 'cut short', text: encodeControl(entry).slice(0, 50), want: /not valid JSON/ },
    { name: 'not an object', text: '[1,2]', want: /not a JSON object/ },
    { name: 'no version', text: JSON.stringify(entry), want: /version undefined/ },
    { name: 'future version', text: bad({ qfVersion: 3 }), want: /version 3/ },
    { name: 'id of another file', text: bad({ id: '0Abc0000000002' }), want: /does not match/ },
    { name: 'sender missing', text: bad({ sender: null }), want: /sender/ },
    { name: 'no recipients', text: bad({ recipients: [] }), want: /recipients/ },
    { name: 'recipient without status', text: bad({ recipients: [{ address: 'a@b' }] }), want: /recipients\[0\]/ },
    { name: 'size negative', text: bad({ size: -1 }), want: /size/ },
    { name: 'state unknown', text: bad({ state: 'frozen' }), want: /state "frozen"/ },
    { name: 'attempts fractional', text: bad({ attempts: 1.5 }), want: /attempts/ },
    { name: 'nextAttempt a string', text: bad({ nextAttempt: 'soon' }), want: /nextAttempt/ },
    { name: 'client missing', text: bad({ client: undefined }), want: /client/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      const got = decodeControl(c.text, ID);
      expect(got.ok).toBe(false);
      if (!got.ok) expect(got.reason).toMatch(c.want);
    });
  }
});
