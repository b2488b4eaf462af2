// What any local user may ask an installed instance through its public socket
// (Postfix's public/showq and postqueue -f): the engine's status, the queue
// listing unless smtp.privacy has restrictmailq, and a queue run unless it has
// restrictqrun. Everything else (hold, delete, config, subscribe: the event
// stream carries settings and every message's addresses) needs the private
// socket, i.e. root or the engine's owner. The privacy flags are read at every
// request, so a change applies at once. Decides; never changes anything itself.
import type { EngineApi, FlushOptions } from '../api.ts';
import type { RequestGuard } from './control-socket.ts';

export const NEEDS_OWNER = "permission denied: only root and the mail system's owner may do that (the public socket answers status, mailq and flush)";

export function publicGuard(api: Pick<EngineApi, 'getSettings'>): RequestGuard {
  return async (method, params) => {
    const privacy = new Set((await api.getSettings()).smtp.privacy);
    switch (method) {
      case 'status':
        return { params: [] };
      case 'listQueue':
      case 'mailq': // the same listing, as text (host/index.ts)
        if (privacy.has('restrictmailq')) return { refuse: 'permission denied: the queue may only be listed by root and its owner (smtp.privacy restrictmailq)' };
        return { params: [] };
      case 'flush': {
        if (privacy.has('restrictqrun')) return { refuse: 'permission denied: only root and the queue\'s owner may run the queue (smtp.privacy restrictqrun)' };
        // A queue run, as `sendmail -q` by anyone; never "send now anyway" past hold/deferred mode.
        const asked = (params[0] ?? {}) as FlushOptions;
        const { force: _force, ...rest } = typeof asked === 'object' && asked !== null ? asked : {};
        return { params: [rest] };
      }
      default:
        return { refuse: NEEDS_OWNER };
    }
  };
}
