// The control socket carries EngineApi unchanged: results, SmtpErrors, events;
// it refuses names outside ENGINE_API_METHODS and says "engine not running" fast.
import fs from 'node:fs/promises';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineApi, EngineEvent } from '../../../engine/api.ts';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import { SmtpError } from '../../../engine/contracts.ts';
import { connectControl, EngineNotRunningError, serveControl, type ControlClient } from '../../../engine/host/control-socket.ts';

/** The peer: a tiny EngineApi that records calls and emits events on demand. */
function peer() {
  const listeners = new Set<(e: EngineEvent) => void>();
  const calls: { method: string; params: unknown[] }[] = [];
  const rec = (method: string) => async (...params: unknown[]) => { calls.push({ method, params }); return { changed: ['A'], missing: [] }; };
  const api = {
    status: async () => ({ pid: 42 }),
    listQueue: async (sel?: unknown) => { calls.push({ method: 'listQueue', params: [sel] }); return []; },
    getMessage: async () => null,
    listCorrupt: async () => [],
    flush: async () => { for (const l of listeners) l({ type: 'flush:started', total: 0 }); return { attempted: 0, sent: 0, deferred: 0, bounced: 0, skipped: 0, durationMs: 1 }; },
    hold: rec('hold'), release: rec('release'), remove: rec('remove'), bounceNow: rec('bounceNow'), requeue: rec('requeue'),
    moveToGroup: rec('moveToGroup'),
    submit: async () => { throw new SmtpError(552, '5.3.4', 'Message too big'); },
    getSettings: async () => SettingsSchema.parse({}),
    updateSettings: async () => { throw new Error('disk on fire'); },
    tailLog: async (...args: unknown[]) => { calls.push({ method: 'tailLog', params: args }); return Array.from({ length: args[0] as number }, (_, i) => `line ${i}`); },
    testAddress: async () => ({ destinations: [], failures: [], trace: [] }),
    networkChanged: async () => ({ online: true, since: 0, reason: 'x' }),
    subscribe(l: (e: EngineEvent) => void) { listeners.add(l); return () => listeners.delete(l); },
  } as unknown as EngineApi;
  return { api, calls, listeners };
}

let dir: string;
let sock: string;
let server: { close(): Promise<void> } | undefined;
let client: ControlClient | undefined;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-ctl-'));
  sock = path.join(dir, 'control.sock');
});
afterEach(async () => {
  client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
  await fs.rm(dir, { recursive: true, force: true });
});

describe('control socket', () => {
  it('carries calls and results, with params in order', async () => {
    const p = peer();
    server = await serveControl(p.api, sock);
    client = await connectControl(sock);
    expect(await client.tailLog(2)).toEqual(['line 0', 'line 1']);
    expect(await client.moveToGroup({ ids: ['A'] }, 'slow')).toEqual({ changed: ['A'], missing: [] });
    expect(p.calls.at(-1)).toEqual({ method: 'moveToGroup', params: [{ ids: ['A'] }, 'slow'] });
    expect((await client.getSettings()).listen.smtp).toBe(2525);
  });

  it('an undefined parameter arrives undefined, not null', async () => {
    const p = peer();
    server = await serveControl(p.api, sock);
    client = await connectControl(sock);
    await client.tailLog(1, undefined);
    const got = p.calls.at(-1)!.params;
    expect(got.length).toBe(2);
    expect(got[1]).toBeUndefined();
  });

  it('the socket file is private to its owner (0600)', async () => {
    server = await serveControl(peer().api, sock);
    expect((await fs.stat(sock)).mode & 0o777).toBe(0o600);
  });

  it('the socket is bound inside a directory only its owner can enter (0700)', async () => {
    // Cases: the directory is made by serveControl; one left 0755 is tightened first.
    const cases = [{ pre: null }, { pre: 0o755 }];
    for (const c of cases) {
      const runDir = path.join(dir, `run-${c.pre ?? 'new'}`);
      if (c.pre !== null) await fs.mkdir(runDir, { mode: c.pre });
      if (c.pre !== null) await fs.chmod(runDir, c.pre);
      const s = await serveControl(peer().api, path.join(runDir, 'control.sock'));
      const got = (await fs.stat(runDir)).mode & 0o777;
      await s.close();
      expect(got, `pre ${c.pre}`).toBe(0o700);
    }
  });

  it('refuses a socket directory that is a symlink (cannot be made private)', async () => {
    const real = path.join(dir, 'real');
    await fs.mkdir(real, { mode: 0o755 });
    await fs.symlink(real, path.join(dir, 'link'));
    await expect(serveControl(peer().api, path.join(dir, 'link', 'control.sock'))).rejects.toThrow(/not a directory owned by this user/);
  });

  it('brings SmtpErrors back with their codes, other errors with their message', async () => {
    server = await serveControl(peer().api, sock);
    client = await connectControl(sock);
    const got = await client.submit({ envelope: { sender: '', recipients: [] }, messageBase64: '' }).catch((e) => e);
    expect(got).toBeInstanceOf(SmtpError);
    expect(got).toMatchObject({ responseCode: 552, enhanced: '5.3.4', message: '5.3.4 Message too big' });
    await expect(client.updateSettings({})).rejects.toThrow('disk on fire');
  });

  it('refuses methods outside ENGINE_API_METHODS', async () => {
    server = await serveControl(peer().api, sock);
    const s = net.connect(sock);
    const got = await new Promise<string>((resolve) => {
      s.once('data', (d) => resolve(d.toString()));
      s.write(JSON.stringify({ id: 7, method: 'constructor', params: [] }) + '\n');
    });
    s.destroy();
    expect(JSON.parse(got)).toEqual({ id: 7, error: { message: 'unknown method: constructor' } });
  });

  it('streams events to a subscriber until it unsubscribes', async () => {
    const p = peer();
    server = await serveControl(p.api, sock);
    client = await connectControl(sock);
    const got: EngineEvent[] = [];
    const stop = await client.subscribeReady((e) => got.push(e));
    await client.flush();
    await new Promise((r) => setTimeout(r, 50)); // the event travels on its own connection
    expect(got).toEqual([{ type: 'flush:started', total: 0 }]);
    stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(p.listeners.size).toBe(0);
  });

  it('says the engine is not running when there is no socket, or only a stale one', async () => {
    await expect(connectControl(sock)).rejects.toBeInstanceOf(EngineNotRunningError);
    await expect(connectControl(sock)).rejects.toThrow(/engine not running \(no control socket/);
    // A socket file nobody listens on: its process was killed with -9.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect((await fs.stat(sock)).isSocket()).toBe(true);
    await expect(connectControl(sock)).rejects.toThrow(/engine not running \(stale control socket/);
  });

  it('replaces a stale socket file when serving', async () => {
    await fs.writeFile(sock, 'left over');
    server = await serveControl(peer().api, sock);
    client = await connectControl(sock);
    expect(await client.status()).toEqual({ pid: 42 });
  });

  it('carries a text answer piece by piece into a slow reader, in order, then ends', async () => {
    const pieces = Array.from({ length: 200 }, (_, i) => `piece ${i} `.padEnd(64 * 1024 - 1, '.') + '\n');
    let made = 0;
    server = await serveControl(peer().api, sock, undefined, {
      mailq: async () => (function* () { for (const p of pieces) { made++; yield p; } })(),
    });
    client = await connectControl(sock);
    // A reader that holds 16 KiB and drains slowly: the engine must wait for it, not buffer ~13 MB.
    const got: string[] = [];
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk, _enc, done) { got.push(String(chunk)); setTimeout(done, 1); },
    });
    const streaming = client.streamText('mailq', sink);
    await new Promise((r) => setTimeout(r, 50));
    const madeAt50ms = made;
    await streaming;
    expect(got.join('')).toBe(pieces.join(''));
    // Backpressure: 50 ms in, the engine had made only a few of the 200 pieces.
    expect(madeAt50ms).toBeLessThan(100);
    // The connection still answers ordinary calls afterwards.
    expect(await client.tailLog(1)).toEqual(['line 0']);
  });

  it('a text answer the engine does not offer is an "unknown method" error (an older engine: the CLI falls back)', async () => {
    server = await serveControl(peer().api, sock);
    client = await connectControl(sock);
    await expect(client.streamText('mailq', new Writable({ write(_c, _e, done) { done(); } }))).rejects.toThrow(/^unknown method: mailq$/);
  });
});
