// Reading, validating and durably writing `<home>/config.json`, the engine's one
// source of truth for settings (DESIGN.md "Settings file"). Owns: the one-line
// error that names the field, cron-expression validation (the schema can only
// say "a string"), and the atomic write. Never decides what a setting means —
// that is each stage's business; never talks to electron-store/conf (adapters).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { validateDetailed } from 'node-cron';
import type { ZodError } from 'zod';
import { SettingsSchema, durationMs, type Settings, type SettingsInput } from './schema.ts';
import type { FieldError, SettingsPatch, SettingsUpdate } from '../contracts.ts';
import { validateSecuritySettings } from './security-checks.ts';
import { cipherListError, validateTlsFiles } from './tls-files.ts';
import { randomBytes } from 'node:crypto';
import { adminView } from './admin-view.ts';
import { isLoopbackAddress } from './names.ts';

/**
 * What validation may look at beyond the settings themselves. With `home`, the
 * files settings name (tls.*) are read and judged too: start-up, updateSettings
 * and the CLI always pass it, so all three refuse the same things (issue 11 §4).
 */
export interface ValidateOptions { home?: string }

export const CONFIG_FILE = 'config.json';

/** A configuration that cannot be used; `message` is one line naming the field and why. */
export class ConfigError extends Error {
  constructor(message: string, public readonly errors: FieldError[] = [], private readonly file?: string) {
    super(message);
    this.name = 'ConfigError';
  }

  /** One line per problem, each naming its field (`config.json: tls.cert: …`), for a terminal. */
  get lines(): string[] {
    if (this.file === undefined || this.errors.length < 2) return [this.message];
    return this.errors.map((e) => `${this.file}: ${e.path}: ${e.message}`);
  }
}

/** `['routes', 0, 'domain']` → `routes[0].domain`, the way a person writes it. */
export function fieldPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out ? '.' : '') + String(p);
  }
  return out || '(top level)';
}

function zodErrors(err: ZodError): FieldError[] {
  return err.issues.flatMap((i) => {
    // A misspelt key ("delivery.mdoe") would otherwise be dropped silently and its
    // intended value never applied: name each unknown key as its own field.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ path: fieldPath([...i.path, k]), message: 'unknown setting' }));
    }
    return [{ path: fieldPath(i.path), message: i.message }];
  });
}

/** node-cron's own parser, so what we accept is exactly what will be scheduled. */
export function cronError(expr: string): string | null {
  const v = validateDetailed(expr);
  if (v.valid) return null;
  const first = v.errors[0];
  return `not a cron expression ("${expr}")${first ? `: ${first.message}` : ''}`;
}

/** Checks the schema cannot express: cron syntax, ordered durations, what needs TLS, the files. */
function semanticErrors(s: Settings, opts: ValidateOptions): FieldError[] {
  const errors: FieldError[] = [];
  const runs = Array.isArray(s.delivery.queueRun) ? s.delivery.queueRun : [s.delivery.queueRun];
  runs.forEach((expr, i) => {
    const e = cronError(expr);
    const p = Array.isArray(s.delivery.queueRun) ? `delivery.queueRun[${i}]` : 'delivery.queueRun';
    if (e) errors.push({ path: p, message: e });
  });
  const slow = cronError(s.delivery.slowQueue.queueRun);
  if (slow) errors.push({ path: 'delivery.slowQueue.queueRun', message: slow });
  // A zero backoff would retry every deferred message on every heartbeat (once a second).
  if (durationMs(s.delivery.minBackoff) < 1000) errors.push({ path: 'delivery.minBackoff', message: 'must be at least 1s' });
  if (durationMs(s.delivery.minBackoff) > durationMs(s.delivery.maxBackoff)) {
    errors.push({ path: 'delivery.minBackoff', message: `must not exceed delivery.maxBackoff (${s.delivery.maxBackoff})` });
  }
  if (durationMs(s.delivery.queueWarn) === 0) errors.push({ path: 'delivery.queueWarn', message: 'must be longer than 0s' });
  if (durationMs(s.delivery.queueReturn) === 0) errors.push({ path: 'delivery.queueReturn', message: 'must be longer than 0s' });
  errors.push(...validateSecuritySettings(s));
  errors.push(...tlsErrors(s, opts));
  return errors;
}

/** tls.* itself, and the settings that cannot work without a certificate. */
function tlsErrors(s: Settings, opts: ValidateOptions): FieldError[] {
  const errors: FieldError[] = [];
  const ciphers = cipherListError(s.tls.ciphers);
  if (ciphers) errors.push({ path: 'tls.ciphers', message: ciphers });
  const hasCert = s.tls.cert !== '' && s.tls.key !== '';
  if (s.listen.smtps !== false && !hasCert) {
    errors.push({ path: 'listen.smtps', message: 'implicit TLS needs tls.cert and tls.key (or set it to false)' });
  }
  // The console's token must not cross a network in clear text (issue 11 §5).
  if (s.console.port !== false && !isLoopbackAddress(s.console.address) && !hasCert && !s.console.allowPlainHttp) {
    errors.push({
      path: 'console.address',
      message: `${s.console.address} is not loopback: the console then needs tls.cert and tls.key (it speaks HTTPS), ` +
        'or console.allowPlainHttp: true (behind a TLS proxy)',
    });
  }
  if (opts.home !== undefined) errors.push(...validateTlsFiles(s.tls, opts.home));
  return errors;
}

/**
 * The TLS files' problems even when another section failed the schema, so
 * `config check` names every problem in one run, not one layer per run.
 */
function tlsFileErrorsAlone(input: unknown, opts: ValidateOptions): FieldError[] {
  if (opts.home === undefined || !isPlainObject(input)) return [];
  const tls = SettingsSchema.shape.tls.safeParse(input.tls ?? {});
  if (!tls.success) return [];
  const ciphers = cipherListError(tls.data.ciphers);
  return [...validateTlsFiles(tls.data, opts.home), ...(ciphers ? [{ path: 'tls.ciphers', message: ciphers }] : [])];
}

/** Validate raw input into complete Settings, or the list of field errors. */
export function validateSettings(input: unknown, opts: ValidateOptions = {}): SettingsUpdate {
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: [...zodErrors(parsed.error), ...tlsFileErrorsAlone(input, opts)] };
  const errors = semanticErrors(parsed.data, opts);
  if (errors.length) return { ok: false, errors };
  return { ok: true, settings: parsed.data };
}

/** Turn validation errors into the one-line start-up error (issue 2 §9). */
export function configErrorOf(errors: FieldError[], file = CONFIG_FILE): ConfigError {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new ConfigError(`${file}: ${first.path}: ${first.message}${more}`, errors, file);
}

/** "position 42" in a JSON.parse message → "line 3 column 7", so people can find it. */
function jsonPosition(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line} column ${column}`;
}

/**
 * config.json's text without a UTF-8 byte-order mark: Windows editors (Notepad)
 * write one, JSON.parse refuses it, and it means nothing (RFC 8259 §8.1 lets
 * parsers ignore it).
 */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parse config.json text (exported for the CLI's `config check`). */
export function parseSettingsText(text: string, file = CONFIG_FILE, opts: ValidateOptions = {}): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(withoutBom(text));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new ConfigError(`${file}: not valid JSON: ${jsonPosition(text, err.message)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: (top level): expected an object of settings`);
  }
  const v = validateSettings(raw, opts);
  if (!v.ok) throw configErrorOf(v.errors, file);
  return v.settings;
}

/** Read `<home>/config.json`; a missing file means every default. */
export async function loadSettings(home: string): Promise<Settings> {
  const file = path.join(home, CONFIG_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return SettingsSchema.parse({});
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseSettingsText(text, file, { home });
}

/** Settings as explicit input (tests, `createEngine({ settings })`), validated the same way. */
export function settingsFrom(input: SettingsInput | undefined, opts: ValidateOptions = {}): Settings {
  const v = validateSettings(input ?? {}, opts);
  if (!v.ok) throw configErrorOf(v.errors, 'settings');
  return v.settings;
}

/** What config.json holds now, as written (not merged with defaults); `{}` if absent or unreadable. */
async function readWritten(file: string): Promise<Record<string, unknown>> {
  try {
    const raw: unknown = JSON.parse(await fsp.readFile(file, 'utf8'));
    return isPlainObject(raw) ? raw : {};
  } catch {
    return {}; // missing or damaged: the new file is written from the settings alone
  }
}

/**
 * The one writer of config.json (engine updateSettings, the CLI without an engine,
 * the desktop's store). Writes only what the administrator set (config/admin-view.ts),
 * then a durable replace (STYLE.md §5): temp file, fsync, rename over config.json,
 * fsync the directory — a crash leaves the old file or the new one, never half of one.
 */
export async function saveSettings(home: string, settings: Settings): Promise<void> {
  await fsp.mkdir(home, { recursive: true });
  const file = path.join(home, CONFIG_FILE);
  const written = adminView(settings, await readWritten(file));
  // Random, so two saves in one millisecond (two processes, or two calls) never share a temp file.
  const tmp = path.join(home, `.${CONFIG_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'w', 0o600); // may hold smart-host passwords
  try {
    await fh.writeFile(JSON.stringify(written, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  const dir = await fsp.open(home, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Merge a patch one level deep: a top-level section given as an object is merged
 * key by key into the current section; arrays, records given whole, scalars and
 * `null` replace. Then the whole result is validated, so nothing half-valid is
 * ever returned (DESIGN.md "Promises": nothing already in place is touched).
 */
export function applyPatch(current: Settings, patch: SettingsPatch, opts: ValidateOptions = {}): SettingsUpdate {
  if (!isPlainObject(patch)) return { ok: false, errors: [{ path: '(top level)', message: 'expected an object of settings' }] };
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const cur = (current as Record<string, unknown>)[key];
    // Records such as aliases/forwards are replaced whole (SettingsPatch's contract).
    const isSection = isPlainObject(cur) && isPlainObject(value) && !RECORD_SECTIONS.has(key);
    next[key] = isSection ? { ...cur, ...value } : value;
  }
  return validateSettings(next, opts);
}

/** Top-level settings that are maps of user data, not sections of named fields. */
const RECORD_SECTIONS = new Set(['aliases', 'forwards', 'virtual']);
