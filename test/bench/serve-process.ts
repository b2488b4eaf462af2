// The engine as it ships: `node bin/mailstop.js serve` running the compiled dist/
// (`npm run bench` builds it when stale), in its own process, with config.json in
// its home. What an administrator's `ps` shows is measured here — the bench host
// (host.ts) runs the sources through tsx, whose loader alone is ~30 MB of RSS.
//
// Owns: starting, finding the port of, and stopping one server process; reading a
// process's RSS from /proc. Never: deciding what a number means.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { REPO, stopChild, waitFor, type BenchContext } from './util.ts';

export interface ServeProcess {
  pid: number;
  smtpPort: number;
  stop(): Promise<void>;
}

/** Start `mailstop serve --home home` with these settings as its config.json; resolves once it says ready. */
export async function startServe(ctx: BenchContext, home: string, settings: object, timeoutMs = 120_000): Promise<ServeProcess> {
  await fsp.mkdir(home, { recursive: true });
  await fsp.writeFile(path.join(home, 'config.json'), JSON.stringify(settings, null, 2));
  const env = { ...process.env };
  delete env.MAILSTOP_FROM_SOURCE; // the build, as `mailstop serve` runs on a server
  const child = spawn(process.execPath, ['bin/mailstop.js', 'serve', '--home', home], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  ctx.defer(() => stopChild(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  await waitFor('mailstop serve to say ready', () => {
    if (child.exitCode !== null) throw new Error(`mailstop serve exited ${child.exitCode}: ${stderr.trim().slice(0, 300)}`);
    return /mailstop: ready/.test(stdout);
  }, timeoutMs, 50);
  const m = /smtp listening on [^\s]*:(\d+)/.exec(stdout);
  if (!m) throw new Error(`mailstop serve printed no smtp listener: ${stdout.trim().slice(0, 300)}`);
  return { pid: child.pid!, smtpPort: Number(m[1]), stop: () => stopChild(child) };
}

/** Resident set size of a process in bytes (VmRSS of /proc/PID/status), as ps and top show it. */
export async function rssOf(pid: number): Promise<number> {
  const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Committed control files in a spool directory: the queue's size, without asking the engine (no competing work). */
export async function countQueued(spoolDir: string): Promise<number> {
  let n = 0;
  for (const name of await fsp.readdir(spoolDir)) if (name.startsWith('qf')) n++;
  return n;
}

/**
 * The "idle" reference: a node process that imported the modules `mailstop serve`
 * loads at start (the engine, the host, the console) from dist/, and nothing else.
 * Returns its RSS after a settle.
 */
export async function idleRss(settleMs: number): Promise<number> {
  const code = `
    await import(${JSON.stringify(path.join(REPO, 'dist/engine/cli/serve.js'))});
    await import(${JSON.stringify(path.join(REPO, 'dist/engine/index.js'))});
    await import(${JSON.stringify(path.join(REPO, 'dist/engine/host/index.js'))});
    await import(${JSON.stringify(path.join(REPO, 'dist/engine/console/index.js'))});
    setTimeout(() => process.stdout.write(String(process.memoryUsage().rss)), ${settleMs});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const code2 = await new Promise<number | null>((r) => child.once('exit', r));
  if (code2 !== 0 || !/^\d+$/.test(out)) throw new Error(`idle reference failed (${code2}): ${err.trim().slice(0, 300)}`);
  return Number(out);
}
