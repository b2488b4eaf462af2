// A small tmpfs is a real full disk (the fault tests). Mounting one needs root and a
// container that allows mount(8); where it cannot be done the tests say why and skip.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Why a tmpfs cannot be mounted here, or null when it can (probed once with a 64 KiB one). */
export function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs';
  const probe = mkdtempSync(path.join(os.tmpdir(), 'mailstop-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return null;
  } catch {
    return 'mount -t tmpfs is not permitted here';
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
