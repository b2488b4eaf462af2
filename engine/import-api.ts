// The import part of EngineApi (issue 14): plan an import from files the UI read
// (a chosen folder or dropped files) against the saved settings. Answers only;
// the UI applies a plan's patch with updateSettings, the same validated path as
// every other change, and never a plan that still has refused lines.
import type { Settings } from './config/schema.ts';
import { dropRefused, planImport } from './import/index.ts';
import type { ImportApi, SourceFile } from './types/import.ts';

export { IMPORT_API_METHODS, type ImportApi, type ImportKind, type ImportPlan, type PlanItem, type SourceFile } from './types/import.ts';

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
