import { defineConfig } from 'vitest/config';

// Tests talk to real servers on loopback, so they get generous timeouts; speed is
// measured in `npm run bench`, never here.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    server: { deps: { inline: ['electron-store'] } },
  },
});
