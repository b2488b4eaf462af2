// One settings form's life: a draft (kept above the router), saving through
// EngineApi.updateSettings, and the engine's FieldErrors shown next to their
// fields. The engine's schema is the only validator, so the message a person sees
// is the same one the CLI and config.json loading give.
import { Alert, Button, Group, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import type { FieldError, SettingsPatch } from '../../engine/api.ts';
import type { Settings } from '../../engine/api.ts';
import { fieldError, useDraft } from '../state/drafts.ts';
import { useLive, useLiveState } from '../state/context.tsx';

export interface SettingsForm<T> {
  value: T | null;
  set(update: (prev: T) => T): void;
  /** The engine's message for a settings path ("delivery.queueWarn"), if any. */
  error(path: string): string | undefined;
  errors: FieldError[];
  dirty: boolean;
  saving: boolean;
  save(): Promise<boolean>;
  discard(): void;
  notice: { ok: boolean; text: string } | null;
}

export function useSettingsForm<T>(key: string, select: (s: Settings) => T, toPatch: (v: T) => SettingsPatch): SettingsForm<T> {
  const live = useLive();
  const { settings } = useLiveState();
  // One selected value per settings object, so the draft compares against a stable value.
  // `select` is a pure projection; only a new settings object changes its result.
  const selected = useMemo(() => (settings ? select(settings) : null), [settings]); // eslint-disable-line react-hooks/exhaustive-deps
  const { draft, dirty, setValue, setErrors, reset } = useDraft<T>(key, selected);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const errors = draft?.errors ?? [];

  async function save(): Promise<boolean> {
    if (!draft) return false;
    setSaving(true);
    setNotice(null);
    try {
      const r = await live.client.updateSettings(toPatch(draft.value));
      if (!r.ok) {
        setErrors(r.errors);
        setNotice({ ok: false, text: `Not saved: ${r.errors.length === 1 ? r.errors[0].message : `${r.errors.length} fields need attention`}` });
        return false;
      }
      live.setSettings(r.settings);
      reset(select(r.settings));
      setNotice({ ok: true, text: 'Saved.' });
      return true;
    } catch (err) {
      setNotice({ ok: false, text: err instanceof Error ? err.message : String(err) });
      return false;
    } finally {
      setSaving(false);
    }
  }

  return {
    value: draft?.value ?? null,
    set: (u) => { setNotice(null); setValue(u); },
    error: (path) => fieldError(errors, path),
    errors, dirty, saving, save,
    discard: () => { reset(); setErrors([]); setNotice(null); },
    notice,
  };
}

/** Save / Discard with the unsaved marker and the result of the last save. */
export function SaveBar<T>({ form, label = 'Save' }: { form: SettingsForm<T>; label?: string }) {
  return (
    <Group gap="sm" mt="md">
      <Button onClick={() => void form.save()} loading={form.saving} disabled={!form.dirty} data-testid="save-button">{label}</Button>
      <Button variant="default" onClick={form.discard} disabled={!form.dirty}>Discard changes</Button>
      {form.dirty && <Text size="sm" c="orange" data-testid="unsaved">Unsaved changes</Text>}
      {form.notice && (form.notice.ok
        ? <Text size="sm" c="teal" data-testid="save-notice">{form.notice.text}</Text>
        : <Alert color="red" py={4} data-testid="save-notice">{form.notice.text}</Alert>)}
    </Group>
  );
}
