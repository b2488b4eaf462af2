// Where local mailboxes live: resolve asks it (does this user have a mailbox?) and
// the local transport writes there, so it sits with the settings rather than
// inside either stage (STYLE.md §1b: a table several stages read).
import { isAbsolute, join } from 'node:path';
import type { Settings } from './schema.ts';

/** `localDelivery.mailboxDir`; relative paths are under the data directory. */
export function mailboxRoot(settings: Settings, home: string): string {
  const dir = settings.localDelivery.mailboxDir;
  return isAbsolute(dir) ? dir : join(home, dir);
}
