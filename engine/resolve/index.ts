// The resolve stage: where does mail for one address go? Order (DESIGN.md):
// local domains → aliases → forward → local user → catch-all (luserRelay) →
// mailertable routes → smart host → MX. The answer carries a trace that the
// address tester (`sendmail -bv`, the UI) prints line by line.
// Resolve answers questions: it reads settings, mailbox directories, /etc/passwd,
// :include: and ~/.forward files, and never writes anything.
import { readFile } from 'node:fs/promises';
import type { Resolution, ResolveStep } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';
import { resolveAddress } from './expand.ts';
import { createUserDirectory } from './local-users.ts';
import { fail, step, verdicts, type MxLookup, type Walk } from './walk.ts';

/** Our own uid never changes while we run; asked once, not per address. */
const OUR_UID = process.getuid?.() ?? -1;

export type { MxLookup } from './walk.ts';
export { parseAddress, isLocalDomain } from './address.ts';
export { findRoute, routeTarget, formatRoute } from './routes.ts';
export { parseTarget, splitTargets, type Target } from './targets.ts';

export interface Resolver {
  resolve(address: string): Promise<Resolution>;
}

export interface ResolverDeps {
  /** Read on every resolve(), so a settings change applies to the next message. */
  settings: Settings | (() => Settings);
  /** The data directory; mailboxes live under <home>/<localDelivery.mailboxDir>. */
  home: string;
  /** Used only to show MX hosts in the trace; delivery does its own lookup. */
  dns?: MxLookup;
  /** System accounts file; '' disables system users (tests). Default /etc/passwd. */
  passwdFile?: string;
}

export function createResolver(deps: ResolverDeps): Resolver {
  const settingsOf = typeof deps.settings === 'function' ? deps.settings : () => deps.settings as Settings;
  return {
    async resolve(address) {
      const settings = settingsOf();
      const original = address.trim().replace(/^<(.*)>$/, '$1');
      const w: Walk = {
        settings,
        users: createUserDirectory({ settings, home: deps.home, passwdFile: deps.passwdFile ?? '/etc/passwd' }),
        ...(deps.dns ? { dns: deps.dns } : {}),
        readText: (path) => readFile(path, 'utf8'),
        original,
        trace: [],
        destinations: [],
        failures: [],
        seen: new Set(),
        uid: OUR_UID,
      };
      step(w, 'input', original);
      await resolveAddress(w, original, 0, []);
      // "No message is dropped silently": an expansion that ends in nothing bounces.
      if (w.destinations.length === 0 && w.failures.length === 0) {
        fail(w, original, '5.1.1', 'expands to no recipients');
      }
      verdicts(w);
      return { destinations: w.destinations, failures: w.failures, trace: w.trace };
    },
  };
}

/** "alias: postmaster → root" — the address tester's lines. */
export function formatTrace(trace: readonly ResolveStep[]): string[] {
  return trace.map((s) => `${s.stage}: ${s.detail}`);
}
