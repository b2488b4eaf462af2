// Electron's entry point (package.json "main"; bin/start.js launches it).
// Plain JavaScript (.mjs): it imports the compiled main process,
// dist/electron/desktop.js (`npm run build`; `npm start` builds when needed).
// MAILSTOP_FROM_SOURCE=1 loads electron/desktop.ts through tsx instead (tests,
// development). test/electron/main.test.ts checks it parses as plain JavaScript.
async function loadDesktop() {
  if (process.env.MAILSTOP_FROM_SOURCE === '1') {
    const { register } = await import('tsx/esm/api');
    register();
    return import('./desktop.ts');
  }
  return import('../dist/electron/desktop.js');
}

// Awaited, so the imports finish before `ready` (they have no side effects).
const { startDesktop } = await loadDesktop();
// Not awaited: Electron emits `ready` only after the entry module has finished
// evaluating, and startDesktop waits for `ready` — a top-level await here would
// hang the app (Electron docs, "ES Modules (ESM) in Electron", caveats).
startDesktop().catch((err) => {
  // startDesktop has already shown the error dialog and asked the app to quit.
  console.error(`mailstop: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
