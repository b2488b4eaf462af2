// The delivery modes in words: one table, so the Delivery page, the header, the
// tray, README and `mailstop status` say the same thing for the same mode
// (issue 10 §1). Also the old names config.json files may still carry.
// Owns only names and sentences; what a mode does is qmgr's.

/** `delivery.mode` values. `whenonline` is the laptop mode; the other two are Sendmail's own. */
export const DELIVERY_MODES = ['whenonline', 'queueonly', 'deferred'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/**
 * Names earlier versions wrote. `background` was Sendmail's name for "deliver at
 * once"; it always obeyed the online gate, which is exactly `whenonline` (with
 * `delivery.online.probe: none` the gate is always open: Sendmail's background).
 */
export const OLD_MODE_NAMES: Readonly<Record<string, DeliveryMode>> = { background: 'whenonline' };

/** An old name becomes its new one; anything else is left for the schema to judge. */
export function migrateMode(value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(OLD_MODE_NAMES, value) ? OLD_MODE_NAMES[value] : value;
}

export interface ModeWords {
  /** The name a person picks it by. */
  label: string;
  /** Short form for a header badge or a tray tooltip. */
  short: string;
  /** One or two sentences: what happens to mail in this mode. */
  help: string;
}

export const MODE_WORDS: Readonly<Record<DeliveryMode, ModeWords>> = {
  whenonline: {
    label: 'Send when online, hold when offline',
    short: 'send when online',
    help: 'Online: every message goes at once. Offline: nothing is tried (no DNS, no connection); mail waits as '
      + '"waiting: offline" and leaves by itself when the network is back. Local mailboxes get theirs at once either way.',
  },
  queueonly: {
    label: 'Queue only: send at queue runs',
    short: 'queue only',
    help: 'Mail for other hosts waits for the next scheduled queue run or Flush (Sendmail queueonly). '
      + 'Local mailboxes get theirs at once.',
  },
  deferred: {
    label: 'Hold everything until a queue run or Flush',
    short: 'holding all mail',
    help: 'Nothing is sent, not even to local mailboxes, until a scheduled queue run or Flush, online or not '
      + '(Sendmail deferred). The tray\'s Hold all.',
  },
};

/** "Send when online, hold when offline" — for any string, old names included. */
export function modeLabel(mode: string): string {
  const m = migrateMode(mode) as DeliveryMode;
  return MODE_WORDS[m]?.label ?? mode;
}
