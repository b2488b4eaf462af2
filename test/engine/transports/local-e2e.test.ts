// End to end over loopback, from an address to where the mail lands: resolve →
// engine/transports dispatch → a real Maildir and a real SMTP sink (smtp-server
// on 127.0.0.1, port 0). Covers issue 5's "\user + remote forward delivers both
// copies", "a routed domain reaches the route's sink, not the smart host" and
// "error: routes bounce with their text".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { SettingsSchema, type Settings } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { createDns } from '../../../engine/dns/resolver.ts';
import { createResolver } from '../../../engine/resolve/index.ts';
import { deliver } from '../../../engine/transports/index.ts';

interface Received { from: string; to: string[]; data: string }
const received: Received[] = [];
let sink: SMTPServer;
let port = 0;
let home: string;
let settings: Settings;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mailstop-local-e2e-'));
  sink = new SMTPServer({
    authOptional: true, hideSTARTTLS: true, hideDSN: false, hideENHANCEDSTATUSCODES: false, disableReverseLookup: true,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  port = (sink.server.address() as { port: number }).port;
  settings = SettingsSchema.parse({
    hostname: 'mail.example.com',
    domains: { local: ['example.com'] },
    aliases: { postmaster: ['alice'] },
    forwards: { alice: ['\\alice, alice@elsewhere.example'] },
    users: [{ name: 'alice', passwordHash: 'x' }],
    routes: [
      { domain: 'elsewhere.example', mailer: 'esmtp', host: '[127.0.0.1]', port },
      { domain: 'closed.example', mailer: 'error', host: '5.7.1:This domain is closed' },
    ],
    // A smart host nobody listens on: a route must win over it.
    smartHost: { host: '[127.0.0.1]', port: 9, tls: 'none' },
    delivery: { connectTimeout: '5s' },
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  await rm(home, { recursive: true, force: true });
});

const TEXT = 'From: carol@remote.example\r\nTo: postmaster@example.com\r\nSubject: both copies\r\n\r\nhello\r\n';
const message: OutboundMessage = { id: 'E2E1', sender: 'carol@remote.example', size: TEXT.length, open: () => Readable.from([Buffer.from(TEXT)]) };

async function resolveAndDeliver(address: string) {
  const resolver = createResolver({ settings, home, passwdFile: '' });
  const resolution = await resolver.resolve(address);
  const groups = new Map<string, Destination[]>();
  for (const d of resolution.destinations) {
    const key = `${d.transport} ${d.nexthop} ${d.port ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const ctx = { settings, home, hostname: settings.hostname, dns: createDns(() => settings.dns) };
  const results = [];
  for (const dests of groups.values()) results.push(...(await deliver(message, dests, ctx)).results);
  return { resolution, results };
}

describe('local delivery end to end', () => {
  it('an alias to a user with "\\user, remote" forward lands in the Maildir and at the routed sink', async () => {
    const { results } = await resolveAndDeliver('postmaster@example.com');
    expect(results.map((r) => [r.address, r.status])).toEqual([
      ['alice@example.com', 'sent'],
      ['alice@elsewhere.example', 'sent'],
    ]);
    const files = await readdir(join(home, 'mail', 'alice', 'new'));
    expect(files).toHaveLength(1);
    const local = await readFile(join(home, 'mail', 'alice', 'new', files[0]), 'utf8');
    expect(local).toContain('Delivered-To: alice@example.com\nFrom: carol@remote.example\n');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ from: 'carol@remote.example', to: ['alice@elsewhere.example'] });
    expect(received[0].data).toContain('Subject: both copies');
  });

  it('an error: route bounces with its text and delivers nothing', async () => {
    const before = received.length;
    const { resolution, results } = await resolveAndDeliver('pat@closed.example');
    expect(results).toEqual([]);
    expect(resolution.failures).toEqual([{ address: 'pat@closed.example', status: '5.7.1', reason: 'This domain is closed' }]);
    expect(received.length).toBe(before);
  });
});
