// `mailstop install [--root DIR]` / `mailstop uninstall [--root DIR]`: make
// Mailstop the machine's mail system, and put back what was there. Lays out
// DIR/var/lib/mailstop (the system instance's home: maildrop 1733, public/ for
// the local users' socket), the commands DIR/usr/sbin/sendmail, DIR/usr/bin/mailq
// and DIR/usr/bin/newaliases as small scripts that name the home and node
// themselves (so `env -i`, cron and PHP-FPM reach the system instance), and a
// systemd unit running `mailstop serve --home /var/lib/mailstop`. On the real
// root of a Debian-like system the commands go through update-alternatives and a
// package's own files are moved aside with dpkg-divert, so a package upgrade
// does not overwrite them. --root exists for tests and packagers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import { str } from './args.ts';
import { prepare, type Command } from './context.ts';
import { EX_NOINPUT, EX_NOPERM, EX_OK, EX_SOFTWARE, EX_USAGE, UsageError } from './exit-codes.ts';
import { MARKER, placeFile, readManifest, restoreFile, writeManifest, type Manifest, type Step } from './install-files.ts';
import { err, out, type CliIo } from './io.ts';

const SYSTEM_USER = 'mailstop';
/** What each installed command runs: Sendmail's own modes, so every Sendmail flag keeps working. */
const COMMANDS = [
  { path: 'usr/sbin/sendmail', args: 'sendmail' },
  { path: 'usr/bin/mailq', args: 'sendmail -bp' },
  { path: 'usr/bin/newaliases', args: 'sendmail -bi' },
] as const;
const UNIT = 'etc/systemd/system/mailstop.service';
const ALTERNATIVES_DIR = 'usr/lib/mailstop';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The bin script that is running now, so the installed commands run this same Mailstop. */
async function mailstopBin(): Promise<string> {
  const ran = process.argv[1];
  if (ran && path.basename(ran) === 'mailstop.js') return fs.realpath(ran);
  return path.join(PACKAGE_ROOT, 'bin', 'mailstop.js');
}

/**
 * An install made from the sources (MAILSTOP_FROM_SOURCE=1: tests, a development
 * checkout) keeps running them; one made from the build runs the build.
 */
const fromSource = (): string => (process.env.MAILSTOP_FROM_SOURCE === '1' ? 'MAILSTOP_FROM_SOURCE=1 ' : '');

function wrapper(bin: string, home: string, args: string, name: string): string {
  return `#!/bin/sh
# Mailstop's ${name} command for the system instance, ${MARKER}.
# \`mailstop uninstall\` puts back what was here. It names node and the data
# directory itself, so callers with an empty environment (cron, PHP-FPM, env -i)
# reach the system instance; the caller's NODE_OPTIONS cannot change what runs.
unset NODE_OPTIONS NODE_PATH
${fromSource()}exec ${q(process.execPath)} ${q(bin)} --home ${q(home)} ${args} "$@"
`;
}

function unit(bin: string, home: string, user: string | null): string {
  const dq = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  return `# Mailstop system instance, ${MARKER}.
[Unit]
Description=Mailstop mail server (system instance, ${home})
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${dq(process.execPath)} ${dq(bin)} serve --home ${dq(home)}
${user ? `User=${user}\nGroup=${user}\n` : ''}# Ports 25/465/587 without running as root.
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=on-failure
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
`;
}

/** Runs a system tool; returns null on success, else its first line of complaint. */
function run(argv: string[]): string | null {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.error) return `${argv[0]}: ${r.error.message}`;
  if (r.status === 0) return null;
  const first = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).find(Boolean);
  return `${argv.join(' ')}: ${first ?? `exit status ${r.status}`}`;
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/** The system user's uid/gid, created (useradd --system) if missing; null where we cannot. */
function systemUser(io: CliIo): { uid: number; gid: number } | null {
  const look = () => spawnSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' });
  let r = look();
  if (r.status !== 0 && has('useradd')) {
    const why = run(['useradd', '--system', '--user-group', '--home-dir', '/var/lib/mailstop', '--no-create-home', '--shell', '/usr/sbin/nologin', SYSTEM_USER]);
    if (why) err(io, `warning: ${why}; the system instance runs as root`);
    r = look();
  }
  if (r.status !== 0) return null;
  const gid = spawnSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' });
  return { uid: Number(r.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function makeHome(home: string, owner: { uid: number; gid: number } | null): Promise<void> {
  // The home must be searchable by everyone (to reach maildrop/ and public/); run/ and the spool stay private.
  const dirs: [string, number][] = [[home, 0o755], [path.join(home, 'run'), 0o700], [path.join(home, 'spool'), 0o700],
    [path.join(home, 'maildrop'), 0o1733], [path.join(home, 'public'), 0o755]];
  for (const [dir, mode] of dirs) {
    await fs.mkdir(dir, { recursive: true });
    await fs.chmod(dir, mode);
    if (owner) await fs.chown(dir, owner.uid, owner.gid);
  }
  const config = path.join(home, 'config.json');
  if (!(await exists(config))) {
    // authwarnings: a local user's -f for someone else is marked (X-Authentication-Warning).
    await fs.writeFile(config, JSON.stringify({ smtp: { privacy: ['novrfy', 'noexpn', 'authwarnings'] } }, null, 2) + '\n', { mode: 0o600 });
    if (owner) await fs.chown(config, owner.uid, owner.gid);
  }
}

export async function runInstall(root: string, io: CliIo): Promise<number> {
  const real = root === '/';
  if (real && process.getuid?.() !== 0) {
    err(io, 'permission denied: installing the system mail system needs root (or use --root DIR for a scratch layout)');
    return EX_NOPERM;
  }
  const home = path.join(root, 'var/lib/mailstop');
  const previous = await readManifest(home);
  if (previous) {
    err(io, `already installed under ${root} on ${previous.installedAt}; run mailstop uninstall${real ? '' : ` --root ${root}`} first`);
    return EX_USAGE;
  }
  const bin = await mailstopBin();
  const owner = real ? systemUser(io) : null;
  await makeHome(home, owner);
  const saved = path.join(home, 'displaced');
  const steps: Step[] = [];
  const manifest: Manifest = { version: 1, root, home, installedAt: new Date().toISOString(), steps };
  try {
    const alternatives = real && has('update-alternatives');
    for (const c of COMMANDS) {
      const target = path.join(root, c.path);
      if (!alternatives) {
        steps.push(await placeFile(target, wrapper(bin, home, c.args, path.basename(c.path)), 0o755, saved));
        out(io, `mailstop: ${target} → the system instance`);
        continue;
      }
      // A package's own file or link (Postfix's sendmail, exim's symlink) is diverted so its
      // upgrades land beside ours; update-alternatives only replaces its own links.
      const st = await fs.lstat(target).catch(() => null);
      const managed = st?.isSymbolicLink() && (await fs.readlink(target)).startsWith('/etc/alternatives/');
      if (st && !managed) {
        if (has('dpkg-divert')) {
          const why = run(['dpkg-divert', '--local', '--rename', '--divert', `${target}.before-mailstop`, '--add', target]);
          if (why) throw new Error(why);
          steps.push({ kind: 'divert', path: target });
        } else {
          steps.push(await placeFile(target, '', 0o644, saved)); // moves it aside; the empty file is replaced below
          await fs.rm(target, { force: true });
        }
      }
      steps.push(await placeFile(path.join(root, ALTERNATIVES_DIR, path.basename(c.path)), wrapper(bin, home, c.args, path.basename(c.path)), 0o755, saved));
    }
    if (alternatives) {
      const dir = path.join(root, ALTERNATIVES_DIR);
      const why = run(['update-alternatives', '--install', '/usr/sbin/sendmail', 'sendmail', `${dir}/sendmail`, '50',
        '--slave', '/usr/bin/mailq', 'mailq', `${dir}/mailq`, '--slave', '/usr/bin/newaliases', 'newaliases', `${dir}/newaliases`]);
      if (why) throw new Error(why);
      steps.push({ kind: 'alternatives', name: 'sendmail', path: `${dir}/sendmail` });
      // The admin asked for Mailstop: select it even if another alternative ranks higher.
      const set = run(['update-alternatives', '--set', 'sendmail', `${dir}/sendmail`]);
      if (set) throw new Error(set);
      const now = await fs.realpath('/usr/sbin/sendmail').catch(() => '');
      if (now !== `${dir}/sendmail`) throw new Error(`/usr/sbin/sendmail still leads to ${now || 'nothing'} (update-alternatives --config sendmail)`);
      out(io, 'mailstop: /usr/sbin/sendmail, /usr/bin/mailq, /usr/bin/newaliases → the system instance (update-alternatives)');
    }
    const unitPath = path.join(root, UNIT);
    steps.push(await placeFile(unitPath, unit(bin, home, owner ? SYSTEM_USER : null), 0o644, saved));
    out(io, `mailstop: ${unitPath} runs mailstop serve --home ${home}`);
  } catch (e) {
    // Leave nothing half-done: undo what was placed, then say why in one line.
    await writeManifest(home, manifest);
    await runUninstall(root, io, true);
    err(io, `install failed and was undone: ${(e as Error).message}`);
    return EX_SOFTWARE;
  }
  await writeManifest(home, manifest);
  if (real && has('systemctl')) {
    const why = run(['systemctl', 'daemon-reload']);
    if (why) err(io, `warning: ${why}`);
    out(io, 'mailstop: start it with: systemctl enable --now mailstop');
  } else {
    out(io, `mailstop: start it with: ${process.execPath} ${bin} serve --home ${home}`);
  }
  out(io, `mailstop: installed; the data directory is ${home}`);
  return EX_OK;
}

export async function runUninstall(root: string, io: CliIo, quiet = false): Promise<number> {
  const real = root === '/';
  if (real && process.getuid?.() !== 0) {
    err(io, 'permission denied: uninstalling the system mail system needs root');
    return EX_NOPERM;
  }
  const home = path.join(root, 'var/lib/mailstop');
  const manifest = await readManifest(home);
  if (!manifest) {
    err(io, `mailstop is not installed under ${root} (no ${path.join(home, 'install.json')})`);
    return EX_NOINPUT;
  }
  if (real && has('systemctl') && !quiet) run(['systemctl', 'disable', '--now', 'mailstop']); // not running: nothing to stop
  let left = 0;
  for (const step of [...manifest.steps].reverse()) {
    let why: string | null = null;
    if (step.kind === 'file') why = await restoreFile(step);
    else if (step.kind === 'alternatives') why = run(['update-alternatives', '--remove', step.name, step.path]);
    else why = run(['dpkg-divert', '--local', '--rename', '--remove', step.path]);
    if (why) { err(io, `warning: ${why}`); left++; }
    else if (!quiet && step.kind !== 'alternatives') {
      out(io, `mailstop: ${step.path} ${step.kind === 'file' && !step.saved ? 'removed (nothing was there before)' : 'put back as it was'}`);
    }
  }
  await fs.rm(path.join(home, 'install.json'), { force: true });
  // Empty once everything went back; anything still inside was named above and stays.
  await pruneEmpty(path.join(home, 'displaced'));
  if (!quiet) out(io, `mailstop: uninstalled; ${home} is kept (queue, mailboxes, settings): remove it once no mail is left in it`);
  return left ? EX_SOFTWARE : EX_OK;
}

/** Removes empty directories under and including `dir`, bottom up; never a file. */
async function pruneEmpty(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => null);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await pruneEmpty(path.join(dir, e.name));
  await fs.rmdir(dir).catch(() => undefined); // ENOTEMPTY: something was left, and said so
}

const rootOf = (s: string | undefined) => path.resolve(s ?? '/');

export const installCommand: Command = {
  name: 'install',
  summary: 'make Mailstop the machine\'s mail system (/usr/sbin/sendmail, mailq, newaliases, a systemd unit)',
  usage: `usage: mailstop install [--root DIR]
  As root: sets up the system instance in DIR/var/lib/mailstop, the commands DIR/usr/sbin/sendmail,
  DIR/usr/bin/mailq and DIR/usr/bin/newaliases, and DIR/${UNIT}.
  What was there before is kept and put back by mailstop uninstall. --root (default /) lays it
  out under another directory (tests, packagers); there any user may run it.`,
  async run(args, ctx) {
    const p = prepare(args, { root: { type: 'string' } }, this, ctx);
    if (!p) return EX_OK;
    if (p.positional.length) throw new UsageError(`unexpected argument: ${p.positional[0]}`, this.usage);
    return runInstall(rootOf(str(p.flags, 'root')), ctx.io);
  },
};

export const uninstallCommand: Command = {
  name: 'uninstall',
  summary: 'undo mailstop install: put back the sendmail, mailq and newaliases that were there',
  usage: `usage: mailstop uninstall [--root DIR]
  Removes what mailstop install placed (only files it still recognises) and puts back what was
  there. Keeps DIR/var/lib/mailstop: it may hold queued mail and mailboxes.`,
  async run(args, ctx) {
    const p = prepare(args, { root: { type: 'string' } }, this, ctx);
    if (!p) return EX_OK;
    if (p.positional.length) throw new UsageError(`unexpected argument: ${p.positional[0]}`, this.usage);
    return runUninstall(rootOf(str(p.flags, 'root')), ctx.io);
  },
};
