// The harness side of host.ts: fork a bench child and call its commands.
// Owns: the child's life (it is killed when the measure ends). Never: measuring.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO, stopChild, type BenchContext } from './util.ts';

export interface Host {
  pid: number;
  call<T = unknown>(cmd: string, ...args: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export async function startHost(ctx: BenchContext, name: string): Promise<Host> {
  const child: ChildProcess = fork(path.join(REPO, 'bin/run-ts.js'), [path.join(REPO, 'test/bench/host.ts')], {
    cwd: REPO,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The engine runs as it would under `mailstop serve` (default heap), plus --expose-gc so
    // memory.ts can also show what is live after a collection; gc() is never called otherwise.
    execArgv: ['--expose-gc'],
  });
  ctx.defer(() => stopChild(child));
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready!: () => void;
  let failed!: (e: Error) => void;
  const readyP = new Promise<void>((res, rej) => { ready = res; failed = rej; });

  child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    if (m.id === 0) { ready(); return; }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`${name}: ${m.error}`));
  });
  child.once('exit', (code, signal) => {
    const err = new Error(`${name} host exited (${signal ?? code})`);
    failed(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  await readyP;

  return {
    pid: child.pid!,
    call<T>(cmd: string, ...args: unknown[]): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, args });
      });
    },
    stop: () => stopChild(child),
  };
}
