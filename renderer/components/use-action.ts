// A button's work: busy while it runs (the button shows it and refuses a second
// click), and its failure in words, cleared when it runs again. The one shape of
// the console's tester and action buttons.
import { useState } from 'react';
import { errorText } from '../lib/errors.ts';

export function useAction(): {
  busy: boolean;
  error: string | null;
  /** Runs `fn`; a failure becomes `error`, after `onError` (e.g. clearing a stale result). */
  act(fn: () => Promise<unknown>, onError?: () => void): Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function act(fn: () => Promise<unknown>, onError?: () => void): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      onError?.();
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, act };
}
