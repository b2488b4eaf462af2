// Asks the engine for the part of the queue a view draws (listQueuePage) and asks
// again when the question changes or the queue does (the live store's queueVersion).
// Never holds the whole queue: with 100 000 messages that is 40 MB of JSON.
import { useEffect, useRef, useState } from 'react';
import type { QueuePage, QueuePageQuery } from '../../../engine/api.ts';
import type { MailstopClient } from '../../api/client.ts';
import { takePrefetched } from '../../state/queue-prefetch.ts';

export interface QueueWindow { page: QueuePage | null; error: string | null }

/**
 * A new question (filter, scroll window) is sent at once and the older answer is
 * ignored: a keystroke must not wait. A queue change alone waits for the request in
 * flight and is then asked once — a flush sends thousands of events, and one
 * request per batch of them would keep the engine busy answering.
 */
export function useQueueWindow(client: MailstopClient, query: QueuePageQuery, version: number): QueueWindow {
  const [state, setState] = useState<QueueWindow>({ page: null, error: null });
  const key = JSON.stringify(query);
  const r = useRef({ seq: 0, busy: false, dirty: false, key: '', version: -1, alive: true });

  useEffect(() => {
    const s = r.current;
    s.alive = true;
    return () => { s.alive = false; };
  }, []);

  useEffect(() => {
    const s = r.current;
    const versionOnly = s.key === key && s.version !== version;
    s.key = key;
    s.version = version;
    if (versionOnly && s.busy) {
      s.dirty = true;
      return;
    }
    const ask = (): void => {
      const seq = ++s.seq;
      s.busy = true;
      s.dirty = false;
      (takePrefetched(s.key) ?? client.listQueuePage(JSON.parse(s.key) as QueuePageQuery)).then(
        (page) => { if (s.alive && seq === s.seq) setState({ page, error: null }); },
        (err: unknown) => { if (s.alive && seq === s.seq) setState((st) => ({ page: st.page, error: err instanceof Error ? err.message : String(err) })); },
      ).finally(() => {
        if (seq !== s.seq) return;
        s.busy = false;
        if (s.dirty && s.alive) ask();
      });
    };
    ask();
  }, [client, key, version]);

  return state;
}
