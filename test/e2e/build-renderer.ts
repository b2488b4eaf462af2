// Builds the renderer for a browser test into a directory of the test's own (other
// runs may be serving dist/ at the same moment). vitest sets NODE_ENV=test, which
// would make vite ship React's development build — several times slower and not
// what people run — so the build runs with NODE_ENV=production.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const repo = fileURLToPath(new URL('../../', import.meta.url));

export async function buildRenderer(outDir: string): Promise<void> {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(repo, 'vite.config.ts'), logLevel: 'warn', mode: 'production', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = before;
  }
}
