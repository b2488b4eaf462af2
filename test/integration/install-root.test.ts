// `mailstop install` on the real root of a Debian-like system — dpkg-divert for
// the package's own sendmail, update-alternatives for the commands, a `mailstop`
// system user — and `uninstall` putting it all back. Run inside a private mount
// namespace whose /etc, /usr and /var/lib are overlays on a scratch directory,
// so the machine itself is never touched. Needs root, unshare and overlayfs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../engine/cli/subprocess.ts';

const tools = ['/usr/bin/unshare', '/usr/bin/update-alternatives', '/usr/bin/dpkg-divert', '/usr/sbin/useradd'];
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && tools.every((t) => existsSync(t)) &&
  /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8')) &&
  overlayWorks();

/** Whether this container lets us mount an overlay over /usr/lib in a private namespace (CI may not). */
function overlayWorks(): boolean {
  const d = path.join(os.tmpdir(), `mailstop-probe-${process.pid}`);
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mkdir -p ${d}/u ${d}/w && mount -t overlay overlay -o lowerdir=/usr/lib,upperdir=${d}/u,workdir=${d}/w /usr/lib`]);
  spawnSync('rm', ['-rf', d]);
  return r.status === 0;
}

let scratch = '';
afterAll(async () => { if (scratch) await fs.rm(scratch, { recursive: true, force: true }); });

describe.runIf(canRun)('mailstop install on / (inside a private mount namespace)', () => {
  it('diverts the package\'s sendmail, selects ours through update-alternatives, and uninstall restores it', async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-nsroot-'));
    const before = existsSync('/usr/sbin/sendmail') ? (await fs.readFile('/usr/sbin/sendmail')).length : -1;
    const script = `set -e
for d in /etc /usr/sbin /usr/bin /usr/lib /var/lib; do
  n=${'$'}(echo ${'$'}d | tr / _); mkdir -p '${scratch}'/${'$'}n/up '${scratch}'/${'$'}n/work
  mount -t overlay overlay -o lowerdir=${'$'}d,upperdir='${scratch}'/${'$'}n/up,workdir='${scratch}'/${'$'}n/work ${'$'}d
done
'${process.execPath}' '${BIN}' install >/dev/null 2>&1
echo "sendmail=$(readlink -f /usr/sbin/sendmail)"
echo "mailq=$(readlink -f /usr/bin/mailq)"
echo "diversions=$(dpkg-divert --list | grep -c before-mailstop || true)"
echo "owner=$(stat -c %U /var/lib/mailstop/maildrop) $(stat -c %a /var/lib/mailstop/maildrop)"
echo "unit=$(grep -c '^User=mailstop$' /etc/systemd/system/mailstop.service)"
'${process.execPath}' '${BIN}' uninstall >/dev/null 2>&1
echo "restored=$(readlink -f /usr/sbin/sendmail) $(stat -c %s /usr/sbin/sendmail 2>/dev/null || echo -1)"
echo "diversions-after=$(dpkg-divert --list | grep -c before-mailstop || true)"
echo "alternatives-after=$(update-alternatives --query sendmail >/dev/null 2>&1 && echo yes || echo no)"
`;
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(got.sendmail).toBe('/usr/lib/mailstop/sendmail');
    expect(got.mailq).toBe('/usr/lib/mailstop/mailq');
    // Whatever real files were there are diverted (Postfix's sendmail, mailq, newaliases here).
    const packaged = ['/usr/sbin/sendmail', '/usr/bin/mailq', '/usr/bin/newaliases'].filter((p) => existsSync(p)).length;
    expect(Number(got.diversions)).toBe(packaged);
    expect(got.owner).toBe('mailstop 1733');
    expect(got.unit).toBe('1');
    expect(got.restored).toBe(`/usr/sbin/sendmail ${before}`);
    expect(got['diversions-after']).toBe('0');
    expect(got['alternatives-after']).toBe('no');
  }, 150_000);
});
