// The import part of the EngineApi contract (issue 14): types and the method list
// only; engine/import-api.ts implements them, engine/api.ts names them.
import type { FieldError, SettingsPatch } from '../contracts.ts';

export type { FieldError };
/** One settings change an item makes: set a field, append to a list, or put one table entry. */
export type Change =
  | { op: 'set'; path: string; value: unknown }
  | { op: 'push'; path: string; value: unknown }
  | { op: 'entry'; path: string; key: string; value: unknown };


export type Outcome = 'set' | 'skip' | 'refused';

export interface PlanItem {
  file: string;
  line: number;
  /** The source text (first line of it, for a multi-line macro call). */
  text: string;
  outcome: Outcome;
  /** What it becomes ("delivery.mode = deferred"); empty unless outcome is 'set'. */
  becomes: string[];
  /** Why it is not carried over or refused. */
  reason?: string;
  changes: Change[];
}

export interface ImportPlan {
  kind: 'sendmail' | 'postfix';
  source: string;
  items: PlanItem[];
  /** The settings change of every item that is not refused. */
  patch: SettingsPatch;
  refused: number;
}

/** A file handed to an importer: its text, or why there is none. */
export interface SourceFile {
  /** As shown in the plan: "sendmail.mc", "/etc/postfix/transport". */
  name: string;
  text?: string;
  /** Binary content (a .db), or the reason the file could not be read. */
  binary?: boolean;
  error?: string;
}

export type ImportKind = 'sendmail' | 'postfix';

export interface ImportApi {
  /**
   * The plan for these files (name = file name, or a path for Postfix maps; text, or
   * binary: true for a .db). `dropRefused`: the plan without its refused lines, re-checked.
   */
  planImport(kind: ImportKind, files: SourceFile[], options?: { dropRefused?: boolean }): Promise<ImportPlan>;
}

export const IMPORT_API_METHODS = ['planImport'] as const satisfies readonly (keyof ImportApi)[];
