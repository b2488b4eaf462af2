// Builds the renderer (renderer/index.html → dist/renderer). `base: './'` keeps
// asset URLs relative so the same build loads from the console (http://) and from
// Electron (file://). The engine is never bundled: the renderer imports only types
// and the method-name list from engine/api.ts.
//
// Each page is its own chunk (React.lazy in renderer/pages/index.ts); React and
// Mantine form a vendor chunk that every page shares and that stays cached across
// releases that change only our code. Every asset is also written brotli- and
// gzip-compressed beside itself (`x.js.br`, `x.js.gz`) for the console to serve
// as is (engine/console/static.ts); Electron loads the plain files.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('./renderer/', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer/', import.meta.url));
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Pre-compress the built assets: the console then never compresses at request time. */
function precompress(): Plugin {
  let dir = outDir;
  return {
    name: 'mailstop-precompress',
    apply: 'build',
    configResolved(config) { dir = config.build.outDir; },
    async closeBundle() {
      const assets = path.join(dir, 'assets');
      const names = await fs.readdir(assets).catch(() => [] as string[]);
      await Promise.all(names.filter((n) => /\.(js|css|svg|json)$/.test(n)).map(async (n) => {
        const raw = await fs.readFile(path.join(assets, n));
        if (raw.length < 1024) return;
        const [br, gz] = await Promise.all([
          brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
          gzip(raw, { level: 9 }),
        ]);
        await Promise.all([fs.writeFile(path.join(assets, `${n}.br`), br), fs.writeFile(path.join(assets, `${n}.gz`), gz)]);
      }));
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    // The vendor chunk (React + Mantine) is ~500 kB raw, ~130 kB as brotli; a test
    // build with React's development code is larger. Fine for a local app.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (/node_modules\/(react|react-dom|scheduler|@mantine|@floating-ui|react-remove-scroll|react-style-singleton|use-callback-ref|use-sidecar|get-nonce|tslib|clsx|react-number-format|react-textarea-autosize)\//.test(id)) return 'vendor';
          return undefined;
        },
      },
    },
  },
});
