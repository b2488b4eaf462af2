// Argument parsing for the long-form commands (mailq, flush, hold, ...), by hand:
// `--name value`, `--name=value`, short aliases (`-n 20`, `-n20`, `-v`), `--` ends
// flags. Unknown flags are a UsageError (exit 64). The sendmail flags follow
// getopt rules instead and live in sendmail-args.ts.
import { UsageError } from './exit-codes.ts';

export type FlagType = 'boolean' | 'string' | 'strings';
export interface FlagSpec { type: FlagType; alias?: string }
export type Flags = Record<string, boolean | string | string[] | undefined>;

export interface Parsed { flags: Flags; positional: string[]; help: boolean }

/** Every command accepts these. */
const COMMON: Record<string, FlagSpec> = {
  home: { type: 'string' },
  help: { type: 'boolean', alias: 'h' },
};

export function parseArgs(args: string[], spec: Record<string, FlagSpec>, usage: string): Parsed {
  const all = { ...COMMON, ...spec };
  const byAlias = new Map<string, string>();
  for (const [name, s] of Object.entries(all)) if (s.alias) byAlias.set(s.alias, name);
  const flags: Flags = {};
  const positional: string[] = [];

  const set = (name: string, value: string | boolean) => {
    const s = all[name];
    if (s.type === 'strings') flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  };

  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { positional.push(...args.slice(i + 1)); break; }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      if (!(name in all)) throw new UsageError(`unknown option: --${name}`, usage);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      name = byAlias.get(a[1]);
      if (!name) throw new UsageError(`unknown option: ${a.slice(0, 2)}`, usage);
      if (a.length > 2) inline = a.slice(2);
    } else {
      positional.push(a);
      continue;
    }
    const s = all[name];
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`, usage);
      set(name, true);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`, usage);
    set(name, value);
  }
  return { flags, positional, help: flags.help === true };
}

export const str = (f: Flags, name: string): string | undefined => f[name] as string | undefined;
export const strs = (f: Flags, name: string): string[] => (f[name] as string[] | undefined) ?? [];
export const bool = (f: Flags, name: string): boolean => f[name] === true;

/** A positive integer flag value, or the default. */
export function int(f: Flags, name: string, dflt: number, usage: string): number {
  const v = str(f, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} wants a whole number, got "${v}"`, usage);
  return Number(v);
}
