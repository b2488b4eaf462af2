// config.json as the CLI sees it when the engine is not running: read the raw
// file, report every problem one line each (`path: why`), read and write one
// setting by dotted path. Validation, the one-line start-up error and the
// atomic write are engine/config/load.ts's; this module adds only the
// CLI's reading of the raw file, so `mailstop config check` names everything at once.
import fs from 'node:fs/promises';
import { ConfigError, validateSettings, withoutBom } from '../config/load.ts';
import { configPath } from './paths.ts';

export { ConfigError };

export interface RawConfig { exists: boolean; raw: Record<string, unknown> }

/** Reads `<home>/config.json`; a missing file is an empty config (all defaults). */
export async function readRawConfig(home: string): Promise<RawConfig> {
  const file = configPath(home);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, raw: {} };
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(withoutBom(text));
  } catch (e) {
    throw new ConfigError(`config.json: not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(raw)) throw new ConfigError('config.json: (top level): expected an object of settings');
  return { exists: true, raw };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every problem in a raw config, one `path: why` line each; empty when it is fine. */
export function checkConfig(raw: Record<string, unknown>, home?: string): string[] {
  // The schema is strict, so a misspelt key comes back as "path: unknown setting".
  const v = validateSettings(raw, home === undefined ? {} : { home });
  return v.ok ? [] : v.errors.map((e) => `${e.path}: ${e.message}`);
}


/** "routes[0].host" and "routes.0.host" both name the same setting. */
function splitPath(p: string): string[] {
  const parts = p.replace(/\[(\d+)\]/g, '.$1').split('.').filter((s) => s.length > 0);
  if (!parts.length) throw new ConfigError('empty setting path');
  return parts;
}

export function getPath(obj: unknown, p: string): unknown {
  let cur: unknown = obj;
  for (const part of splitPath(p)) {
    if (isPlainObject(cur) || Array.isArray(cur)) cur = (cur as Record<string, unknown>)[part];
    else return undefined;
  }
  return cur;
}

/** A copy of `obj` with the dotted path set to `value`, creating objects on the way. */
export function setPath<T extends Record<string, unknown>>(obj: T, p: string, value: unknown): T {
  const parts = splitPath(p);
  const root = structuredClone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> = root;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (!isPlainObject(next) && !Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
  return root as T;
}

/** A command-line value: JSON when it parses (numbers, true, false, arrays), else the string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
