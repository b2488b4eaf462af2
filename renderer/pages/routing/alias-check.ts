// Warns, before saving, about alias members nobody can receive for: a local name
// that is neither a user, a mailbox nor another alias, or an address at one of our
// domains that does not resolve. Saved silently, such an alias would turn into
// "550 User unknown" bounces later. Asks the engine's address tester
// (testAddress, `sendmail -bv`) — the same resolver delivery uses — never guesses.
import { useEffect, useState } from 'react';
import type { MailstopClient } from '../../api/client.ts';

/** Members checked per page view: enough for any real aliases file's local names. */
const MAX_CHECKS = 100;
/** Wait for typing to pause before asking. */
const DEBOUNCE_MS = 400;

/** The address to test for a member, or null when it is not a recipient (file, program, /dev/null, include). */
export function memberAddress(target: string, hostname: string): string | null {
  const t = target.replace(/^"|"$/g, '').trim();
  if (t === '' || t.startsWith('/') || t.startsWith('|') || t.toLowerCase().startsWith(':include:')) return null;
  const bare = t.replace(/^\\/, '');
  return bare.includes('@') ? bare : `${bare}@${hostname}`;
}

/** member (as typed) → why nobody receives mail for it; only members that fail. */
export function useUnreachableMembers(client: MailstopClient, hostname: string | undefined, members: string[], aliasNames: Set<string>): Map<string, string> {
  const [bad, setBad] = useState<Map<string, string>>(new Map());
  const key = JSON.stringify([hostname, [...new Set(members)].sort(), [...aliasNames].sort()]);
  useEffect(() => {
    if (!hostname) return;
    let live = true;
    const t = setTimeout(() => {
      // A member that names an alias on this page resolves once saved: not a problem.
      const todo = [...new Set(members)].filter((m) => !aliasNames.has(m.trim().toLowerCase())).slice(0, MAX_CHECKS);
      void Promise.all(todo.map(async (m): Promise<[string, string] | null> => {
        const address = memberAddress(m, hostname);
        if (!address) return null;
        try {
          const r = await client.testAddress(address);
          const f = r.failures[0];
          return f ? [m, f.reason] : null;
        } catch {
          return null;
        }
      })).then((found) => { if (live) setBad(new Map(found.filter((x): x is [string, string] => x !== null))); });
    }, DEBOUNCE_MS);
    return () => { live = false; clearTimeout(t); };
  }, [client, key]); // eslint-disable-line react-hooks/exhaustive-deps
  return bad;
}
