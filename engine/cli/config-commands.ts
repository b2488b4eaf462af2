// `mailstop config check|get|set` and `newaliases` (sendmail -bi). With the
// engine running, reads and writes go through EngineApi (getSettings /
// updateSettings) so the running engine sees the change at once; without it,
// config.json is validated and written durably by engine/config/load.ts.
import type { Settings } from '../config/schema.ts';
import { loadSettings, saveSettings, validateSettings } from '../config/load.ts';
import { checkConfig, ConfigError, getPath, parseValue, readRawConfig, setPath } from './config-file.ts';
import { prepare, type Command, type Ctx } from './context.ts';
import { findEngine } from './engine-link.ts';
import { EX_CONFIG, EX_OK, EX_USAGE, UsageError } from './exit-codes.ts';
import { validateAliases } from './aliases-check.ts';
import { err, out, type CliIo } from './io.ts';

const CONFIG_USAGE = `usage: mailstop config check|get|set [--home DIR]
  config check              validate config.json; one line per problem
  config get [PATH]         print the settings in effect, or one (e.g. delivery.mode, routes[0].host)
  config set PATH VALUE     change one setting; VALUE is JSON when it parses (2525, true, ["a"]), else text`;

export const configCommand: Command = {
  name: 'config',
  summary: 'check, read or change config.json',
  usage: CONFIG_USAGE,
  async run(args, ctx) {
    const p = prepare(args, {}, this, ctx);
    if (!p) return EX_OK;
    const [sub, ...rest] = p.positional;
    if (sub === 'check' && rest.length === 0) return configCheck(p.home, ctx.io);
    if (sub === 'get' && rest.length <= 1) return configGet(p.home, ctx.io, rest[0]);
    if (sub === 'set' && rest.length === 2) return configSet(p.home, ctx.io, rest[0], rest[1]);
    throw new UsageError(sub ? `bad config arguments: ${p.positional.join(' ')}` : 'config needs check, get or set', CONFIG_USAGE);
  },
};

async function configCheck(home: string, io: CliIo): Promise<number> {
  let problems: string[];
  try {
    const { exists, raw } = await readRawConfig(home);
    if (!exists) {
      out(io, 'config.json: not present; every setting has its default');
      return EX_OK;
    }
    problems = checkConfig(raw, home);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems = [e.message.replace(/^config\.json: /, '')];
  }
  for (const p of problems) err(io, `config.json: ${p}`);
  if (problems.length) return EX_CONFIG;
  out(io, 'config.json: ok');
  return EX_OK;
}

/** The settings in effect: the running engine's, else config.json's. */
async function currentSettings(home: string): Promise<Settings> {
  const api = await findEngine(home);
  if (!api) return loadSettings(home);
  try { return await api.getSettings(); } finally { api.close(); }
}

async function configGet(home: string, io: CliIo, path?: string): Promise<number> {
  let settings: Settings;
  try {
    settings = await currentSettings(home);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(io, e.message);
    return EX_CONFIG;
  }
  const value = path ? getPath(settings, path) : settings;
  if (value === undefined) {
    err(io, `no such setting: ${path}`);
    return EX_USAGE;
  }
  out(io, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return EX_OK;
}

/**
 * Validates `settings` with `path` set to the value; a value that is not JSON or
 * fails as JSON is tried as plain text (`config set hostname 123` means the name).
 */
function withValue(home: string, base: Record<string, unknown>, path: string, text: string) {
  const candidates = [parseValue(text)];
  if (typeof candidates[0] !== 'string') candidates.push(text);
  let first: ReturnType<typeof validateSettings> | undefined;
  for (const value of candidates) {
    const next = setPath(base, path, value);
    const v = validateSettings(next, { home });
    // The schema is strict: a misspelt path comes back as "unknown setting" — a usage error.
    if (!v.ok && v.errors.some((e) => e.message === 'unknown setting' && path.startsWith(e.path))) {
      throw new UsageError(`no such setting: ${path}`, CONFIG_USAGE);
    }
    if (v.ok) {
      if (getPath(v.settings, path) === undefined) throw new UsageError(`no such setting: ${path}`, CONFIG_USAGE);
      return { v, next };
    }
    first ??= v;
  }
  return { v: first!, next: base };
}

async function configSet(home: string, io: CliIo, path: string, text: string): Promise<number> {
  const api = await findEngine(home);
  if (api) {
    try {
      const current = await api.getSettings();
      const { v } = withValue(home, current as unknown as Record<string, unknown>, path, text);
      if (!v.ok) return fieldErrors(io, v.errors);
      // Send the whole top-level section: correct whatever depth the engine merges at.
      const top = path.replace(/\[.*$/, '').split('.')[0];
      const r = await api.updateSettings({ [top]: (v.settings as Record<string, unknown>)[top] } as never);
      if (!r.ok) return fieldErrors(io, r.errors);
      out(io, `${path} = ${JSON.stringify(getPath(r.settings, path))} (applied to the running engine)`);
      return EX_OK;
    } finally {
      api.close();
    }
  }
  // No engine: the same checks updateSettings applies (settings-update.ts), then the
  // one writer, which keeps config.json to what the administrator set. The file is
  // read as it is, not as settings: a setting that no longer holds (a certificate
  // file gone) can then be corrected here, while any other problem still refuses.
  let raw: Record<string, unknown>;
  try {
    raw = (await readRawConfig(home)).raw;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(io, `${e.message} (fix it by hand first)`);
    return EX_CONFIG;
  }
  const { v } = withValue(home, raw, path, text);
  if (!v.ok) return fieldErrors(io, v.errors);
  const top = path.replace(/\[.*$/, '').split('.')[0];
  // Loaded here, not at the top: `sendmail` imports this module and must stay light.
  const { checkSettingsUpdate } = await import('../settings-update.ts');
  const section = { [top]: (v.settings as Record<string, unknown>)[top] } as never;
  const r = await checkSettingsUpdate(v.settings, section, { home });
  if (!r.ok) return fieldErrors(io, r.errors);
  await saveSettings(home, r.settings);
  out(io, `${path} = ${JSON.stringify(getPath(r.settings, path))}`);
  return EX_OK;
}

function fieldErrors(io: CliIo, errors: { path: string; message: string }[]): number {
  for (const e of errors) err(io, `${e.path}: ${e.message}`);
  return EX_CONFIG;
}

export async function runNewaliases(home: string, io: CliIo): Promise<number> {
  const api = await findEngine(home);
  try {
    let settings: Settings;
    try {
      settings = api ? await api.getSettings() : await loadSettings(home);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      err(io, e.message);
      return EX_CONFIG;
    }
    const report = await validateAliases(settings, home);
    for (const p of report.problems) err(io, p);
    let installed = '';
    if (report.table) {
      // The text file had no errors: it becomes the alias table (Sendmail's newaliases rebuild).
      const r = api ? await api.updateSettings({ aliases: report.table })
        : await (await import('../settings-update.ts')).checkSettingsUpdate(settings, { aliases: report.table }, { home });
      if (!r.ok) return fieldErrors(io, r.errors);
      if (!api) await saveSettings(home, r.settings);
      installed = api ? ' (installed in the running engine)' : ' (installed in config.json)';
    }
    out(io, `${report.source}: ${report.count} aliases, longest ${report.longest} bytes, ${report.total} bytes total${installed}`);
    return report.errors ? EX_CONFIG : EX_OK;
  } finally {
    api?.close();
  }
}

export const newaliasesCommand: Command = {
  name: 'newaliases',
  summary: 'check the aliases and report problems line by line (also: sendmail -bi)',
  usage: `usage: mailstop newaliases [--home DIR]
  With DIR/aliases (aliases(5) text) present: report its problems by line; without errors it becomes
  the alias table. Otherwise: check the aliases in config.json.`,
  async run(args, ctx: Ctx) {
    const p = prepare(args, {}, this, ctx);
    if (!p) return EX_OK;
    if (p.positional.length) throw new UsageError(`unexpected argument: ${p.positional[0]}`, this.usage);
    return runNewaliases(p.home, ctx.io);
  },
};
