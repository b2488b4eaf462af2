// Reads a configuration directory (or named files) into SourceFiles for the
// importers: text, or "binary" (a NUL byte in the first 8 KiB, as a .db has),
// or the error that made it unreadable — a path that does not exist becomes a
// refused line in the plan rather than an exception. Only reads.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourceFile } from './plan.ts';

/** How far to look for a NUL byte: makemap's hash/btree files have one in their first page. */
const SNIFF_BYTES = 8192;
/** Config files are small; a larger file is not one (a mailbox, a log) and is not read whole. */
const MAX_BYTES = 16 * 1024 * 1024;

export async function readSourceFile(file: string, name = file): Promise<SourceFile> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return { name, error: `${file} is not a file` };
    if (st.size > MAX_BYTES) return { name, error: `${file} is larger than ${MAX_BYTES} bytes: not a configuration file` };
    const buf = await readFile(file);
    if (buf.subarray(0, SNIFF_BYTES).includes(0)) return { name, binary: true };
    return { name, text: buf.toString('utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { name, error: code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? String(err)})` };
  }
}

/** Every file directly in `dir` (and in its forward/ folder, the export's ~/.forward copies). */
export async function readSourceDir(dir: string): Promise<SourceFile[]> {
  let names: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) return [{ name: dir, error: `${dir} is not a directory` }];
    names = (await readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return [{ name: dir, error: code === 'ENOENT' ? `${dir} does not exist` : `cannot read ${dir} (${code})` }];
  }
  const out: SourceFile[] = [];
  for (const n of names) {
    const full = path.join(dir, n);
    const st = await stat(full).catch(() => null);
    if (st?.isDirectory()) {
      if (n === 'forward') for (const u of (await readdir(full)).sort()) out.push(await readSourceFile(path.join(full, u), `forward/${u}`));
      continue;
    }
    out.push(await readSourceFile(full, n));
  }
  return out;
}

/**
 * Users' own ~/.forward files (opt-in: `--home-forwards`), named "~user/.forward".
 * Only accounts with a login-able uid (>= 1000) and an existing file are read.
 */
export async function readHomeForwards(passwdFile = '/etc/passwd'): Promise<SourceFile[]> {
  let text: string;
  try {
    text = await readFile(passwdFile, 'utf8');
  } catch (err) {
    return [{ name: passwdFile, error: `cannot read ${passwdFile} (${(err as NodeJS.ErrnoException).code})` }];
  }
  const out: SourceFile[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    // 1000: where Debian's adduser starts ordinary accounts; system accounts have no .forward to move.
    if (f.length < 7 || Number(f[2]) < 1000 || Number(f[2]) === 65534) continue;
    const file = path.join(f[5], '.forward');
    const st = await stat(file).catch(() => null);
    if (st?.isFile()) out.push(await readSourceFile(file, `~${f[0]}/.forward`));
  }
  return out;
}
