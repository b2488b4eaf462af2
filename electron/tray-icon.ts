// Which tray icon to show: the state (online, offline, held, error) decided from
// EngineApi.status(), and the file for it under assets/tray/ (drawn by
// assets/generate.mjs). macOS gets the `…Template.png` images (black + alpha,
// which the menu bar tints for light and dark mode); elsewhere the coloured ones.
// Electron picks the `@2x` file beside each on HiDPI screens by itself.
// Owns only this choice; the tray decides when to ask.
import path from 'node:path';
import type { EngineStatus } from '../engine/api.ts';
import { PACKAGE_ROOT } from '../engine/package-root.ts';

export type TrayState = 'online' | 'offline' | 'held' | 'error';

export const TRAY_ICON_DIR = path.join(PACKAGE_ROOT, 'assets', 'tray');

/**
 * Error first (no answer from the engine, or damaged spool entries set aside),
 * then held (hold-until-flushed mode: nothing leaves), then offline, else online.
 */
export function trayState(status: EngineStatus | null): TrayState {
  if (status === null || status.counts.corrupt > 0) return 'error';
  if (status.mode === 'deferred') return 'held';
  return status.online.online ? 'online' : 'offline';
}

export function trayIconFile(state: TrayState, platform: NodeJS.Platform = process.platform, dir = TRAY_ICON_DIR): string {
  return path.join(dir, `tray-${state}${platform === 'darwin' ? 'Template' : ''}.png`);
}
