// Hands the one Live instance (client + engine picture) to every page.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Live, LiveState } from './live.ts';
import { useStore } from './store.ts';

const LiveContext = createContext<Live | null>(null);

export function LiveProvider({ live, children }: { live: Live; children: ReactNode }) {
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  const live = useContext(LiveContext);
  if (!live) throw new Error('useLive outside LiveProvider');
  return live;
}

export function useLiveState(): LiveState {
  return useStore(useLive().store);
}

/**
 * One part of the live state: the component re-renders only when that part changes
 * (by identity), not on every log line or status poll. `select` must return a
 * value kept from the state (or a primitive), not a fresh object.
 */
export function useLiveSelect<T>(select: (s: LiveState) => T): T {
  const { store } = useLive();
  const get = (): T => select(store.get());
  return useSyncExternalStore(store.subscribe, get, get);
}
