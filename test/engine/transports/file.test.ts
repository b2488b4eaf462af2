// File delivery (alias "/path/file"): mbox-style appends to a real file; a full
// disk defers; a relative path is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { deliverFile } from '../../../engine/transports/file.ts';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'mailstop-file-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const TEXT = 'Subject: audit\r\n\r\nFrom the top\r\n';
const message: OutboundMessage = { id: 'Q1', sender: 'carol@remote.example', size: TEXT.length, open: () => Readable.from([Buffer.from(TEXT)]) };
const ctx = () => ({ settings: SettingsSchema.parse({}), home: dir, hostname: 'mail.example.com', lockTimeoutMs: 300 });
const to = (path: string): Destination => ({ transport: 'file', nexthop: path, mailer: '*file*', address: path, original: 'archive@example.com' });

describe('deliverFile', () => {
  it('appends each message mbox-style', async () => {
    const path = join(dir, 'archive');
    const report = await deliverFile(message, [to(path)], ctx());
    await deliverFile(message, [to(path)], ctx());
    expect(report.results[0]).toMatchObject({ status: 'sent', dsnStatus: '2.0.0', address: path });
    const got = await readFile(path, 'utf8');
    expect(got.match(/^From carol@remote\.example /gm)).toHaveLength(2);
    expect(got).toContain('Delivered-To: archive@example.com\nSubject: audit\n\n>From the top\n\n');
  });

  const cases: { name: string; path: () => Promise<string>; want: { status: string; dsnStatus: string } }[] = [
    { name: 'a full disk defers', path: async () => { const p = join(dir, 'full'); await symlink('/dev/full', p); return p; },
      want: { status: 'deferred', dsnStatus: '4.3.1' } },
    { name: 'a missing directory defers', path: async () => join(dir, 'no', 'such', 'file'), want: { status: 'deferred', dsnStatus: '4.3.0' } },
    { name: 'a relative path bounces', path: async () => 'relative/file', want: { status: 'bounced', dsnStatus: '5.3.5' } },
    { name: '/dev/null is a discard', path: async () => '/dev/null', want: { status: 'sent', dsnStatus: '2.0.0' } },
  ];
  it.each(cases)('$name', async ({ path, want }) => {
    const got = (await deliverFile(message, [to(await path())], ctx())).results[0];
    expect(got).toMatchObject(want);
  });
});
