// Unsaved form drafts, kept above the router so moving between pages never loses
// them. A draft remembers the settings it started from (`base`) so it knows
// whether it is dirty, and the engine's FieldErrors from the last save attempt.
import { useCallback, useEffect } from 'react';
import type { FieldError } from '../../engine/api.ts';
import { createStore, useStore } from './store.ts';

export interface Draft<T> { value: T; base: T; errors: FieldError[] }

const drafts = createStore<Record<string, Draft<unknown>>>({});

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function isDirty(d: Draft<unknown> | undefined): boolean {
  return !!d && !same(d.value, d.base);
}

export function anyDirty(): boolean {
  return Object.values(drafts.get()).some(isDirty);
}

export function dirtyKeys(all: Record<string, Draft<unknown>>): string[] {
  return Object.entries(all).filter(([, d]) => isDirty(d)).map(([k]) => k);
}

export function useAllDrafts(): Record<string, Draft<unknown>> {
  return useStore(drafts);
}

/**
 * The draft for one form. `saved` is what the engine has now: while the draft is
 * clean it follows `saved` (another window or the CLI may change settings); once
 * edited it keeps the person's edits until they save or discard.
 */
export function useDraft<T>(key: string, saved: T | null): {
  draft: Draft<T> | null;
  dirty: boolean;
  setValue(update: (prev: T) => T): void;
  setErrors(errors: FieldError[]): void;
  reset(to?: T): void;
} {
  const all = useStore(drafts);
  let current = all[key] as Draft<T> | undefined;
  const adopt = saved !== null && (!current || (!isDirty(current) && !same(current.base, saved)));
  // Render with the engine's value at once; the effect stores it so edits apply to it.
  if (adopt) current = { value: saved, base: saved, errors: current?.errors ?? [] };
  useEffect(() => {
    if (saved === null) return;
    const cur = drafts.get()[key];
    if (!cur || (!isDirty(cur) && !same(cur.base, saved))) {
      drafts.set((d) => ({ ...d, [key]: { value: saved, base: saved, errors: cur?.errors ?? [] } }), true);
    }
  }, [key, saved]);
  const setValue = useCallback((update: (prev: T) => T) => {
    drafts.set((d) => {
      const cur = d[key] as Draft<T> | undefined;
      if (!cur) return d;
      return { ...d, [key]: { ...cur, value: update(cur.value) } as Draft<unknown> };
    }, true);
  }, [key]);
  const setErrors = useCallback((errors: FieldError[]) => {
    drafts.set((d) => (d[key] ? { ...d, [key]: { ...d[key], errors } } : d), true);
  }, [key]);
  const reset = useCallback((to?: T) => {
    drafts.set((d) => {
      const cur = d[key] as Draft<T> | undefined;
      if (!cur) return d;
      const base = to ?? cur.base;
      return { ...d, [key]: { value: base, base, errors: [] } as Draft<unknown> };
    }, true);
  }, [key]);
  return { draft: current ?? null, dirty: isDirty(current), setValue, setErrors, reset };
}

/** The engine's message for one field: exact path, or the first error under it. */
export function fieldError(errors: FieldError[], path: string): string | undefined {
  return errors.find((e) => e.path === path)?.message ?? errors.find((e) => e.path.startsWith(path + '.'))?.message;
}
