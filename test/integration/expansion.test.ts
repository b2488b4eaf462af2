// A recipient that expands to several destinations (.forward "\alice" keeps a local
// copy and forwards one): each destination is delivered exactly once however many
// attempts the others need, a bounced destination is reported on its own with the
// original recipient as ORCPT, and RFC 3461 NOTIFY/ORCPT travel to the next hop.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, HOUR, MIN, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

const forwarding = () => ({
  domains: { local: ['local.test'] },
  forwards: { alice: ['\\alice', 'alice@dest.test'] },
});

async function mailbox(home: string, user: string): Promise<string> {
  const dir = path.join(home, 'mail', user);
  for (const sub of ['new', 'cur', 'tmp']) await fs.mkdir(path.join(dir, sub), { recursive: true });
  return path.join(dir, 'new');
}

describe('a recipient expanded to several destinations', () => {
  it('delivers the local copy once while the remote copy is retried', async () => {
    h = await startHarness({ settings: forwarding });
    const inbox = await mailbox(h.home, 'alice');
    h.sink.setReplies({ rcpt: { 'alice@dest.test': '451 4.3.0 Try again later' } });
    const id = await h.submit('carol@sender.test', ['alice@local.test']);
    await h.engine.whenIdle();

    expect(await fs.readdir(inbox)).toHaveLength(1);
    const [entry] = await h.engine.listQueue();
    expect(entry).toMatchObject({ id, state: 'deferred', attempts: 1 });
    expect(entry.recipients[0]).toMatchObject({ address: 'alice@local.test', status: 'pending', done: ['local:alice'] });

    h.sink.setReplies({});
    h.clock.advance(10 * MIN);
    await h.engine.runDue();
    await h.engine.whenIdle();
    expect(h.sink.messages.map((m) => m.envelope.rcptTo)).toEqual([['alice@dest.test']]);
    expect(await fs.readdir(inbox)).toHaveLength(1); // not a second local copy
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('reports a bounced destination once, naming the original recipient, and keeps the delivered copy', async () => {
    h = await startHarness({ settings: forwarding });
    const inbox = await mailbox(h.home, 'alice');
    h.sink.setReplies({ rcpt: { 'alice@dest.test': '550 5.1.1 No such user' } });
    await h.submit('carol@sender.test', ['alice@local.test']);
    const [dsn] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();

    expect(dsn.envelope).toEqual({ mailFrom: '', rcptTo: ['carol@sender.test'] });
    const text = dsn.raw.toString();
    expect(text).toMatch(/Final-Recipient: rfc822;\s*alice@dest\.test/i);
    expect(text).toMatch(/Original-Recipient: rfc822;\s*alice@local\.test/i);
    expect(text).not.toMatch(/Final-Recipient: rfc822;\s*alice@local\.test/i);
    expect(await fs.readdir(inbox)).toHaveLength(1);
    expect(await h.engine.listQueue()).toEqual([]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'queue:removed', why: 'delivered' }));
  });

  it('returns only the destinations still open when the message expires', async () => {
    h = await startHarness({ settings: () => ({ ...forwarding(), delivery: { queueReturn: '1h', queueWarn: '30m' } }) });
    const inbox = await mailbox(h.home, 'alice');
    h.sink.setReplies({ rcpt: (a) => (a === 'alice@dest.test' ? '451 4.3.0 Try again later' : undefined) });
    await h.submit('carol@sender.test', ['alice@local.test']);
    await h.engine.whenIdle();
    h.clock.advance(2 * HOUR);
    await h.engine.runDue();
    await h.engine.whenIdle();

    const reports = h.sink.messages.filter((m) => m.envelope.mailFrom === '');
    const failure = reports.find((m) => /Action: failed/.test(m.raw.toString()));
    expect(failure?.raw.toString()).toMatch(/Final-Recipient: rfc822;\s*alice@dest\.test/i);
    expect(failure?.raw.toString()).toMatch(/Original-Recipient: rfc822;\s*alice@local\.test/i);
    expect(await fs.readdir(inbox)).toHaveLength(1);
    expect(await h.engine.listQueue()).toEqual([]);
  });
});

describe('RFC 3461 parameters', () => {
  it('relays each recipient\'s NOTIFY and ORCPT on its RCPT TO', async () => {
    h = await startHarness();
    await h.engine.submit({
      envelope: {
        sender: 'carol@sender.test',
        recipients: [
          { address: 'bob@dest.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@old.test' },
          { address: 'dave@dest.test', notify: ['NEVER'] },
        ],
      },
      messageBase64: Buffer.from('Subject: dsn\n\nhi\n').toString('base64'),
    });
    const [msg] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    const byAddress = Object.fromEntries(msg.recipients.map((r) => [r.address, r]));
    expect(byAddress['bob@dest.test']).toMatchObject({ notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@old.test' });
    expect(byAddress['dave@dest.test']).toMatchObject({ notify: ['NEVER'] });
  });
});
