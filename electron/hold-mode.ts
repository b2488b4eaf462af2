// "Hold all" / "Resume" from the tray: switch delivery.mode to `deferred`
// (Sendmail's confDELIVERY_MODE=d: queue everything, send nothing) and back to
// whatever mode was in force before. The previous mode is remembered in the
// desktop store so Resume still knows it after a restart.
// Owns only that switch; the engine decides what each mode means.
import type { EngineApi, SettingsUpdate } from '../engine/api.ts';
import type { Settings } from '../engine/config/schema.ts';

export type DeliveryMode = Settings['delivery']['mode'];
export type ResumeMode = Exclude<DeliveryMode, 'deferred'>;

/** Where the mode to resume to is kept (settings-store.ts in the app, a variable in tests). */
export interface ModeMemory {
  get(): ResumeMode | undefined;
  set(mode: ResumeMode): void;
}

/** Used when nothing was remembered (e.g. the config was edited to deferred by hand). */
export const DEFAULT_RESUME_MODE: ResumeMode = 'whenonline';

type Api = Pick<EngineApi, 'getSettings' | 'updateSettings'>;

/** Switch to deferred, remembering the current mode. Already held: nothing changes. */
export async function holdAll(api: Api, memory: ModeMemory): Promise<SettingsUpdate> {
  const settings = await api.getSettings();
  const current = settings.delivery.mode;
  if (current === 'deferred') return { ok: true, settings };
  memory.set(current);
  return api.updateSettings({ delivery: { mode: 'deferred' } });
}

/** Back to the remembered mode. Not held: nothing changes. */
export async function resume(api: Api, memory: ModeMemory): Promise<SettingsUpdate> {
  const settings = await api.getSettings();
  if (settings.delivery.mode !== 'deferred') return { ok: true, settings };
  return api.updateSettings({ delivery: { mode: memory.get() ?? DEFAULT_RESUME_MODE } });
}
