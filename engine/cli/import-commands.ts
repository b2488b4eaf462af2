// `mailstop import sendmail|postfix [DIR]` and `mailstop export sendmail DIR`:
// thin adapters over engine/import and engine/export. The plan is
// printed line by line (file:line, what it becomes or why not); --apply saves it
// through updateSettings when an engine runs, else through config.json's
// validated durable write — and saves nothing while any line is refused, unless
// --drop-refused says to leave those lines out.
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { exportSendmail } from '../export/sendmail.ts';
import { dropRefused, formatPlan, planImport, readHomeForwards, readImportSources, type ImportKind, type ImportPlan } from '../import/index.ts';
import { applyPatch, loadSettings, saveSettings } from '../config/load.ts';
import type { Settings } from '../config/schema.ts';
import { bool } from './args.ts';
import { prepare, type Command } from './context.ts';
import { findEngine } from './engine-link.ts';
import { EX_CONFIG, EX_DATAERR, EX_OK, UsageError } from './exit-codes.ts';
import { err, out } from './io.ts';

const IMPORT_USAGE = `usage: mailstop import sendmail|postfix [DIR] [--apply [--drop-refused]] [--json] [--home-forwards] [--home DIR]
  Reads a Sendmail (default /etc/mail) or Postfix (default /etc/postfix) configuration and prints
  the plan: each source line as file:line, what it becomes, or why it is not carried over.
  --apply          save the plan (nothing is saved while a line is refused)
  --drop-refused   with --apply: leave the refused lines out and save the rest
  --json           print the plan as JSON
  --home-forwards  sendmail: also read users' own ~/.forward files (accounts from /etc/passwd)`;

const DEFAULT_DIR: Record<ImportKind, string> = { sendmail: '/etc/mail', postfix: '/etc/postfix' };

export const importCommand: Command = {
  name: 'import',
  summary: 'read a Sendmail or Postfix configuration, print what it becomes; --apply saves it',
  usage: IMPORT_USAGE,
  async run(args, ctx) {
    const p = prepare(args, { apply: { type: 'boolean' }, 'drop-refused': { type: 'boolean' }, json: { type: 'boolean' }, 'home-forwards': { type: 'boolean' } }, this, ctx);
    if (!p) return EX_OK;
    const [kind, dir, ...extra] = p.positional;
    if (kind !== 'sendmail' && kind !== 'postfix') throw new UsageError(kind ? `cannot import "${kind}": sendmail or postfix` : 'import needs sendmail or postfix', IMPORT_USAGE);
    if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`, IMPORT_USAGE);
    if (bool(p.flags, 'drop-refused') && !bool(p.flags, 'apply')) throw new UsageError('--drop-refused goes with --apply', IMPORT_USAGE);
    const source = path.resolve(dir ?? DEFAULT_DIR[kind]);
    const files = await readImportSources(kind, source);
    if (bool(p.flags, 'home-forwards')) {
      if (kind !== 'sendmail') throw new UsageError('--home-forwards goes with import sendmail', IMPORT_USAGE);
      files.push(...await readHomeForwards('/etc/passwd'));
    }
    const api = await findEngine(p.home);
    try {
      let current: Settings;
      try {
        current = api ? await api.getSettings() : await loadSettings(p.home);
      } catch (e) {
        err(ctx.io, (e as Error).message);
        return EX_CONFIG;
      }
      let plan: ImportPlan = planImport(kind, source, files, current);
      const apply = bool(p.flags, 'apply');
      const drop = bool(p.flags, 'drop-refused');
      if (apply && drop && plan.refused > 0) plan = dropRefused(plan, current);
      if (bool(p.flags, 'json')) out(ctx.io, JSON.stringify(plan, (k, v: unknown) => (k === 'pass' ? '…' : v), 2));
      else for (const line of formatPlan(plan)) out(ctx.io, line);
      const refused = plan.items.filter((i) => i.outcome === 'refused').length;
      if (!apply) return refused ? EX_DATAERR : EX_OK;
      if (plan.refused > 0) {
        err(ctx.io, `nothing saved: ${plan.refused} refused line${plan.refused === 1 ? '' : 's'}; fix ${plan.refused === 1 ? 'it' : 'them'}, or add --drop-refused to save the rest`);
        return EX_DATAERR;
      }
      const r = api ? await api.updateSettings(plan.patch) : applyPatch(current, plan.patch);
      if (!r.ok) {
        for (const e of r.errors) err(ctx.io, `${e.path}: ${e.message}`);
        err(ctx.io, 'nothing saved');
        return EX_CONFIG;
      }
      if (!api) await saveSettings(p.home, r.settings);
      out(ctx.io, `saved ${plan.items.filter((i) => i.outcome === 'set').length} lines${refused ? ` (${refused} refused lines left out)` : ''}${api ? ' to the running engine' : ' to config.json'}`);
      return EX_OK;
    } finally {
      api?.close();
    }
  },
};

const EXPORT_USAGE = `usage: mailstop export sendmail DIR [--home DIR]
  Writes DIR/sendmail.mc and the map sources (local-host-names, relay-domains, access, mailertable,
  virtusertable, genericstable, authinfo, aliases, forward/USER) for the settings in effect.
  Build: m4 /usr/share/sendmail/cf/m4/cf.m4 sendmail.mc > sendmail.cf`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'write the settings as a sendmail.mc and /etc/mail map sources',
  usage: EXPORT_USAGE,
  async run(args, ctx) {
    const p = prepare(args, {}, this, ctx);
    if (!p) return EX_OK;
    const [kind, dir, ...extra] = p.positional;
    if (kind !== 'sendmail' || !dir || extra.length) throw new UsageError(kind !== 'sendmail' ? 'export writes sendmail only' : 'export sendmail needs a directory', EXPORT_USAGE);
    const api = await findEngine(p.home);
    let settings: Settings;
    try {
      settings = api ? await api.getSettings() : await loadSettings(p.home);
    } catch (e) {
      err(ctx.io, (e as Error).message);
      return EX_CONFIG;
    } finally {
      api?.close();
    }
    const x = exportSendmail(settings);
    for (const f of x.files) {
      const file = path.join(dir, f.name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, f.text, { mode: f.mode ?? 0o644 });
      if (f.mode !== undefined) await chmod(file, f.mode);
      out(ctx.io, `wrote ${file}`);
    }
    for (const n of x.notes) err(ctx.io, `note: ${n}`);
    return EX_OK;
  },
};
