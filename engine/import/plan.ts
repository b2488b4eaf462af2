// The import plan: one item per source line (file:line), saying what it becomes
// in Mailstop's settings, why it is not carried over, or why it is refused. The
// plan is plain JSON (the CLI prints it, the UI shows it side by side), and its
// settings patch is built only from the items' changes, so a refused line can
// never slip in. Validation is the settings' own (applyPatch → schema + meaning
// checks); a field it refuses is traced back to the line that set it.
// Pure: never reads files, never writes settings.
import { applyPatch } from '../config/load.ts';
import type { Settings } from '../config/schema.ts';

import type { Change, FieldError, ImportPlan, Outcome, PlanItem, SourceFile } from '../types/import.ts';
import type { SettingsPatch } from '../contracts.ts';

export type { Change, ImportPlan, Outcome, PlanItem, SourceFile };

export function item(file: string, line: number, text: string, outcome: Outcome, changes: Change[] = [], reason?: string): PlanItem {
  return { file, line, text: text.trim(), outcome, becomes: changes.map(describeChange), changes, ...(reason ? { reason } : {}) };
}
export const set = (path: string, value: unknown): Change => ({ op: 'set', path, value });
export const push = (path: string, value: unknown): Change => ({ op: 'push', path, value });
export const entry = (path: string, key: string, value: unknown): Change => ({ op: 'entry', path, key, value });

export function describeChange(c: Change): string {
  // A password never appears in a printed plan.
  const v = JSON.stringify(c.value, (k, x: unknown) => (k === 'pass' ? '…' : x));
  if (c.op === 'set') return `${c.path} = ${v}`;
  if (c.op === 'push') return `${c.path} += ${v}`;
  return `${c.path}.${c.key} = ${v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where each change lands ("antispam.dnsbl[2]"), so a validation error finds its line. */
function build(items: PlanItem[]): { patch: Record<string, unknown>; owners: { path: string; item: PlanItem }[] } {
  const patch: Record<string, unknown> = {};
  const owners: { path: string; item: PlanItem }[] = [];
  for (const it of items) {
    if (it.outcome === 'refused') continue;
    for (const c of it.changes) {
      const parts = c.path.split('.');
      let cur = patch;
      for (const p of parts.slice(0, -1)) {
        if (!isObject(cur[p])) cur[p] = {};
        cur = cur[p] as Record<string, unknown>;
      }
      const last = parts[parts.length - 1];
      if (c.op === 'set') {
        cur[last] = c.value;
        owners.push({ path: c.path, item: it });
      } else if (c.op === 'push') {
        if (!Array.isArray(cur[last])) cur[last] = [];
        const list = cur[last] as unknown[];
        owners.push({ path: `${c.path}[${list.length}]`, item: it });
        list.push(c.value);
      } else {
        if (!isObject(cur[last])) cur[last] = {};
        (cur[last] as Record<string, unknown>)[c.key] = c.value;
        owners.push({ path: `${c.path}.${c.key}`, item: it });
      }
    }
  }
  return { patch, owners };
}

function owns(ownerPath: string, errorPath: string): boolean {
  return errorPath === ownerPath || errorPath.startsWith(ownerPath + '.') || errorPath.startsWith(ownerPath + '[');
}

/**
 * The plan's patch, validated against `current` the way updateSettings will: every
 * field the settings refuse marks the line that set it as refused (with the
 * settings' own message), and the patch is rebuilt without it.
 */
export function finishPlan(kind: ImportPlan['kind'], source: string, items: PlanItem[], current: Settings): ImportPlan {
  for (let round = 0; round < 5; round++) {
    const { patch, owners } = build(items);
    const r = applyPatch(current, patch as SettingsPatch);
    if (r.ok) break;
    let marked = 0;
    for (const e of r.errors) {
      const owner = [...owners].reverse().find((o) => owns(o.path, e.path)) ?? owners.find((o) => owns(e.path, o.path));
      if (owner && owner.item.outcome !== 'refused') {
        owner.item.outcome = 'refused';
        owner.item.reason = `${e.path}: ${e.message}`;
        marked++;
      }
    }
    if (marked === 0) {
      // An error no line owns (e.g. two lines that only together break a rule): name it on the first item.
      items.unshift(item(source, 0, '(settings check)', 'refused', [], r.errors.map((e: FieldError) => `${e.path}: ${e.message}`).join('; ')));
      break;
    }
  }
  items.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
  const { patch } = build(items);
  return { kind, source, items, patch: patch as SettingsPatch, refused: items.filter((i) => i.outcome === 'refused').length };
}

/** Plain text, one line per item: "sendmail.mc:12  FEATURE(`dnsbl', ...)  → antispam.dnsbl += ...". */
export function formatPlan(plan: ImportPlan): string[] {
  const lines: string[] = [];
  for (const it of plan.items) {
    const where = `${it.file}:${it.line}`;
    const mark = it.outcome === 'set' ? 'import ' : it.outcome === 'skip' ? 'skip   ' : 'REFUSED';
    const what = it.outcome === 'set' ? `→ ${it.becomes.join('; ')}${it.reason ? ` (${it.reason})` : ''}` : `: ${it.reason ?? ''}`;
    lines.push(`${mark} ${where}  ${it.text.length > 70 ? it.text.slice(0, 67) + '...' : it.text}  ${what}`);
  }
  const counts = (o: Outcome) => plan.items.filter((i) => i.outcome === o).length;
  lines.push(`${plan.kind} ${plan.source}: ${counts('set')} imported, ${counts('skip')} not carried over, ${counts('refused')} refused`);
  return lines;
}
