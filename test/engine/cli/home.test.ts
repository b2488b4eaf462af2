// Which data directory a command means when none is named: the same one the
// desktop app hosts (~/.mailstop), or — for a user without one on a machine
// where Mailstop is installed — the system instance, so mail is never stranded.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { resolveHome, SYSTEM_HOME } from '../../../engine/cli/io.ts';
import { defaultHome } from '../../../electron/desktop.ts';

vi.mock('electron', () => import('../../electron/fake-electron.ts'));

const personal = path.join(os.homedir(), '.mailstop');
const installed = path.join(SYSTEM_HOME, 'install.json');

describe('resolveHome', () => {
  const cases: { name: string; flag?: string; env: NodeJS.ProcessEnv; present: string[]; want: string }[] = [
    { name: '--home wins', flag: 'x', env: { MAILSTOP_HOME: '/y' }, present: [installed], want: path.resolve('x') },
    { name: 'then MAILSTOP_HOME', env: { MAILSTOP_HOME: '/y' }, present: [installed], want: '/y' },
    { name: 'then ~/.mailstop when it exists', env: {}, present: [personal, installed], want: personal },
    { name: '~/.mailstop on a machine without an install', env: {}, present: [], want: personal },
    { name: 'the system instance for a user with no ~/.mailstop on an installed machine', env: {}, present: [installed], want: SYSTEM_HOME },
  ];
  for (const tc of cases) {
    it(tc.name, () => {
      expect(resolveHome(tc.flag, tc.env, { exists: (p) => tc.present.includes(p) })).toBe(tc.want);
    });
  }

  it('the desktop app never takes the system instance', () => {
    expect(resolveHome(undefined, {}, { systemFallback: false, exists: (p) => p === installed })).toBe(personal);
    expect(defaultHome({})).toBe(personal);
  });
});
