// Debian's Chromium for the browser tests, driven by playwright-core (a test tool's own
// browser download fails here). One place for its path and flags: no sandbox (root in
// CI), no GPU, and none of the background traffic a fresh profile would start.
import { chromium, type Browser, type Page } from 'playwright-core';

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
