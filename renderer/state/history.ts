// The Overview chart's data: the engine's per-hour history (EngineApi.getHistory,
// engine/log/history.ts). The engine counts and keeps it, so every window and
// every new browser shows the same chart; the renderer only asks again now and then.
import type { HistoryHour } from '../../engine/api.ts';

export type History = readonly HistoryHour[];

export const HOUR_MS = 3600e3;
/** Hours the chart shows. */
export const CHART_HOURS = 24;
/** The chart's hours change slowly; ask again this often (and after a reconnect). */
export const HISTORY_POLL_MS = 30e3;

export function emptyHistory(): History {
  return [];
}
