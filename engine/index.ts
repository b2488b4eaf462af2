// The engine's front door: createEngine() builds an Engine (EngineApi plus
// start/stop) for one data directory. Settings come from `<home>/config.json`
// unless given explicitly (tests, `--settings`); either way they are validated
// here, so a bad value stops start-up with one line naming the field.
import type { SettingsInput } from './config/schema.ts';
import { loadSettings, settingsFrom } from './config/load.ts';
import { systemClock, type Clock } from './contracts.ts';
import { MailEngine, type Engine, type SettingsSecrets } from './engine.ts';

export type { Engine, SettingsSecrets } from './engine.ts';
export { ConfigError } from './config/load.ts';

export interface CreateEngineOptions {
  home: string;
  /** Explicit settings: override config.json entirely (validated the same way). */
  settings?: SettingsInput;
  clock?: Clock;
  /** Heartbeat / re-check timers; tests may switch them off and call runDue(). Default on. */
  timers?: boolean;
  /** System accounts file for local users; '' = none. Default /etc/passwd. */
  passwdFile?: string;
  /**
   * Keep the smart-host password out of config.json (the desktop app's keychain):
   * updateSettings hands `smartHost.auth.pass` to set() and writes `pass: ""`;
   * the live settings take get()'s value wherever the file says "".
   */
  secrets?: SettingsSecrets;
  /** How long stop() lets deliveries in flight finish (default 5 s); then they are cut off and stay queued. */
  stopGraceMs?: number;
}

export async function createEngine(opts: CreateEngineOptions): Promise<Engine> {
  const settings = opts.settings !== undefined ? settingsFrom(opts.settings, { home: opts.home }) : await loadSettings(opts.home);
  return new MailEngine({
    home: opts.home, settings, clock: opts.clock ?? systemClock,
    ...(opts.timers !== undefined ? { timers: opts.timers } : {}),
    ...(opts.passwdFile !== undefined ? { passwdFile: opts.passwdFile } : {}),
    ...(opts.secrets !== undefined ? { secrets: opts.secrets } : {}),
    ...(opts.stopGraceMs !== undefined ? { stopGraceMs: opts.stopGraceMs } : {}),
  });
}
