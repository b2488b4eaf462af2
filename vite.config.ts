// Builds the renderer (renderer/index.html → dist/renderer). `base: './'` keeps
// asset URLs relative so the same build loads from the console (http://) and from
// Electron (file://). The engine is never bundled: the renderer imports only types
// and the method-name list from engine/api.ts.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./renderer/', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer/', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    // Mantine + React are one chunk of ~500 kB; that is fine for a local app.
    chunkSizeWarningLimit: 1500,
  },
});
