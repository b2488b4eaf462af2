// Success reports (RFC 3461 NOTIFY=SUCCESS) end to end over loopback: a message
// delivered into a local Maildir comes back as "Action: delivered" (RFC 3464
// §2.3.3), one relayed to a next hop without DSN as "Action: relayed" (RFC 3461
// §6.2.6.1); a DSN-aware next hop gets the NOTIFY and we stay quiet; NOTIFY=NEVER
// and the null sender never get a receipt. The sender's domain MX is the sink.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DsnNotify } from '../../engine/contracts.ts';
import { message, startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.stop(); h = undefined; });

const localDomain = () => ({ domains: { local: ['local.test'] } });

async function mailbox(home: string, user: string): Promise<string> {
  const dir = path.join(home, 'mail', user);
  for (const sub of ['new', 'cur', 'tmp']) await fs.mkdir(path.join(dir, sub), { recursive: true });
  return path.join(dir, 'new');
}

/** Submit with per-recipient NOTIFY, as `sendmail -N success,failure` would. */
async function submit(hh: Harness, from: string, to: string, notify: DsnNotify[]): Promise<string> {
  const r = await hh.engine.submit({
    envelope: { sender: from, recipients: [{ address: to, notify }] },
    messageBase64: Buffer.from(message(from || 'mailer-daemon@local.test', [to], 'Secret body text.').replace(/\r\n/g, '\n')).toString('base64'),
  });
  return r.id;
}

function statusOf(raw: Buffer): { action?: string; recipient?: string } {
  const text = raw.toString();
  return {
    action: /^Action: (\S+)/m.exec(text)?.[1],
    recipient: /^Final-Recipient: rfc822;\s*(\S+)/m.exec(text)?.[1],
  };
}

describe('success DSN', () => {
  it('local Maildir delivery with NOTIFY=SUCCESS,FAILURE: a delivered report to the sender, headers only', async () => {
    h = await startHarness({ settings: localDomain });
    const inbox = await mailbox(h.home, 'dave');
    await submit(h, 'alice@sender.test', 'dave@local.test', ['SUCCESS', 'FAILURE']);
    const [report] = await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(await fs.readdir(inbox)).toHaveLength(1);
    expect(report.envelope).toEqual({ mailFrom: '', rcptTo: ['alice@sender.test'] });
    expect(statusOf(report.raw)).toEqual({ action: 'delivered', recipient: 'dave@local.test' });
    const text = report.raw.toString();
    expect(text).toMatch(/^Subject: Successful Mail Delivery Report/m);
    expect(text).toMatch(/^Status: 2\.\d+\.\d+/m);
    expect(text).toContain('text/rfc822-headers');
    expect(text).not.toContain('Secret body text.');
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('relayed to a next hop without DSN: a relayed report', async () => {
    h = await startHarness({ sink: { dsn: false } });
    await submit(h, 'alice@sender.test', 'bob@dest.test', ['SUCCESS', 'FAILURE']);
    const got = await h.sink.waitForMessages(2);
    await h.engine.whenIdle();
    const relayed = got.find((m) => m.envelope.mailFrom === 'alice@sender.test');
    const report = got.find((m) => m.envelope.mailFrom === '');
    expect(relayed?.envelope.rcptTo).toEqual(['bob@dest.test']);
    expect(report?.envelope.rcptTo).toEqual(['alice@sender.test']);
    expect(statusOf(report!.raw)).toEqual({ action: 'relayed', recipient: 'bob@dest.test' });
    expect(report!.raw.toString()).toMatch(/^Remote-MTA: dns; mx\.dest\.test/m);
  });

  it('relayed to a DSN-aware next hop: NOTIFY passed on, no report from us', async () => {
    h = await startHarness({ sink: { dsn: true } });
    await submit(h, 'alice@sender.test', 'bob@dest.test', ['SUCCESS', 'FAILURE']);
    await h.sink.waitForMessages(1);
    await h.engine.whenIdle();
    expect(h.sink.messages).toHaveLength(1);
    expect(h.sink.messages[0].recipients[0]).toMatchObject({ address: 'bob@dest.test', notify: ['SUCCESS', 'FAILURE'] });
    expect(await h.engine.listQueue()).toEqual([]);
  });

  const silent: { name: string; sender: string; notify: DsnNotify[] }[] = [
    { name: 'NOTIFY=NEVER', sender: 'alice@sender.test', notify: ['NEVER'] },
    { name: 'NOTIFY=FAILURE only', sender: 'alice@sender.test', notify: ['FAILURE'] },
    { name: 'the null sender <>', sender: '', notify: ['SUCCESS'] },
  ];
  for (const c of silent) {
    it(`${c.name}: delivered, no report`, async () => {
      h = await startHarness({ settings: localDomain });
      const inbox = await mailbox(h.home, 'dave');
      await submit(h, c.sender, 'dave@local.test', c.notify);
      await h.engine.whenIdle();
      // A report would have been queued and relayed to the sink within this same idle wait.
      expect(await fs.readdir(inbox)).toHaveLength(1);
      expect(await h.engine.listQueue()).toEqual([]);
      expect(h.sink.messages).toEqual([]);
      expect((await h.engine.tailLog(50)).some((l) => /Return receipt/.test(l))).toBe(false);
    });
  }
});
