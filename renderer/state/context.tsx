// Hands the one Live instance (client + engine picture) to every page.
import { createContext, useContext, type ReactNode } from 'react';
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
