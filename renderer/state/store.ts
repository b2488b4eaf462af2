// A minimal external store for React's useSyncExternalStore: a value, a way to
// replace it, and listeners. Notifications are coalesced so a burst of engine
// events (a flush of thousands of messages) re-renders at most once per frame.
import { useSyncExternalStore } from 'react';

/** ~20 renders a second keeps the queue live without repainting per event. */
const COALESCE_MS = 50;

export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T), now?: boolean): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    timer = null;
    for (const l of [...listeners]) l();
  };
  return {
    get: () => value,
    set(next, now = false) {
      value = typeof next === 'function' ? (next as (p: T) => T)(value) : next;
      if (now) {
        if (timer) clearTimeout(timer);
        notify();
      } else if (!timer) {
        timer = setTimeout(notify, COALESCE_MS);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}
