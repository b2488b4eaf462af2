// Queue filtering for the Queue page: by state, sender, recipient, domain and free
// text. The form's shape lives here; the matching itself is the engine's
// (engine/queue-view.ts filterEntries), which runs next to the queue index so a
// keystroke over 100 000 messages sends a filter, not the list.
import type { QueueState } from '../../../engine/contracts.ts';
import type { QueueViewFilter } from '../../../engine/api.ts';

export interface QueueFilter {
  state: QueueState | 'all';
  sender: string;
  recipient: string;
  domain: string;
  text: string;
}

export const EMPTY_FILTER: QueueFilter = { state: 'all', sender: '', recipient: '', domain: '', text: '' };

export function isEmptyFilter(f: QueueFilter): boolean {
  return f.state === 'all' && !f.sender.trim() && !f.recipient.trim() && !f.domain.trim() && !f.text.trim();
}

/** The filter as the engine takes it: only the parts given, so an empty form sends `{}`. */
export function toViewFilter(f: QueueFilter): QueueViewFilter {
  const out: QueueViewFilter = {};
  if (f.state !== 'all') out.state = f.state;
  for (const k of ['sender', 'recipient', 'domain', 'text'] as const) if (f[k].trim()) out[k] = f[k];
  return out;
}
