// Electron's entry point (package.json "main"; bin/start.js launches it).
// Plain JavaScript (.mjs) so Electron can load it whatever its Node version does
// with TypeScript; it registers tsx's ESM loader first and imports the real main
// process, electron/desktop.ts, through it.
// test/electron/main.test.ts checks it parses as plain JavaScript.
import { register } from 'tsx/esm/api';

register();
// Awaited, so the imports finish before `ready` (they have no side effects).
const { startDesktop } = await import('./desktop.ts');
// Not awaited: Electron emits `ready` only after the entry module has finished
// evaluating, and startDesktop waits for `ready` — a top-level await here would
// hang the app (Electron docs, "ES Modules (ESM) in Electron", caveats).
startDesktop().catch((err) => {
  // startDesktop has already shown the error dialog and asked the app to quit.
  console.error(`mailstop: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
