// The one validation a settings change goes through, whoever makes it: the
// running engine's updateSettings, and the CLI's `config set` / `newaliases`
// when no engine runs. Schema and meaning checks (config/load.ts applyPatch),
// then the routing checks resolve would hit (routing-api.ts) for the sections
// the change touches — an old problem elsewhere must not block an unrelated
// change such as the delivery mode (issue 5 "Bad input"). Never writes; the
// caller saves with config/load.ts saveSettings, the one writer of config.json.
import { applyPatch, type ValidateOptions } from './config/load.ts';
import type { Settings } from './config/schema.ts';
import type { SettingsPatch, SettingsUpdate } from './contracts.ts';
import { createRoutingApi } from './routing-api.ts';

/** `options.home`: the files settings name (tls.*) are judged too (config/load.ts ValidateOptions). */
export async function checkSettingsUpdate(current: Settings, patch: SettingsPatch, options: ValidateOptions = {}): Promise<SettingsUpdate> {
  const validated = applyPatch(current, patch, options);
  if (!validated.ok) return validated;
  const touched = new Set(Object.keys(patch));
  const routing = (await createRoutingApi({ settings: () => current }).checkRouting(patch))
    .filter((e) => touched.has(e.path.split(/[.[]/)[0]));
  if (routing.length > 0) return { ok: false, errors: routing };
  return validated;
}
