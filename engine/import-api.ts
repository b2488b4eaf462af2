// The import part of EngineApi (issue 14): plan an import from files the UI read
// (a chosen folder or dropped files) against the saved settings. Answers only;
// the UI applies a plan's patch with updateSettings, the same validated path as
// every other change, and never a plan that still has refused lines.
import type { Settings } from './config/schema.ts';
import { dropRefused, planImport, type ImportKind, type ImportPlan, type SourceFile } from './config/import/index.ts';

export type { ImportPlan, ImportKind, SourceFile };
export type { PlanItem } from './config/import/index.ts';

export interface ImportApi {
  /**
   * The plan for these files (name = file name, or a path for Postfix maps; text, or
   * binary: true for a .db). `dropRefused`: the plan without its refused lines, re-checked.
   */
  planImport(kind: ImportKind, files: SourceFile[], options?: { dropRefused?: boolean }): Promise<ImportPlan>;
}

export const IMPORT_API_METHODS = ['planImport'] as const satisfies readonly (keyof ImportApi)[];

export function createImportApi(deps: { settings: () => Settings }): ImportApi {
  return {
    async planImport(kind, files, options) {
      if (kind !== 'sendmail' && kind !== 'postfix') throw new Error(`cannot import "${String(kind)}": sendmail or postfix`);
      // Only what a file can carry over JSON; anything else in the request is dropped.
      const clean: SourceFile[] = (Array.isArray(files) ? files : []).map((f) => ({
        name: String(f?.name ?? ''),
        ...(typeof f?.text === 'string' ? { text: f.text } : {}),
        ...(f?.binary ? { binary: true } : {}),
      }));
      const plan = planImport(kind, 'dropped files', clean, deps.settings());
      return options?.dropRefused ? dropRefused(plan, deps.settings()) : plan;
    },
  };
}
