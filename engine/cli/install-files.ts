// The file work behind `mailstop install` / `uninstall`: put a file where
// another may be, keeping what was there so uninstall can put it back, and the
// manifest (<data>/install.json) that records every such step. Displaced files
// are renamed, not copied, so mode, owner and symlinks come back unchanged.
// Knows nothing about mail.
import fs from 'node:fs/promises';
import path from 'node:path';

/** Marks the files install writes, so uninstall never removes one an admin replaced since. */
export const MARKER = 'installed by `mailstop install`';

export type Step =
  /** A file we wrote at `path`; what was there before (if anything) now lives at `saved`. */
  | { kind: 'file'; path: string; saved: string | null }
  /** dpkg-divert moved a package's file aside (Debian), to be put back with --remove. */
  | { kind: 'divert'; path: string }
  /** An update-alternatives link group we registered. */
  | { kind: 'alternatives'; name: string; path: string };

export interface Manifest { version: 1; root: string; home: string; installedAt: string; steps: Step[] }

export const manifestPath = (home: string) => path.join(home, 'install.json');

export async function readManifest(home: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await fs.readFile(manifestPath(home), 'utf8')) as Manifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function writeManifest(home: string, m: Manifest): Promise<void> {
  const tmp = `${manifestPath(home)}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(m, null, 2) + '\n', { mode: 0o644 });
  await fs.rename(tmp, manifestPath(home));
}

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/**
 * Writes `content` at `target`, first moving whatever is there (file, symlink)
 * to `<savedRoot>/<target path>`. Returns the step to record.
 */
export async function placeFile(target: string, content: string, mode: number, savedRoot: string): Promise<Step> {
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  let saved: string | null = null;
  if (await exists(target)) {
    saved = path.join(savedRoot, target);
    await fs.mkdir(path.dirname(saved), { recursive: true, mode: 0o700 });
    await fs.rename(target, saved);
  }
  const tmp = `${target}.mailstop-new`;
  await fs.writeFile(tmp, content, { mode });
  await fs.chmod(tmp, mode); // umask must not take the execute bits away
  await fs.rename(tmp, target);
  return { kind: 'file', path: target, saved };
}

/**
 * Undoes placeFile: removes our file (only if it still carries the marker) and
 * renames the saved one back. Returns a line for the admin when something was left.
 */
export async function restoreFile(step: Extract<Step, { kind: 'file' }>): Promise<string | null> {
  let ours = false;
  try {
    ours = (await fs.readFile(step.path, 'utf8')).includes(MARKER);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (ours) await fs.rm(step.path, { force: true });
  else if (await exists(step.path)) {
    return `${step.path} was replaced since the install; left as it is${step.saved ? ` (the original is in ${step.saved})` : ''}`;
  }
  if (step.saved) {
    if (!(await exists(step.saved))) return `${step.saved} is gone; cannot put back ${step.path}`;
    await fs.rename(step.saved, step.path);
  }
  return null;
}
