import { defineConfig } from 'vitest/config';

// Tests talk to real servers on loopback, so they get generous timeouts; speed is
// measured in `npm run bench`, never here. MAILSTOP_FROM_SOURCE=1: every `mailstop`
// and Electron entry a test spawns runs the current sources through tsx, never a
// dist/ that may be older; test/build.test.ts builds into a scratch directory and
// runs that build.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    server: { deps: { inline: ['electron-store'] } },
    env: { MAILSTOP_FROM_SOURCE: '1' },
  },
});
