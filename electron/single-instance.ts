// One Mailstop per user: a second start would fight the first over the spool
// and the SMTP ports. The second process hands over to the first (which shows
// its window) and quits. Owns only the lock; main.ts decides what "show" means.
import type { App } from 'electron';

type AppLike = Pick<App, 'requestSingleInstanceLock' | 'quit'> & { on(event: 'second-instance', listener: () => void): unknown };

/**
 * True when this process is the one instance. Otherwise the app is asked to
 * quit and false is returned: start nothing else (no engine, no window).
 */
export function claimSingleInstance(app: AppLike, onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => onSecondInstance());
  return true;
}
