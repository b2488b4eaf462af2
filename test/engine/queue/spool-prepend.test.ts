// Header fields decided after the message was written (QueueEntry.prepend, issue
// 15: Authentication-Results needs the whole body for DKIM) are kept in the
// control record and presented on top of the stored message by open() and
// readHeaders(), counted in the size, for inline and for df-stored messages, and
// survive a control-record rewrite (qmgr's update) and a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSpool, INLINE_MAX } from '../../../engine/queue/spool.ts';

const AR = 'Authentication-Results: mx.ours.test;\r\n spf=pass smtp.mailfrom=a@bank.test\r\n';
let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mailstop-prepend-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('spool: header fields on top of the stored message', () => {
  const sizes = [{ name: 'inline', body: 'short' }, { name: 'split (df)', body: 'x'.repeat(INLINE_MAX + 10) }];
  for (const c of sizes) {
    it(`${c.name}: open(), readHeaders() and size include them; update() and a restart keep them`, async () => {
      const spool = createSpool(dir);
      const message = `From: a@bank.test\r\nSubject: s\r\n\r\n${c.body}\r\n`;
      const w = await spool.begin();
      await w.write(Buffer.from(message));
      const entry = await w.commit({
        sender: 'a@bank.test', recipients: [{ address: 'b@ours.test', status: 'pending' }], arrivalTime: 1, state: 'active',
        group: 'default', attempts: 0, nextAttempt: 0, client: { address: '192.0.2.1', protocol: 'ESMTP', daemon: 'smtp' }, prepend: AR,
      });
      expect(entry.size).toBe(Buffer.byteLength(AR + message));
      expect(await text(spool.open(entry.id))).toBe(AR + message);
      expect(await spool.readHeaders(entry.id)).toBe(`${AR}From: a@bank.test\r\nSubject: s\r\n`);
      await spool.update({ ...entry, attempts: 1 });
      const again = createSpool(dir);
      const report = await again.recover();
      expect(report.corrupt).toEqual([]);
      const [recovered] = report.entries;
      expect(recovered.prepend).toBe(AR);
      expect(await text(again.open(entry.id))).toBe(AR + message);
    });
  }
});
