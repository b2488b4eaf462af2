// `mailstop import sendmail`: a Sendmail configuration directory (/etc/mail) as
// an import plan. sendmail.mc is the source of truth (sendmail.cf is only named as
// generated from it); the text maps are read when the .mc enables them, as
// Sendmail would; a binary .db without its text source is refused, since its
// contents cannot be shown. Pure: the files come in as text (engine/import/files.ts
// reads a directory; the UI sends dropped files).
import { parseAliasesFile } from '../../resolve/aliases-file.ts';
import type { Settings } from '../../config/schema.ts';
import { entry, finishPlan, item, type ImportPlan, type PlanItem, type SourceFile } from '../plan.ts';
import { planMc } from './mc.ts';
import { planAccess, planAuthinfo, planGenericstable, planLocalHostNames, planMailertable, planRelayDomains, planVirtusertable } from './maps.ts';

/** Map files and the FEATURE that makes Sendmail read them (null: always read). */
const MAPS: Record<string, string | null> = {
  access: 'access_db', mailertable: 'mailertable', virtusertable: 'virtusertable', genericstable: 'genericstable',
  authinfo: null, aliases: null, 'local-host-names': null, 'sendmail.cw': null, 'relay-domains': null, 'trusted-users': null,
};

const base = (name: string): string => name.replace(/^.*\//, '');

export function planSendmail(source: string, files: SourceFile[], current: Settings): ImportPlan {
  const items: PlanItem[] = [];
  const byName = new Map(files.map((f) => [base(f.name), f]));
  const textOf = (name: string): SourceFile | undefined => {
    const f = byName.get(name);
    return f && f.text !== undefined && !f.binary ? f : undefined;
  };
  for (const f of files) if (f.error) items.push(item(f.name, 0, '', 'refused', [], f.error));

  const mc = textOf('sendmail.mc') ?? files.find((f) => /\.mc$/.test(f.name) && base(f.name) !== 'submit.mc' && f.text !== undefined);
  let facts: ReturnType<typeof planMc>['facts'] | null = null;
  if (mc) {
    const r = planMc(mc.name, mc.text!);
    items.push(...r.items);
    facts = r.facts;
  }
  const enabled = (feature: string | null): boolean => feature === null || facts === null || facts.features.has(feature);

  for (const f of files) {
    if (f.error) continue;
    const name = base(f.name);
    if (f === mc) continue;
    if (name.endsWith('.db') || name.endsWith('.dir') || name.endsWith('.pag')) {
      const src = name.replace(/\.(db|dir|pag)$/, '');
      if (textOf(src)) items.push(item(f.name, 0, '', 'skip', [], `built from ${src} by makemap; the text source is read instead`));
      else if (src in MAPS || src === 'aliases') items.push(item(f.name, 0, '', 'refused', [], `a binary map with no text source: recover it with "makemap -u hash ${src} > ${src}" (or "praliases" for aliases) and import again`));
      else items.push(item(f.name, 0, '', 'skip', [], 'a binary map Mailstop does not read'));
      continue;
    }
    if (f.binary) { items.push(item(f.name, 0, '', 'refused', [], 'binary content where text was expected')); continue; }
    if (name === 'sendmail.cf' || name === 'submit.cf') {
      items.push(item(f.name, 0, '', mc || name === 'submit.cf' ? 'skip' : 'refused', [], mc || name === 'submit.cf'
        ? 'generated from the .mc by m4; not read'
        : 'sendmail.cf without its sendmail.mc: Mailstop reads the m4 source, not the generated file'));
      continue;
    }
    if (name === 'submit.mc') { items.push(item(f.name, 0, '', 'skip', [], "the MSP's configuration: Mailstop's sendmail command needs none")); continue; }
    if (f.name.startsWith('forward/') || /^~[^/]+\/\.forward$/.test(f.name)) { items.push(...planForward(f)); continue; }
    if (!(name in MAPS)) { items.push(item(f.name, 0, '', 'skip', [], 'not a Sendmail configuration file Mailstop reads')); continue; }
    if (!enabled(MAPS[name])) {
      items.push(item(f.name, 0, '', 'skip', [], `FEATURE(${MAPS[name]}) is not in the .mc: Sendmail does not read this file, so neither does the import`));
      continue;
    }
    items.push(...planMap(name, f.name, f.text ?? '', facts?.smartHost ?? null));
  }
  return finishPlan('sendmail', source, items, current);
}

function planMap(name: string, file: string, text: string, smartHost: string | null): PlanItem[] {
  switch (name) {
    case 'local-host-names': case 'sendmail.cw': return planLocalHostNames(file, text);
    case 'relay-domains': return planRelayDomains(file, text);
    case 'access': return planAccess(file, text);
    case 'mailertable': return planMailertable(file, text);
    case 'virtusertable': return planVirtusertable(file, text);
    case 'genericstable': return planGenericstable(file, text);
    case 'authinfo': return planAuthinfo(file, text, smartHost);
    case 'aliases': return planAliases(file, text);
    default: return text.split('\n').flatMap((l, i) => (l.trim() === '' || l.trim().startsWith('#') ? [] : [item(file, i + 1, l, 'skip', [],
      "trusted users: Mailstop's sendmail command lets only root and the engine's own user set any sender; others get X-Authentication-Warning (smtp.privacy authwarnings)")]));
  }
}

/** aliases(5), with newaliases' own parser: each problem refuses its line. */
export function planAliases(file: string, text: string): PlanItem[] {
  const parsed = parseAliasesFile(text);
  const lines = text.split('\n');
  const items = parsed.entries.map((e) => item(file, e.line, lines[e.line - 1] ?? '', 'set', [entry('aliases', e.name, e.targets)]));
  for (const p of parsed.problems) {
    items.push(item(file, p.line, lines[p.line - 1] ?? '', p.severity === 'error' ? 'refused' : 'skip', [], p.message));
  }
  return items;
}

/** forward/USER: a user's ~/.forward (the export writes these; Sendmail has no global table). */
function planForward(f: SourceFile): PlanItem[] {
  // forward/USER (the export's layout) or ~USER/.forward (users' own files, opt-in).
  const user = /^~([^/]+)\//.exec(f.name)?.[1] ?? base(f.name);
  const lines = (f.text ?? '').split('\n').map((l, i) => ({ l: l.trim(), i })).filter((x) => x.l !== '' && !x.l.startsWith('#'));
  if (!/^[a-z0-9_][a-z0-9._+-]*$/i.test(user)) return [item(f.name, 0, '', 'refused', [], `"${user}" is not a user name`)];
  if (lines.length === 0) return [item(f.name, 0, '', 'skip', [], 'empty .forward')];
  return [item(f.name, lines[0].i + 1, lines[0].l, 'set', [entry('forwards', user, lines.map((x) => x.l))])];
}
