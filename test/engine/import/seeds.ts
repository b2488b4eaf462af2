// The seeds' Sendmail configurations as test input: the TrinityOS sendmail.mc and
// the tips pages' snippets, found by content in ../shared/seeds (where CI puts
// the project's shared folder). The web pages' rendering damage is undone only
// where it is unambiguous (HTML entities, the " ?" line-wrap marker); lines the
// page garbled beyond that are kept apart, as input the importer must refuse.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SEEDS = path.resolve(REPO, '../shared/seeds');
export const haveSeeds = existsSync(SEEDS);

function seedContaining(marker: string): string {
  for (const f of readdirSync(SEEDS)) {
    const text = readFileSync(path.join(SEEDS, f), 'utf8');
    if (text.includes(marker)) return text;
  }
  throw new Error(`no seed in ${SEEDS} contains ${JSON.stringify(marker)}`);
}

/** TrinityOS's 8.11 sendmail.mc, as printed between its "--" lines. */
export function trinityMc(): string {
  const text = seedContaining('#TrinityOS.mc 8.11.x');
  const start = text.indexOf('#TrinityOS.mc 8.11.x');
  return text.slice(start, text.indexOf('\n--', start)) + '\n';
}

const decode = (s: string): string => s.replace(/&#039;/g, "'").replace(/&quot;/g, '"').replace(/ \?\n/g, '\n');

/** The "Sendmail tips" pages' .mc snippets, joined into one .mc (intact lines only). */
export function tipsMc(): string {
  const tips = seedContaining('Disable ident');
  const lines = tips.split('\n').filter((l) => /^(define|FEATURE|MAILER|dnl|`)/.test(l));
  const security = seedContaining('Sendmail tips...').split('\n')
    .filter((l) => /^\s*(define|FEATURE|dnl|GENERICS_DOMAIN)/.test(l))
    // Garbled beyond repair on the page (a stray ; or a lost quote): see damagedMc().
    .filter((l) => !/';,|\.db9;|\uFFFD/.test(l));
  return decode([...lines, ...security].join('\n')) + '\n';
}

/** The tips page's lines that its rendering garbled: each must be refused, not guessed at. */
export function damagedMc(): string[] {
  return seedContaining('Sendmail tips...').split('\n').filter((l) => /';,|\.db9;|\uFFFD/.test(l)).map((l) => decode(l).trim());
}

/** The tips page's mailertable recipe: the FEATURE line it tells you to add to sendmail.mc. */
export function mailertableRecipe(): string {
  const m = /"(FEATURE\(`mailertable'[^"]*)"/.exec(seedContaining('Setup Sendmail with mailertable'));
  if (!m) throw new Error('the mailertable recipe is not in the seeds');
  return m[1];
}
