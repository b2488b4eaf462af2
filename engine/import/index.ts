// The importers' front door: read a directory (or take files from the UI), make
// the plan, and say which patch may be applied. Applying is the caller's job —
// EngineApi.updateSettings or the CLI's validated config.json write — so an
// import goes through exactly the validation every other change does.
import { readHomeForwards, readSourceDir, readSourceFile } from './files.ts';
export { readHomeForwards };
import { finishPlan, type ImportPlan, type PlanItem, type SourceFile } from './plan.ts';
import { planPostfix, postfixMapPaths } from './postfix/index.ts';
import { planSendmail } from './sendmail/index.ts';
import type { Settings } from '../config/schema.ts';

export type { ImportKind } from '../types/import.ts';
import type { ImportKind } from '../types/import.ts';
export { formatPlan, type ImportPlan, type PlanItem, type SourceFile } from './plan.ts';

export function planImport(kind: ImportKind, source: string, files: SourceFile[], current: Settings): ImportPlan {
  return kind === 'sendmail' ? planSendmail(source, files, current) : planPostfix(source, files, current);
}

/** Reads DIR (and, for Postfix, the map files main.cf names outside it). */
export async function readImportSources(kind: ImportKind, dir: string): Promise<SourceFile[]> {
  const files = await readSourceDir(dir);
  if (kind === 'postfix') {
    const main = files.find((f) => f.name === 'main.cf');
    for (const p of main?.text ? postfixMapPaths(main.text) : []) {
      // A copy of /etc/postfix elsewhere holds its maps itself; only maps outside it (/etc/aliases) are fetched.
      if (files.some((f) => f.name === p.replace(/^.*\//, ''))) continue;
      const f = await readSourceFile(p);
      // A missing one is named on the main.cf line that refers to it.
      if (!f.error) files.push(f);
    }
  }
  return files;
}

/**
 * The plan without its refused lines, re-validated: what "apply, dropping the
 * refused lines" saves. Dropping a line can expose nothing new, but it is checked again.
 */
export function dropRefused(plan: ImportPlan, current: Settings): ImportPlan {
  const kept: PlanItem[] = plan.items.filter((i) => i.outcome !== 'refused').map((i) => ({ ...i }));
  const again = finishPlan(plan.kind, plan.source, kept, current);
  return { ...again, items: [...again.items, ...plan.items.filter((i) => i.outcome === 'refused').map((i) => ({ ...i, outcome: 'refused' as const }))], refused: again.refused };
}
