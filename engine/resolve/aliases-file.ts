// /etc/aliases text (aliases(5)) for `mailstop newaliases` and the Aliases page:
// parse into entries, and report every problem with its line number — bad
// syntax, bad targets (relative paths, empty programs), duplicates, loops.
// `parseAliasesFile` is pure; `checkAliasTargets` only reads (stat), never writes.
import { access, constants, stat } from 'node:fs/promises';
import { parseTarget, splitTargets } from './targets.ts';
import type { AliasProblem } from '../types/routing.ts';

export type { AliasProblem } from '../types/routing.ts';

export interface AliasEntry { name: string; targets: string[]; line: number }

export interface ParsedAliases {
  entries: AliasEntry[];
  /** Usable entries as the settings' `aliases` table (lower-case names). */
  aliases: Record<string, string[]>;
  problems: AliasProblem[];
}

const NAME_RE = /^[a-z0-9_][a-z0-9._+-]*$/i;

export function parseAliasesFile(text: string): ParsedAliases {
  const entries: AliasEntry[] = [];
  const problems: AliasProblem[] = [];
  const aliases: Record<string, string[]> = {};
  const firstLine = new Map<string, number>();
  let current: { name: string; line: number; parts: { text: string; line: number }[]; bad: boolean } | null = null;

  const finish = (): void => {
    if (!current) return;
    const { name, line, parts, bad } = current;
    current = null;
    const targets: string[] = [];
    let broken = bad;
    for (const part of parts) {
      for (const t of splitTargets(part.text)) {
        const parsed = parseTarget(t);
        if (parsed.kind === 'invalid') {
          problems.push({ line: part.line, severity: 'error', message: `${name}: ${parsed.reason}` });
          broken = true;
        } else targets.push(t);
      }
    }
    if (targets.length === 0 && !broken) {
      problems.push({ line, severity: 'error', message: `${name}: no targets` });
      broken = true;
    }
    if (broken) return;
    const seen = firstLine.get(name);
    if (seen !== undefined) {
      // Postfix postalias: the first entry wins and the duplicate is reported.
      problems.push({ line, severity: 'warning', message: `duplicate alias "${name}" (first on line ${seen}); this one is ignored` });
      return;
    }
    firstLine.set(name, line);
    entries.push({ name, targets, line });
    aliases[name] = targets;
  };

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    if (/^[ \t]/.test(raw)) {
      // aliases(5): a line starting with white space continues the previous entry.
      if (current) current.parts.push({ text: raw, line });
      else problems.push({ line, severity: 'error', message: 'continuation line with no alias before it' });
      return;
    }
    finish();
    const colon = raw.indexOf(':');
    if (colon === -1) {
      problems.push({ line, severity: 'error', message: `missing ":" after the alias name in "${raw.trim()}"` });
      return;
    }
    const name = raw.slice(0, colon).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    const okName = NAME_RE.test(name);
    if (!okName) problems.push({ line, severity: 'error', message: `bad alias name "${raw.slice(0, colon).trim()}"` });
    current = { name, line, parts: [{ text: raw.slice(colon + 1), line }], bad: !okName };
  });
  finish();

  for (const cycle of findAliasLoops(aliases)) {
    const line = firstLine.get(cycle[0]) ?? 0;
    problems.push({ line, severity: 'error', message: `alias loop: ${cycle.join(' → ')}` });
  }
  problems.sort((a, b) => a.line - b.line);
  return { entries, aliases, problems };
}

/**
 * Cycles of two or more aliases (a → b → a). An alias naming itself is not a
 * loop: Sendmail reads it as "deliver to my own mailbox" (resolve does too).
 * Only unqualified targets and targets at no domain are followed; a target with
 * a domain may or may not be local, which only the resolver knows.
 */
export function findAliasLoops(aliases: Record<string, string[]>): string[][] {
  const next = (name: string): string[] => (aliases[name] ?? [])
    .map((t) => parseTarget(t))
    .flatMap((t) => (t.kind === 'address' && !t.address.includes('@') ? [t.address.toLowerCase()] : []))
    .filter((n) => n !== name && n in aliases);
  const cycles: string[][] = [];
  const reported = new Set<string>();
  const walk = (name: string, path: string[]): void => {
    const at = path.indexOf(name);
    if (at !== -1) {
      const cycle = path.slice(at);
      const key = [...cycle].sort().join(',');
      if (!reported.has(key)) {
        reported.add(key);
        cycles.push([...cycle, name]);
      }
      return;
    }
    for (const n of next(name)) walk(n, [...path, name]);
  };
  for (const name of Object.keys(aliases).sort()) walk(name, []);
  return cycles;
}

/**
 * Checks what only the file system can answer: that `|program` exists and is
 * executable, and that `:include:` files exist. Problems carry the entry's line.
 */
export async function checkAliasTargets(entries: AliasEntry[]): Promise<AliasProblem[]> {
  const problems: AliasProblem[] = [];
  for (const e of entries) {
    for (const raw of e.targets) {
      const t = parseTarget(raw);
      if (t.kind === 'pipe') {
        const program = t.command.split(/\s+/)[0];
        // A bare command name is looked up in PATH by the shell at delivery; only absolute paths can be checked.
        if (!program.startsWith('/')) continue;
        try {
          await access(program, constants.X_OK);
        } catch (err) {
          problems.push({ line: e.line, severity: 'error', message: `${e.name}: program ${program} cannot be run (${(err as NodeJS.ErrnoException).code})` });
        }
      } else if (t.kind === 'include') {
        try {
          if (!(await stat(t.path)).isFile()) problems.push({ line: e.line, severity: 'error', message: `${e.name}: :include: ${t.path} is not a file` });
        } catch (err) {
          problems.push({ line: e.line, severity: 'error', message: `${e.name}: :include: file ${t.path} cannot be read (${(err as NodeJS.ErrnoException).code})` });
        }
      }
    }
  }
  return problems;
}

/** "line 3: error: bob: relative path ..." — how newaliases prints a problem. */
export function formatProblem(p: AliasProblem): string {
  return `line ${p.line}: ${p.severity}: ${p.message}`;
}

/** Writes a settings `aliases` table back out as /etc/aliases text (export, previews). */
export function formatAliasesFile(aliases: Record<string, string[]>): string {
  return Object.entries(aliases).map(([name, targets]) => `${name}: ${targets.join(', ')}\n`).join('');
}
