// Debian's Chromium for the browser tests, driven by playwright-core (a test tool's own
// browser download fails here). One place for its path and flags: no sandbox (root in
// CI), no GPU, and none of the background traffic a fresh profile would start.
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EngineApi } from '../../engine/api.ts';
import { startConsole, type ConsoleHandle } from '../../engine/console/index.ts';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Collects the page's uncaught errors and console errors, so a test can assert there were none. */
export function collectPageErrors(page: Page, into: string[]): void {
  page.on('pageerror', (err) => into.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') into.push(`console: ${msg.text()}`); });
}

/**
 * The headless console for `engine` on an ephemeral loopback port, and Chromium on
 * its Overview page at 1280 × 900 with page errors collected: how each page test starts.
 */
export async function openConsoleInChromium(engine: EngineApi, opts: { home: string; staticDir: string; pageErrors: string[] }):
  Promise<{ consoleHandle: ConsoleHandle; browser: Browser; page: Page }> {
  const consoleHandle = await startConsole(engine, { address: '127.0.0.1', port: 0, home: opts.home, staticDir: opts.staticDir });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  collectPageErrors(page, opts.pageErrors);
  await page.goto(consoleHandle.url);
  await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
  return { consoleHandle, browser, page };
}
