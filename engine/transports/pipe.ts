// Program delivery: `|command` aliases/forwards and the `pipe` local agent
// (`/usr/bin/procmail -d $u`). The message goes to /bin/sh -c on stdin; the exit
// status maps through sysexits(3) to sent / deferred / bounced, with the program's
// own words in the reason. Never decides anything from output, only from status.
import { spawn } from 'node:child_process';
import type { DeliveryReport, DeliveryResult, Destination, OutboundMessage } from '../contracts.ts';
import { localCopy, readMessage, type LocalContext } from './local-context.ts';

/** Postfix's command_time_limit: a program may run this long before it is killed. */
export const DEFAULT_PIPE_TIMEOUT_MS = 1000 * 1000;
/** Keep this much of the program's output for the DSN; the rest is noise. */
const OUTPUT_LIMIT = 2000;

/** sysexits.h codes → RFC 3463 status, as Postfix maps them (sys_exits.c). */
const SYSEXITS: Record<number, [string, string]> = {
  64: ['5.3.0', 'command line usage error'],
  65: ['5.6.0', 'data format error'],
  66: ['5.3.0', 'cannot open input'],
  67: ['5.1.1', 'user unknown'],
  68: ['5.1.2', 'host name unknown'],
  69: ['5.3.0', 'service unavailable'],
  70: ['5.3.0', 'internal software error'],
  71: ['4.3.0', 'system resource problem'],
  72: ['5.3.0', 'critical OS file missing'],
  73: ['5.2.0', "can't create user output file"],
  74: ['5.3.0', 'input/output error'],
  75: ['4.3.0', 'temporary failure'],
  76: ['5.5.0', 'remote error in protocol'],
  77: ['5.7.0', 'permission denied'],
  78: ['5.3.5', 'local configuration error'],
  // Not sysexits but the shell's own: the program is missing or not executable.
  126: ['5.3.0', 'program not executable'],
  127: ['5.3.0', 'program not found'],
};

export interface ProgramRun {
  code: number | null;
  signal: string | null;
  output: string;
  timedOut: boolean;
  spawnError?: string;
}

export async function runProgram(command: string, input: Buffer, opts: { env: Record<string, string>; timeoutMs: number }): Promise<ProgramRun> {
  return new Promise((resolve) => {
    // detached: the program gets its own process group so a timeout kills the
    // whole pipeline (sh and its children), not just the shell.
    const child = spawn('/bin/sh', ['-c', command], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const keep = (chunk: Buffer): void => { if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8'); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // A program may exit without reading all of stdin (EPIPE); its exit status decides.
    child.stdin.on('error', () => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, output, timedOut, spawnError: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: output.slice(0, OUTPUT_LIMIT), timedOut });
    });
    child.stdin.end(input);
  });
}

/** The delivery outcome of one program run, for `address`. */
export function programResult(address: string, command: string, run: ProgramRun): DeliveryResult {
  const said = run.output.trim().split('\n').filter(Boolean).slice(0, 3).join(' / ');
  const tail = said ? `: ${said}` : '';
  if (run.spawnError) return { address, status: 'deferred', dsnStatus: '4.3.0', reply: `451 4.3.0 cannot run ${command}: ${run.spawnError}` };
  if (run.timedOut) return { address, status: 'deferred', dsnStatus: '4.3.0', reply: `451 4.3.0 ${command}: timed out, killed${tail}` };
  if (run.code === 0) return { address, status: 'sent', dsnStatus: '2.0.0', reply: `250 2.0.0 delivered to command: ${command}` };
  if (run.code === null) return { address, status: 'deferred', dsnStatus: '4.3.0', reply: `451 4.3.0 ${command}: died on signal ${run.signal ?? '?'}${tail}` };
  const [dsn, what] = SYSEXITS[run.code] ?? ['5.3.0', 'unknown mail system error'];
  if (dsn.startsWith('4')) return { address, status: 'deferred', dsnStatus: dsn, reply: `451 ${dsn} ${command}: ${what} (exit ${run.code})${tail}` };
  return { address, status: 'bounced', dsnStatus: dsn, reply: `550 ${dsn} ${command}: ${what} (exit ${run.code})${tail}` };
}

/** The environment a delivery program sees (Postfix local(8)/pipe(8) names). */
export function programEnv(message: OutboundMessage, d: Destination, user?: string): Record<string, string> {
  const at = d.original.lastIndexOf('@');
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    SHELL: '/bin/sh',
    SENDER: message.sender,
    RECIPIENT: d.address,
    ORIGINAL_RECIPIENT: d.original,
    LOCAL: at === -1 ? d.original : d.original.slice(0, at),
    DOMAIN: at === -1 ? '' : d.original.slice(at + 1),
  };
  if (user) {
    env.USER = user;
    env.LOGNAME = user;
  }
  return env;
}

/** Runs the `pipe` destinations (`|command` from aliases and forwards). */
export async function deliverPipe(message: OutboundMessage, recipients: Destination[], ctx: LocalContext): Promise<DeliveryReport> {
  const raw = await readMessage(message);
  const results: DeliveryResult[] = [];
  const transcript: string[] = [];
  for (const d of recipients) {
    const input = localCopy(raw, message.sender, d.original);
    const run = await runProgram(d.nexthop, input, { env: programEnv(message, d), timeoutMs: ctx.pipeTimeoutMs ?? DEFAULT_PIPE_TIMEOUT_MS });
    const r = programResult(d.address, d.nexthop, run);
    transcript.push(`${d.address}: ${r.reply}`);
    results.push(r);
  }
  return { results, transcript };
}
