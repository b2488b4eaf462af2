// Drives the real `mailstop` command as a subprocess (node bin/mailstop.js) with
// MAILSTOP_HOME set to a temporary data directory, beside a loopback DNS server
// and a sink MX (the shared helpers). `serve` runs as a child whose printed
// listener lines give the real ports. Nothing here imitates Mailstop itself.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDnsServer, type DnsServer } from '../../helpers/dns-server.ts';
import { startSink, type Sink } from '../../helpers/sink.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(REPO, 'bin', 'mailstop.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs `cmd args`, collecting its output; resolves when it exits. With `stdin`,
 * that is written and the input closed; without, the input is left as it is.
 */
export function spawnCaptured(cmd: string, args: string[], options: SpawnOptions, stdin?: string | Buffer): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin === undefined) return;
    child.stdin!.on('error', () => {}); // a command that ignores stdin may close it first
    child.stdin!.end(stdin);
  });
}

/** Runs `mailstop ARGS` with stdin; resolves when it exits. */
export function runCli(home: string, args: string[], stdin: string | Buffer = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return spawnCaptured(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, MAILSTOP_HOME: home, ...env } }, stdin);
}

/** Runs a shell pipeline with `mailstop` on PATH-less form: $MAILSTOP is the command. */
export function runShell(home: string, script: string): Promise<CliResult> {
  return spawnCaptured('sh', ['-c', script], {
    cwd: REPO, env: { ...process.env, MAILSTOP_HOME: home, MAILSTOP: `${process.execPath} ${BIN}` },
  });
}

export interface Served {
  child: ChildProcess;
  ports: Record<string, number>;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup of any kind (kill -9). */
  kill9(): Promise<void>;
}

/** Starts `mailstop serve`; resolves once it printed "mailstop: ready". */
export function startServe(home: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: REPO, env: { ...process.env, MAILSTOP_HOME: home } });
    let out = '';
    const ports: Record<string, number> = {};
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const onData = (d: Buffer) => {
      out += d;
      for (const m of out.matchAll(/mailstop: (\w+) listening on [\d.]+:(\d+)/g)) ports[m[1]] = Number(m[2]);
      if (out.includes('mailstop: ready')) {
        resolve({
          child, ports, output: () => out,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited;
          },
          async kill9() {
            if (child.exitCode === null) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`serve exited (${code}) before ready:\n${out}`)));
  });
}

/** dest.test and other.test: MX → 127.0.0.1, where the sink listens. */
export interface World { home: string; dns: DnsServer; sink: Sink; close(): Promise<void> }

export async function startWorld(settings: (w: { dns: DnsServer; sink: Sink }) => Record<string, unknown> = () => ({})): Promise<World> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-cli-'));
  const dns = await startDnsServer({
    'dest.test': { mx: [{ priority: 10, exchange: 'mx.dest.test' }] },
    'mx.dest.test': { a: ['127.0.0.1'] },
    'other.test': { mx: [{ priority: 10, exchange: 'mx.other.test' }] },
    'mx.other.test': { a: ['127.0.0.1'] },
  });
  const sink = await startSink();
  const extra = settings({ dns, sink });
  const config = {
    hostname: 'mta.test',
    listen: { address: '127.0.0.1', smtp: 0, submission: 0, smtps: false },
    console: { port: false },
    dns: { servers: [dns.server], timeout: '2s' },
    ...extra,
    delivery: { remotePort: sink.port, connectTimeout: '5s', minBackoff: '1s', maxBackoff: '2s', ...(extra.delivery as object) },
  };
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify(config, null, 2));
  return {
    home, dns, sink,
    async close() {
      await sink.close();
      await dns.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

/** Every regular file under dir (recursive), relative names. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}
