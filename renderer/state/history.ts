// 24 hours of queue size and deliveries for the Overview chart. The engine keeps no
// history, so the renderer samples it itself (status polls + delivery events) and
// keeps it in localStorage so a reload does not blank the chart.
export interface HistorySample { t: number; queued: number }
export interface History {
  samples: HistorySample[];
  /** Deliveries per 5-minute bucket, keyed by the bucket's start (epoch ms). */
  delivered: Record<number, number>;
}

export const DAY_MS = 24 * 3600e3;
export const BUCKET_MS = 5 * 60e3;
/** One queue-size sample a minute is plenty for a 24 h line 1000 pixels wide. */
const SAMPLE_EVERY_MS = 60e3;
const KEY = 'mailstop.history.v1';

export function emptyHistory(): History {
  return { samples: [], delivered: {} };
}

export function loadHistory(now: number): History {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? prune(JSON.parse(raw) as History, now) : emptyHistory();
  } catch {
    // Damaged or unavailable storage: start over; it is only a chart.
    return emptyHistory();
  }
}

export function saveHistory(h: History): void {
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(h));
  } catch {
    // Storage full or disabled: the chart still works for this session.
  }
}

export function prune(h: History, now: number): History {
  const from = now - DAY_MS;
  const delivered: Record<number, number> = {};
  for (const [k, v] of Object.entries(h.delivered)) if (Number(k) >= from - BUCKET_MS) delivered[Number(k)] = v;
  return { samples: h.samples.filter((s) => s.t >= from), delivered };
}

export function addSample(h: History, t: number, queued: number): History {
  const last = h.samples[h.samples.length - 1];
  // Keep a change at once (so the line shows it), otherwise one point a minute.
  if (last && t - last.t < SAMPLE_EVERY_MS && last.queued === queued) return h;
  return prune({ ...h, samples: [...h.samples, { t, queued }] }, t);
}

export function addDelivery(h: History, t: number): History {
  const bucket = Math.floor(t / BUCKET_MS) * BUCKET_MS;
  return { ...h, delivered: { ...h.delivered, [bucket]: (h.delivered[bucket] ?? 0) + 1 } };
}
