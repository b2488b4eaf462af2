// Queue windows asked for before the page renders the question: the first window
// while the app is still starting (when it opens on the Queue page, the engine
// computes the first rows while React mounts, not after), and a filter keystroke's
// window from the key handler (sent before React re-renders the page). The page's
// own request (use-queue-window.ts) takes the answer when the question matches.
import type { QueuePage, QueuePageQuery } from '../../engine/api.ts';
import type { MailstopClient } from '../api/client.ts';

/**
 * Rows per request: a screen shows ~15 rows of 40 px, so 120 leave 40 rows of slack
 * above and ~65 below before the page asks again, and the answer stays ~70 KB.
 */
export const QUEUE_WINDOW_ROWS = 120;
/** A prefetched answer older than this is not used: the page asks afresh. */
const FRESH_MS = 5000;

/** Prefetches not yet taken; a new question replaces older ones (only the latest can match). */
let prefetched: { key: string; at: number; promise: Promise<QueuePage> } | null = null;

export function firstQueueQuery(): QueuePageQuery {
  return { filter: {}, offset: 0, limit: QUEUE_WINDOW_ROWS };
}

/** Start asking for the first window if the app opens on the Queue page. */
export function prefetchQueue(client: MailstopClient): void {
  if (typeof location === 'undefined' || !/^#\/queue\b/.test(location.hash)) return;
  prefetchQueuePage(client, firstQueueQuery());
}

/** Ask now; the page's request for the same question will take this answer. */
export function prefetchQueuePage(client: MailstopClient, query: QueuePageQuery): void {
  const promise = client.listQueuePage(query);
  // An unused failed prefetch must not be reported as unhandled: the page asks again.
  promise.catch(() => undefined);
  prefetched = { key: JSON.stringify(query), at: Date.now(), promise };
}

/** The prefetched answer to exactly this question, once; null when there is none. */
export function takePrefetched(key: string): Promise<QueuePage> | null {
  const p = prefetched;
  prefetched = null;
  return p && p.key === key && Date.now() - p.at < FRESH_MS ? p.promise : null;
}
