// The corrupt area, `<spool>/corrupt/`: damaged entries are moved here with a
// reason file and kept for a person to inspect (Postfix qmgr_active_corrupt(),
// DESIGN.md "No message is dropped silently").
//
// Owns: moving an entry's files aside and listing what was moved. Never deletes,
// never overwrites: a name already taken gets a numeric suffix.
//
// Layout: the entry's files under their own names (qfID, dfID, tfID) plus
// `ID.reason`, a JSON object { id, reason, movedAt, files }.
import { readdir, readFile, rename, stat, lstat, unlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CorruptEntry } from '../contracts.ts';
import type { QueueId } from '../contracts.ts';
import { DIR_MODE, errCode, FILE_MODE, isMissing, mapLimit, NO_SPACE, SCAN_CONCURRENCY } from './fs-util.ts';

const PREFIXES = ['qf', 'df', 'tf'] as const;
const REASON_SUFFIX = '.reason';

interface ReasonFile { id: string; reason: string; movedAt: number; files: string[] }

export interface CorruptArea {
  readonly dir: string;
  move(id: QueueId, reason: string, now?: number): Promise<CorruptEntry>;
  list(): Promise<CorruptEntry[]>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** `name`, or `name.1`, `name.2`, … — the first that is free. */
async function freeName(dir: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? name : `${name}.${n}`;
    if (!(await exists(join(dir, candidate)))) return candidate;
  }
}

export function createCorruptArea(spoolDir: string): CorruptArea {
  const dir = join(spoolDir, 'corrupt');

  async function move(id: QueueId, reason: string, now: number = Date.now()): Promise<CorruptEntry> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const files: string[] = [];
    let size = 0;
    // qf first: once it is gone from the spool the entry is out of the live queue.
    for (const prefix of PREFIXES) {
      const name = prefix + id;
      const from = join(spoolDir, name);
      let bytes: number;
      try {
        bytes = (await stat(from)).size;
      } catch (err) {
        if (isMissing(err)) continue;
        throw err;
      }
      const target = await freeName(dir, name);
      await rename(from, join(dir, target));
      files.push(target);
      size += bytes;
    }
    if (files.length === 0) {
      throw Object.assign(new Error(`queue entry ${id} has no files to move to the corrupt area`), { code: 'ENOENT' });
    }
    const record: ReasonFile = { id, reason, movedAt: now, files };
    const reasonName = await freeName(dir, id + REASON_SUFFIX);
    try {
      await writeFile(join(dir, reasonName), JSON.stringify(record, null, 2) + '\n', { mode: FILE_MODE });
    } catch (err) {
      // A full disk must not stop recovery (the engine has to start to free it):
      // the files are aside already and list() shows them without a recorded reason.
      if (!NO_SPACE.has(errCode(err) ?? '')) throw err;
      await unlink(join(dir, reasonName)).catch(() => undefined);
    }
    return { name: id, size, movedAt: now, reason };
  }

  async function list(): Promise<CorruptEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const reasonNames = names.filter((n) => n.includes(REASON_SUFFIX));
    const records = await mapLimit(reasonNames, SCAN_CONCURRENCY, async (n) => {
      try {
        return JSON.parse(await readFile(join(dir, n), 'utf8')) as ReasonFile;
      } catch (err) {
        if (err instanceof SyntaxError) return null; // a hand-edited reason file; its files still show below
        throw err;
      }
    });
    const out: CorruptEntry[] = [];
    const explained = new Set<string>();
    for (const r of records) {
      if (!r || typeof r.id !== 'string' || !Array.isArray(r.files)) continue;
      const sizes = await mapLimit(r.files, SCAN_CONCURRENCY, (f) => sizeOf(join(dir, f)));
      r.files.forEach((f) => explained.add(f));
      out.push({ name: r.id, size: sizes.reduce((a, b) => a + b, 0), movedAt: r.movedAt, reason: r.reason });
    }
    // Files without a reason (a crash between rename and reason file) are still listed.
    const orphans = new Map<string, string[]>();
    for (const n of names) {
      if (explained.has(n) || n.includes(REASON_SUFFIX)) continue;
      const id = PREFIXES.some((p) => n.startsWith(p)) ? n.slice(2).split('.')[0] : n;
      orphans.set(id, [...(orphans.get(id) ?? []), n]);
    }
    for (const [id, files] of orphans) {
      const stats = await mapLimit(files, SCAN_CONCURRENCY, (f) => stat(join(dir, f)));
      out.push({
        name: id,
        size: stats.reduce((a, s) => a + s.size, 0),
        movedAt: Math.max(...stats.map((s) => s.mtimeMs)),
        reason: 'moved to the corrupt area without a recorded reason',
      });
    }
    return out.sort((a, b) => a.movedAt - b.movedAt || a.name.localeCompare(b.name));
  }

  return { dir, move, list };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
}
