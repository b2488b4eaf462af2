// Hash routing (`#/queue`): works the same from the console's http:// origin and
// from Electron's file:// page, and needs no server-side routes.
import { useSyncExternalStore } from 'react';

function current(): string {
  const path = window.location.hash.replace(/^#/, '');
  return path.startsWith('/') ? path : '/';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function useRoute(): string {
  return useSyncExternalStore(subscribe, current, () => '/');
}

export function navigate(path: string): void {
  window.location.hash = path;
}
