// One engine per data directory, whoever starts it (engine/host): two
// `mailstop serve` racing for one home — exactly one wins, the other is refused
// with one line naming the winner's pid before it touches the spool; a pid file
// left by a killed engine is taken over; the lock's temporary file never stays.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli, startServe, startWorld, type World } from '../engine/cli/subprocess.ts';

let world: World;
beforeEach(async () => { world = await startWorld(() => ({ delivery: { mode: 'queueonly' } })); });
afterEach(async () => { await world.close(); });

interface Exit { pid: number; code: number | null; out: string; kill(): void; exited: Promise<number | null> }

/** Starts `mailstop serve`; `ready` settles when it printed ready or exited. */
function serve(home: string): Exit & { ready: Promise<boolean> } {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: REPO, env: { ...process.env, MAILSTOP_HOME: home } });
  const e = { pid: child.pid!, code: null as number | null, out: '', kill: () => { child.kill('SIGTERM'); } } as unknown as Exit & { ready: Promise<boolean> };
  e.exited = new Promise((r) => child.once('exit', (code) => { e.code = code; r(code); }));
  e.ready = new Promise((resolve) => {
    const onData = (d: Buffer) => { e.out += d; if (e.out.includes('mailstop: ready')) resolve(true); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void e.exited.then(() => resolve(false));
  });
  return e;
}

const runFiles = async (home: string) => (await fs.readdir(path.join(home, 'run')).catch(() => [] as string[])).sort();

describe('two hosts racing for one home', () => {
  it('exactly one wins; the other says which pid holds it and never starts an engine', async () => {
    // A message the engine will have to recover: the loser must not touch it.
    expect((await runCli(world.home, ['sendmail', 'you@dest.test'], 'Subject: queued while stopped\n\nhi\n')).code).toBe(0);
    const a = serve(world.home);
    const b = serve(world.home);
    const [aReady, bReady] = await Promise.all([a.ready, b.ready]);
    expect([aReady, bReady].filter(Boolean)).toHaveLength(1);
    const [winner, loser] = aReady ? [a, b] : [b, a];
    await loser.exited;
    expect(loser.code).toBe(75);
    expect(loser.out).toBe(`mailstop: an engine is already running for ${world.home} (pid ${winner.pid})\n`);
    const log = await fs.readFile(path.join(world.home, 'log', 'maillog'), 'utf8');
    expect(log.match(/starting Mailstop/g)).toHaveLength(1);
    expect(log).toContain('1 queued message(s) recovered');
    // The winner serves every command; the loser left no file behind.
    const status = await runCli(world.home, ['status']);
    expect(status.stdout).toContain(`(pid ${winner.pid}, home ${world.home})`);
    expect(await runFiles(world.home)).toEqual(['control.sock', 'engine.pid']);
    winner.kill();
    expect(await winner.exited).toBe(0);
    expect(await runFiles(world.home)).toEqual([]);
  }, 90_000);
});

describe('a pid file left behind', () => {
  it('is taken over when its process is gone (kill -9), and the queue is served', async () => {
    const first = await startServe(world.home);
    await first.kill9();
    const stalePid = first.child.pid!;
    expect((await fs.readFile(path.join(world.home, 'run', 'engine.pid'), 'utf8')).trim()).toBe(String(stalePid));
    const second = await startServe(world.home);
    try {
      expect((await fs.readFile(path.join(world.home, 'run', 'engine.pid'), 'utf8')).trim()).toBe(String(second.child.pid));
      const status = await runCli(world.home, ['status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`(pid ${second.child.pid}, `);
      expect((await runFiles(world.home)).filter((f) => f.includes('tmp') || f.includes('stale'))).toEqual([]);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 90_000);

  it('holding garbage is taken over too', async () => {
    await fs.mkdir(path.join(world.home, 'run'), { recursive: true });
    await fs.writeFile(path.join(world.home, 'run', 'engine.pid'), 'garbage\n');
    const served = await startServe(world.home);
    expect(await served.stop()).toBe(0);
  }, 60_000);
});
