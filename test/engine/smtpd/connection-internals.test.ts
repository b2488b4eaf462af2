// engine/smtpd/connection-hooks.ts adjusts smtp-server through members that are
// not its public API. smtp-server is pinned to one exact version; this checks that
// the installed one is that version and that every member the hooks use is there,
// with the kind they expect, on a real connection — so an upgrade that renames one
// fails here with its name, instead of a session silently losing a hook.
import net from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTION_INTERNALS, SERVER_INTERNALS, connectionOf } from '../../../engine/smtpd/connection-hooks.ts';

const require = createRequire(import.meta.url);
const servers: SMTPServer[] = [];
afterAll(async () => { for (const s of servers) await new Promise<void>((r) => s.close(() => r())); });

describe('smtp-server internals the hooks rely on', () => {
  it('smtp-server is pinned exactly and installed at that version', () => {
    const wanted = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }).dependencies['smtp-server'];
    expect(wanted).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = (JSON.parse(readFileSync(require.resolve('smtp-server/package.json'), 'utf8')) as { version: string }).version;
    expect(installed).toBe(wanted);
  });

  it('every hooked member exists on a real connection and its server, with the expected kind', async () => {
    let seen: Record<string, string> | null = null;
    let server!: SMTPServer;
    const connected = new Promise<void>((resolve) => {
      server = new SMTPServer({
        authOptional: true,
        onConnect(session: SMTPServerSession, callback) {
          const conn = connectionOf(server, session) as unknown as Record<string, unknown> | undefined;
          seen = conn ? Object.fromEntries(Object.keys(CONNECTION_INTERNALS).map((k) => [k, typeof conn[k]])) : null;
          callback();
          resolve();
        },
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as net.AddressInfo).port;
    const socket = net.connect(port, '127.0.0.1');
    await connected;
    socket.destroy();
    expect(seen, 'connectionOf found no connection: SMTPServer.connections changed').not.toBeNull();
    expect(seen).toEqual(CONNECTION_INTERNALS);
    const s = server as unknown as Record<string, unknown>;
    expect(Object.fromEntries(Object.keys(SERVER_INTERNALS).map((k) => [k, typeof s[k]]))).toEqual(SERVER_INTERNALS);
    expect(s.connections).toBeInstanceOf(Set);
  });
});
