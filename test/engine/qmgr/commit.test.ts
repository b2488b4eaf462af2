// Folding one attempt into the recipients: a recipient expanded to several
// destinations is settled only when all of them are, settled destinations are
// remembered so a retry skips them, and a bounced destination is reported under
// its own address with the original recipient as ORCPT.
import { describe, expect, it } from 'vitest';
import type { RecipientState } from '../../../engine/contracts.ts';
import { foldOutcomes, reportedRecipient, successLine } from '../../../engine/qmgr/commit.ts';
import type { DestinationOutcome, RecipientOutcome } from '../../../engine/qmgr/deliver.ts';

const alice: RecipientState = { address: 'alice@local.test', status: 'pending' };
const part = (key: string, address: string, status: DestinationOutcome['status']): DestinationOutcome =>
  ({ key, address, status, reply: status, dsnStatus: status === 'sent' ? '2.0.0' : status === 'bounced' ? '5.1.1' : '4.3.0' });
const outcome = (parts: DestinationOutcome[], status: RecipientOutcome['status'] = 'deferred'): RecipientOutcome =>
  ({ index: 0, status, reply: status, dsnStatus: '4.3.0', parts });
const local = (s: DestinationOutcome['status']) => part('local:alice', 'alice@local.test', s);
const remote = (s: DestinationOutcome['status']) => part('smtp:alice@elsewhere.test', 'alice@elsewhere.test', s);

describe('foldOutcomes', () => {
  const cases: { name: string; before?: RecipientState; parts: DestinationOutcome[]; reported?: boolean; want: { status: string; done?: string[]; reports: string[] } }[] = [
    { name: 'local sent, remote deferred: pending, local remembered', parts: [local('sent'), remote('deferred')], want: { status: 'pending', done: ['local:alice'], reports: [] } },
    { name: 'the retry delivers the rest: sent', before: { ...alice, done: ['local:alice'] }, parts: [remote('sent')], want: { status: 'sent', reports: [] } },
    { name: 'remote bounced: reported alone, recipient sent', parts: [local('sent'), remote('bounced')], want: { status: 'sent', reports: ['alice@elsewhere.test'] } },
    { name: 'everything bounced: bounced, each reported once', parts: [local('bounced'), remote('bounced')], want: { status: 'bounced', reports: ['alice@local.test', 'alice@elsewhere.test'] } },
    { name: 'report not queued: the bounce stays open (error path)', parts: [local('sent'), remote('bounced')], reported: false, want: { status: 'pending', done: ['local:alice'], reports: [] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const f = foldOutcomes([c.before ?? alice], [outcome(c.parts)], c.reported ?? true);
      const got = { status: f.recipients[0].status, done: f.recipients[0].done, reports: f.reports.map((r) => r.address) };
      expect(got).toEqual(c.want);
    });
  }
});

describe('reportedRecipient', () => {
  it('names the final address with the original as ORCPT (xtext), or the recipient itself', () => {
    const plus: RecipientState = { address: 'a+b@local.test', status: 'pending', notify: ['FAILURE'], done: ['local:a'] };
    expect(reportedRecipient(plus, remote('bounced'))).toEqual({
      address: 'alice@elsewhere.test', orcpt: 'rfc822;a+2Bb@local.test', notify: ['FAILURE'],
      status: 'bounced', lastReply: 'bounced', dsnStatus: '5.1.1',
    });
    const own = reportedRecipient({ ...alice, orcpt: 'rfc822;old@x.test' }, local('bounced'));
    expect(own).toEqual({ address: 'alice@local.test', orcpt: 'rfc822;old@x.test', status: 'bounced', lastReply: 'bounced', dsnStatus: '5.1.1' });
  });
});

describe('successLine', () => {
  const asked: RecipientState = { address: 'alice@local.test', status: 'pending', notify: ['SUCCESS'] };
  const cases: { name: string; part: DestinationOutcome; want: { address: string; action: string; orcpt?: string } | null }[] = [
    { name: 'local mailbox: delivered', part: local('sent'), want: { address: 'alice@local.test', action: 'delivered' } },
    { name: 'pipe: delivered', part: part('pipe:/usr/bin/x', 'alice@local.test', 'sent'), want: { address: 'alice@local.test', action: 'delivered' } },
    { name: 'SMTP without DSN: relayed, original as ORCPT', part: remote('sent'), want: { address: 'alice@elsewhere.test', action: 'relayed', orcpt: 'rfc822;alice@local.test' } },
    { name: 'SMTP with DSN: the next hop reports', part: { ...remote('sent'), dsnPassedOn: true }, want: null },
    { name: 'discarded: nothing was delivered', part: part('discard:/dev/null', 'alice@local.test', 'sent'), want: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const line = successLine(asked, c.part);
      const got = line && { address: line.address, action: line.action, ...(line.orcpt ? { orcpt: line.orcpt } : {}) };
      expect(got).toEqual(c.want);
      if (line) expect(line.status).toBe('sent');
    });
  }

  it('foldOutcomes collects a line per destination delivered now, none for deferred or bounced ones', () => {
    const f = foldOutcomes([asked], [outcome([local('sent'), remote('deferred')])], true);
    expect(f.successes.map((r) => [r.address, r.action])).toEqual([['alice@local.test', 'delivered']]);
    expect(foldOutcomes([asked], [outcome([local('bounced')])], true).successes).toEqual([]);
  });
});
