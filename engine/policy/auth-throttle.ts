// Brute-force brake for SMTP AUTH, per client address: every failed attempt is
// answered only after a pause (Postfix smtpd_error_sleep_time), and after
// `maxFailures` failures within `window` the address gets 454 4.7.0 for every
// AUTH until the window has passed — whatever the user name or password, so the
// reply says nothing about which accounts exist. Memory only; never writes.

export interface AuthThrottleOptions {
  /** Failures allowed in one window before the address is locked out. */
  maxFailures?: number;
  /** How long failures are remembered (ms). */
  windowMs?: number;
  /** Pause before answering a failed attempt (ms). */
  failureDelayMs?: number;
  now?: () => number;
}

export interface AuthThrottle {
  /** Is this address locked out right now? */
  locked(address: string): boolean;
  /** Record a failure; resolves after the failure pause. */
  failed(address: string): Promise<void>;
  /** A success forgets the address's failures. */
  succeeded(address: string): void;
  /** Failures currently counted for an address (for the log). */
  failures(address: string): number;
}

/** Five tries: enough for typos in a mail client's settings, too few for guessing. */
const DEFAULT_MAX_FAILURES = 5;
/** Fifteen minutes, like a common fail2ban findtime for SMTP AUTH. */
const DEFAULT_WINDOW_MS = 15 * 60_000;
/** One second per failure (Postfix's smtpd_error_sleep_time default). */
const DEFAULT_FAILURE_DELAY_MS = 1000;
/** Bound on remembered addresses, so a flood of sources cannot grow memory without end. */
const MAX_TRACKED = 10_000;

export function createAuthThrottle(opts: AuthThrottleOptions = {}): AuthThrottle {
  const max = opts.maxFailures ?? DEFAULT_MAX_FAILURES;
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  const delay = opts.failureDelayMs ?? DEFAULT_FAILURE_DELAY_MS;
  const now = opts.now ?? Date.now;
  const seen = new Map<string, { count: number; first: number }>();

  const current = (address: string) => {
    const r = seen.get(address);
    if (r && now() - r.first > windowMs) {
      seen.delete(address);
      return undefined;
    }
    return r;
  };

  return {
    locked: (address) => (current(address)?.count ?? 0) >= max,
    failures: (address) => current(address)?.count ?? 0,
    async failed(address) {
      const r = current(address);
      if (r) r.count++;
      else {
        if (seen.size >= MAX_TRACKED) seen.delete(seen.keys().next().value as string);
        seen.set(address, { count: 1, first: now() });
      }
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    },
    succeeded(address) { seen.delete(address); },
  };
}
