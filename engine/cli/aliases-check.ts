// What `newaliases` (sendmail -bi) checks, with the resolver's own rules
// (engine/resolve/aliases-file.ts, so both refuse the same things):
//  - `<home>/aliases`, when present, is an aliases(5) text file: every problem is
//    reported with its line number, and a file without errors becomes the alias
//    table (Sendmail's "edit /etc/aliases, run newaliases");
//  - otherwise the `aliases` table of the settings is checked in place.
// Reports only; writing the table is the caller's (through EngineApi or load.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../config/schema.ts';
import { checkAliasTargets, findAliasLoops, parseAliasesFile, type AliasEntry } from '../resolve/aliases-file.ts';
import { parseTarget } from '../resolve/targets.ts';

export interface AliasReport {
  /** What was read: "<home>/aliases" or "config.json aliases". */
  source: string;
  count: number;
  /** Longest right-hand side in bytes, and all entries together: Sendmail's newaliases summary. */
  longest: number;
  total: number;
  /** One line each, ready to print. */
  problems: string[];
  /** Problems that make the table unusable as written (warnings do not). */
  errors: number;
  /** From the text file, when it had no errors: the table to install. */
  table?: Record<string, string[]>;
}

export const aliasesFilePath = (home: string) => path.join(home, 'aliases');

function sizes(aliases: Record<string, string[]>): { longest: number; total: number } {
  let longest = 0;
  let total = 0;
  for (const [name, targets] of Object.entries(aliases)) {
    const rhs = Buffer.byteLength(targets.join(', '));
    longest = Math.max(longest, rhs);
    total += Buffer.byteLength(name) + rhs;
  }
  return { longest, total };
}

export async function validateAliases(settings: Settings, home: string): Promise<AliasReport> {
  const file = aliasesFilePath(home);
  let text: string | null = null;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }

  if (text !== null) {
    const parsed = parseAliasesFile(text);
    const problems = [...parsed.problems, ...(await checkAliasTargets(parsed.entries))].sort((a, b) => a.line - b.line);
    const errors = problems.filter((p) => p.severity === 'error').length;
    return {
      source: file, count: parsed.entries.length, ...sizes(parsed.aliases), errors,
      problems: problems.map((p) => `${file}:${p.line}: ${p.severity}: ${p.message}`),
      ...(errors ? {} : { table: parsed.aliases }),
    };
  }

  // The settings' table: the same target rules and loop check, named by alias.
  const problems: string[] = [];
  const entries: AliasEntry[] = [];
  for (const [name, targets] of Object.entries(settings.aliases)) {
    if (!targets.length) problems.push(`aliases.${name}: no targets`);
    for (const t of targets) {
      const parsed = parseTarget(t);
      if (parsed.kind === 'invalid') problems.push(`aliases.${name}: ${parsed.reason}`);
    }
    entries.push({ name, targets, line: 0 });
  }
  for (const p of await checkAliasTargets(entries)) problems.push(`aliases.${p.message}`);
  for (const cycle of findAliasLoops(settings.aliases)) problems.push(`aliases.${cycle[0]}: alias loop: ${cycle.join(' → ')}`);
  return { source: 'config.json aliases', count: entries.length, ...sizes(settings.aliases), errors: problems.length, problems };
}
