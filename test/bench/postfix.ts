// A throwaway Postfix instance for the bench's side-by-side references (issue 13):
// its own config directory, queue, data directory and maillog under a temp dir,
// started with `postfix -c DIR start` and always stopped (`postfix -c DIR stop`,
// then the temp dir removed) — the machine's /etc/postfix is never touched.
// chroot is off for every service, so nothing needs copying into the queue dir.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor, canConnect, type BenchContext } from './util.ts';

const exec = promisify(execFile);
export const POSTFIX = '/usr/sbin/postfix';
export const POSTQUEUE = '/usr/sbin/postqueue';

export interface PostfixInstance {
  /** SMTP port of its smtpd on 127.0.0.1. */
  port: number;
  configDir: string;
  queueDir: string;
  maillog: string;
  /** Messages in its queue directories (incoming, active, deferred), counted from the files. */
  queued(): Promise<number>;
  stop(): Promise<void>;
}

export async function postfixInstalled(): Promise<boolean> {
  return fsp.access(POSTFIX).then(() => process.getuid?.() === 0, () => false);
}

/** Postfix's services as master.cf lists them, every one without chroot. */
function masterCf(port: number): string {
  const rows = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup', 'cleanup unix n - n - 0 cleanup', 'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite', 'bounce unix - - n - 0 bounce', 'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce', 'verify unix - - n - 1 verify', 'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap', 'smtp unix - - n - - smtp', 'relay unix - - n - - smtp',
    'showq unix n - n - - showq', 'error unix - - n - - error', 'retry unix - - n - - error',
    'discard unix - - n - - discard', 'local unix - n n - - local', 'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache', 'postlog unix-dgram n - n - 1 postlogd',
  ];
  return rows.join('\n') + '\n';
}

/**
 * Starts Postfix relaying everything from 127.0.0.0/8 to `relayPort` on 127.0.0.1
 * (its relayhost), as the engine's smart host does. `extra` adds main.cf lines.
 */
export async function startPostfix(ctx: BenchContext, relayPort: number, extra: Record<string, string> = {}): Promise<PostfixInstance> {
  const root = await ctx.tmpdir('postfix');
  const configDir = path.join(root, 'etc');
  const queueDir = path.join(root, 'spool');
  const dataDir = path.join(root, 'data');
  const maillog = path.join(root, 'maillog');
  await Promise.all([configDir, queueDir, dataDir].map((d) => fsp.mkdir(d, { recursive: true })));
  // mkdtemp makes the root 0700; Postfix's daemons run as the postfix user and must pass through.
  await fsp.chmod(root, 0o755);
  await exec('chown', ['postfix', dataDir]);
  const port = await freePort();
  const main: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: queueDir,
    data_directory: dataDir,
    myhostname: 'postfix.bench.example',
    mydestination: '',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    relayhost: `[127.0.0.1]:${relayPort}`,
    maillog_file: maillog,
    maillog_file_prefixes: root,
    smtpd_recipient_restrictions: 'permit_mynetworks, reject',
    alias_maps: '', alias_database: '', local_recipient_maps: '',
    smtp_tls_security_level: 'none', smtpd_tls_security_level: 'none',
    ...extra,
  };
  await fsp.writeFile(path.join(configDir, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  await fsp.writeFile(path.join(configDir, 'master.cf'), masterCf(port));
  const stop = async () => {
    const pid = Number((await fsp.readFile(path.join(queueDir, 'pid', 'master.pid'), 'utf8').catch(() => '')).trim());
    await exec(POSTFIX, ['-c', configDir, 'stop']).catch(() => {});
    // `stop` returns once master is told; wait until master has exited (it leaves its
    // pid file behind, so the file says nothing).
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    if (pid > 1) await waitFor('postfix to stop', () => !alive(), 15_000).catch(() => {});
  };
  ctx.defer(stop);
  await exec(POSTFIX, ['-c', configDir, 'start']).catch(async (e: { stderr?: string; message: string }) => {
    // Without a terminal Postfix reports only to its log.
    const log = (await fsp.readFile(maillog, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`postfix -c ${configDir} start failed: ${log || (e.stderr || e.message).trim()}`);
  });
  await waitFor(`postfix smtpd on ${port}`, () => canConnect(port), 15_000);
  return {
    port, configDir, queueDir, maillog, stop,
    async queued() {
      let n = 0;
      for (const d of ['incoming', 'active', 'deferred', 'maildrop']) n += await countFiles(path.join(queueDir, d));
      return n;
    },
  };
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    n += e.isDirectory() ? await countFiles(path.join(dir, e.name)) : 1;
  }
  return n;
}
