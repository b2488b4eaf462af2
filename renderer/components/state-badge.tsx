// One word and one colour per queue state, wherever a state is shown (table,
// drawer): "Held" for hold, as the filter says, never HOLD in one place and Held
// in another. Plain spans: the table draws one per row on every scroll step.
import css from './state-badge.module.css';

export const STATE_LABEL: Record<string, string> = {
  active: 'Active', deferred: 'Deferred', hold: 'Held', sent: 'Sent', pending: 'Pending', bounced: 'Bounced',
};

export function StateBadge({ state }: { state: string }) {
  return <span className={`${css.badge} ${css[state] ?? ''}`} data-state={state}>{STATE_LABEL[state] ?? state}</span>;
}
