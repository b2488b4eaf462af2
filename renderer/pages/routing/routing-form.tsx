// A routing settings form: the shell's settings-form draft + save, plus what the
// routing pages add — the engine's routing check (EngineApi.checkRouting) run on
// the draft as it is typed, so a relative path or an alias loop shows next to its
// row before saving, and a preview of the section's change. Save is refused while
// the engine reports a problem in this page's section.
import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { FieldError, SettingsPatch } from '../../../engine/api.ts';
import type { Settings } from '../../../engine/api.ts';
import { useSettingsForm, type SettingsForm } from '../../components/settings-form.tsx';
import { useLive, useLiveState } from '../../state/context.tsx';
import { ChangePreview } from './change-preview.tsx';

/** Wait this long after the last keystroke before asking the engine (one round trip per pause). */
const CHECK_DELAY_MS = 300;

export interface RoutingForm<T> {
  form: SettingsForm<T>;
  /** The engine's message for a path: a save error, else a check problem; rows match `path`, `path[i]`, `path.x`. */
  errorFor(path: string): string | undefined;
  /** Only a message for exactly `path` (a row's own problem, not its targets'). */
  errorAt(path: string): string | undefined;
  /** Every message at or under `path`, for a row that shows all of its targets' problems. */
  errorsUnder(path: string): string[];
  problems: FieldError[];
  checking: boolean;
  before: string[];
  after: string[];
}

function under(e: FieldError, path: string): boolean {
  return e.path === path || e.path.startsWith(path + '[') || e.path.startsWith(path + '.');
}

export function useRoutingForm<T>(
  key: string,
  select: (s: Settings) => T,
  toPatch: (v: T) => SettingsPatch,
  describe: (v: T) => string[],
): RoutingForm<T> {
  const { client } = useLive();
  const { settings } = useLiveState();
  const form = useSettingsForm<T>(key, select, toPatch);
  const patchJson = form.value === null ? '' : JSON.stringify(toPatch(form.value));
  const sections = useMemo(() => (patchJson ? Object.keys(JSON.parse(patchJson) as object) : []), [patchJson]);
  const [check, setCheck] = useState<{ json: string; errors: FieldError[] }>({ json: '', errors: [] });

  useEffect(() => {
    if (!patchJson) return undefined;
    let stale = false;
    const t = setTimeout(() => {
      client.checkRouting(JSON.parse(patchJson) as SettingsPatch).then(
        (errors) => { if (!stale) setCheck({ json: patchJson, errors }); },
        // An engine without the check (or a dropped connection) still saves through
        // updateSettings, whose schema errors land in form.errors.
        () => { if (!stale) setCheck({ json: patchJson, errors: [] }); },
      );
    }, CHECK_DELAY_MS);
    return () => { stale = true; clearTimeout(t); };
  }, [patchJson, client]);

  // Only this page's sections: a problem saved elsewhere is that page's business.
  const problems = check.json === patchJson
    ? check.errors.filter((e) => sections.some((s) => e.path === s || e.path.startsWith(s + '.') || e.path.startsWith(s + '[')))
    : [];
  const all = [...form.errors, ...problems];
  const base = useMemo(() => (settings ? select(settings) : null), [settings]); // eslint-disable-line react-hooks/exhaustive-deps
  return {
    form,
    errorFor: (path) => all.find((e) => e.path === path)?.message ?? all.find((e) => under(e, path))?.message,
    errorAt: (path) => all.find((e) => e.path === path)?.message,
    errorsUnder: (path) => [...new Set(all.filter((e) => under(e, path)).map((e) => e.message))],
    problems,
    checking: patchJson !== '' && check.json !== patchJson,
    before: base === null ? [] : describe(base),
    after: form.value === null ? [] : describe(form.value),
  };
}

/** Preview of the change, Save / Discard, and the outcome; Save waits for problems to be fixed. */
export function RoutingSaveBar<T>({ rf }: { rf: RoutingForm<T> }) {
  const { form, problems } = rf;
  const blocked = problems.length > 0;
  return (
    <Stack gap="xs">
      {form.dirty && <ChangePreview before={rf.before} after={rf.after} />}
      <Group gap="sm">
        <Button onClick={() => void form.save()} loading={form.saving} disabled={!form.dirty || blocked} data-testid="save-button">Save</Button>
        <Button variant="default" onClick={form.discard} disabled={!form.dirty}>Discard changes</Button>
        {form.dirty && !blocked && <Text size="sm" c="orange" data-testid="unsaved">Unsaved changes</Text>}
        {blocked && (
          <Text size="sm" c="red" data-testid="problems" role="status">
            {problems.length === 1 ? `Fix this first: ${problems[0].message}` : `Fix the ${problems.length} problems marked in red first.`}
          </Text>
        )}
        {form.notice && (form.notice.ok
          ? <Text size="sm" c="teal" data-testid="save-notice" role="status">{form.notice.text}</Text>
          : <Alert color="red" py={4} data-testid="save-notice">{form.notice.text}</Alert>)}
      </Group>
    </Stack>
  );
}
