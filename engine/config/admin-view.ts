// What config.json holds: the settings the administrator set, not every default.
// Like main.cf after `postconf -e`, a change touches one key and the file never
// freezes today's defaults (a later default — a safer cipher list, a new limit —
// still applies to everything nobody set). A key stays when it differs from its
// default or was already in the file (written there on purpose, even if equal).
// Records (aliases, forwards, generics …) and arrays are compared whole. Pure.
import { SettingsSchema, type Settings } from './schema.ts';

const DEFAULTS: Record<string, unknown> = SettingsSchema.parse({});

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sections whose keys are user data (names), not fields: kept or dropped whole. */
const RECORDS = new Set(['aliases', 'forwards', 'generics']);

function view(value: Record<string, unknown>, defaults: Record<string, unknown>, before: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const d = defaults[key];
    const b = before[key];
    if (isPlainObject(v) && isPlainObject(d) && !RECORDS.has(key)) {
      const sub = view(v, d, isPlainObject(b) ? b : {});
      if (Object.keys(sub).length > 0 || b !== undefined) out[key] = sub;
    } else if (b !== undefined || JSON.stringify(v) !== JSON.stringify(d)) {
      out[key] = v;
    }
  }
  return out;
}

/**
 * The part of `settings` to write to config.json, given what the file held
 * before (`{}` when there was none or it could not be read).
 */
export function adminView(settings: Settings, before: Record<string, unknown> = {}): Record<string, unknown> {
  return view(settings as unknown as Record<string, unknown>, DEFAULTS, before);
}
