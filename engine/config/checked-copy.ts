// The settings for one-shot commands (`sendmail` from cron or PHP, once per
// message) without validating config.json each time: loading the validator
// (zod, node-cron) and checking the TLS files costs more than the rest of such a
// run. The first run that validates writes the result beside config.json, as
// config-checked.json (0600: it holds config.json's secrets too), keyed by the identity
// (inode, size, mtime, ctime) of every file the validation read and of the
// modules that did it; a later run whose files all still match uses that copy, any
// change (an edit, a new certificate, an upgrade of Mailstop) validates afresh.
// As Sendmail once froze its .cf. Only the home's owner writes the copy, and only
// a copy the owner wrote (a plain file, no symlink) is read. Not in run/: that holds
// what lives as long as the engine does (pid, socket), and is empty when it stops.
//
// Owns: that copy. Never: what a setting means or whether it is valid (load.ts).
import { lstatSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from './schema.ts';

const COPY = 'config-checked.json';
const COPY_VERSION = 1;

interface CheckedCopy { version: number; sources: [string, string | null][]; settings: Settings }

/** A file's identity, or null when it does not exist; a change of content changes it. */
function identity(file: string): string | null {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return null;
  }
}

/** The modules that decide the settings (schema defaults, the checks), as built or as sources. */
function validatorFiles(): string[] {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here);
  // Every rule they import (names, modes, security-checks, access-map…) lives beside them.
  return ['schema', 'load', 'tls-files', 'names', 'modes', 'security-checks', 'access-map', 'password-hash', 'admin-view']
    .map((m) => path.join(path.dirname(here), m + ext));
}

const configFile = (home: string) => path.join(home, 'config.json');

/** The TLS files the settings name: validation reads and judges them too. */
function tlsFiles(home: string, settings: Settings): string[] {
  const t = settings.tls;
  const named = t ? [t.cert, t.key, t.ca, t.dhParams].filter((f): f is string => typeof f === 'string' && f !== '') : [];
  return named.map((f) => (path.isAbsolute(f) ? f : path.join(home, f)));
}

/** Every file a validation of this home reads, in the order the copy lists them. */
const sourcesOf = (home: string, settings: Settings) => [configFile(home), ...tlsFiles(home, settings), ...validatorFiles()];

const withIdentity = (files: string[]) => files.map((f): [string, string | null] => [f, identity(f)]);

/**
 * Is `p` a plain file (no symlink) owned by whoever owns the home? A home others
 * may write to (a shared one) must not let them plant a copy.
 */
function ownedLikeHome(home: string, p: string): boolean {
  try {
    const st = lstatSync(p);
    return st.isFile() && st.uid === statSync(home).uid;
  } catch {
    return false;
  }
}

function readCopy(home: string): Settings | null {
  const file = path.join(home, COPY);
  if (!ownedLikeHome(home, file)) return null;
  let copy: CheckedCopy;
  try {
    copy = JSON.parse(readFileSync(file, 'utf8')) as CheckedCopy;
  } catch {
    return null;
  }
  if (copy?.version !== COPY_VERSION || !Array.isArray(copy.sources) || typeof copy.settings !== 'object' || copy.settings === null) return null;
  // The copy must name the same files this version would read, each unchanged.
  const want = sourcesOf(home, copy.settings);
  if (want.length !== copy.sources.length) return null;
  for (const [i, file] of want.entries()) {
    const [had, id] = copy.sources[i];
    if (had !== file || identity(file) !== id) return null;
  }
  return copy.settings;
}

function writeCopy(home: string, settings: Settings, sources: [string, string | null][]): void {
  const uid = process.getuid?.();
  try {
    if (uid === undefined || statSync(home).uid !== uid) return;
    const tmp = path.join(home, `config-checked.${process.pid}.tmp`);
    // A cache: no fsync. A torn or stale copy fails its identity check and is rewritten.
    writeFileSync(tmp, JSON.stringify({ version: COPY_VERSION, sources, settings } satisfies CheckedCopy), { mode: 0o600 });
    renameSync(tmp, path.join(home, COPY));
  } catch {
    // Read-only home, full disk: the next run validates again, nothing else is lost.
  }
}

/**
 * `loadSettings(home)`, from the checked copy when nothing it depends on changed.
 * Throws what loadSettings throws (ConfigError for a broken config.json); a broken
 * configuration is never copied.
 */
export async function loadCheckedSettings(home: string): Promise<Settings> {
  const copied = readCopy(home);
  if (copied) return copied;
  // Taken before reading: a change made while we validate shows up next time. (The TLS
  // files are named by what we read, so theirs follow it.)
  const config = withIdentity([configFile(home)]);
  const validator = withIdentity(validatorFiles());
  const { loadSettings } = await import('./load.ts');
  const settings = await loadSettings(home);
  writeCopy(home, settings, [...config, ...withIdentity(tlsFiles(home, settings)), ...validator]);
  return settings;
}
