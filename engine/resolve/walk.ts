// The state of one resolution while it walks aliases, forwards and routes: the
// trace it prints, the destinations and failures it collects. Nothing here
// touches the file system; `readText` and `users` are the only reads, injected.
import type { Destination, Resolution, ResolveStep } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';
import type { UserDirectory } from './local-users.ts';

/** What the resolver needs from engine/dns: MX records, as node:dns returns them. */
export interface MxLookup {
  resolveMx(name: string): Promise<{ exchange: string; priority: number }[]>;
}

/** How a name on the expansion path was expanded; used to name a loop. */
export interface Hop { name: string; via: 'alias' | 'forward' }

export interface Walk {
  settings: Settings;
  users: UserDirectory;
  dns?: MxLookup;
  readText(path: string): Promise<string>;
  /** The address resolve() was asked about; every destination carries it as `original`. */
  original: string;
  trace: ResolveStep[];
  destinations: Destination[];
  failures: Resolution['failures'];
  seen: Set<string>;
  /** The process's uid, to decide whether ~/.forward programs may run (see expand.ts). */
  uid: number;
}

/**
 * Sendmail's MAXRCRSN: ten levels of aliasing/forwarding. Real configurations
 * nest two or three deep; more is a loop the path check did not name (e.g. through
 * :include: files or routes), so it is stopped and reported.
 */
export const MAX_DEPTH = 10;

export function step(w: Walk, stage: ResolveStep['stage'], detail: string): void {
  w.trace.push({ stage, detail });
}

export function fail(w: Walk, address: string, status: string, reason: string): void {
  if (w.failures.some((f) => f.address === address && f.reason === reason)) return;
  w.failures.push({ address, status, reason });
}

type NewDestination = Omit<Destination, 'original'>;

/** Adds a destination once: the same mailbox, file, program or remote address twice is one delivery. */
export function addDestination(w: Walk, d: NewDestination): void {
  const who = d.transport === 'local' || d.transport === 'discard' ? '' : d.address.toLowerCase();
  const key = [d.transport, d.nexthop, d.port ?? '', who].join('\0');
  if (w.seen.has(key)) return;
  w.seen.add(key);
  w.destinations.push({ ...d, original: w.original });
}

/** The last lines of a trace: one verdict per destination and per failure. */
export function verdicts(w: Walk): void {
  for (const d of w.destinations) step(w, 'verdict', describe(d));
  for (const f of w.failures) step(w, 'verdict', `bounce ${f.address}: ${f.status} ${f.reason}`);
}

export function describe(d: Destination): string {
  switch (d.transport) {
    case 'local': return `deliver via local to mailbox ${d.nexthop}`;
    case 'pipe': return `deliver via pipe to |${d.nexthop}`;
    case 'file': return `deliver via file to ${d.nexthop}`;
    case 'discard': return 'discard (/dev/null)';
    case 'error': return `defer: ${d.nexthop}`;
    case 'smtp': {
      const port = d.port !== undefined ? `:${d.port}` : '';
      const how = d.smartHost ? `${d.mailer}, smart host` : d.mailer;
      return `deliver via smtp to ${d.nexthop}${port} (${how}) for ${d.address}`;
    }
  }
}
