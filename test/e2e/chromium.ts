// Debian's Chromium for the browser tests, driven by playwright-core (a test tool's own
// browser download fails here). One place for its path and flags: no sandbox (root in
// CI), no GPU, and none of the background traffic a fresh profile would start.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import type { EngineApi } from '../../engine/api.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { startConsole, type ConsoleHandle } from '../../engine/console/index.ts';
import { createEngine, type Engine } from '../../engine/index.ts';

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

/** Go to a page by its name in the navigation, and wait for its heading. */
export async function openPage(p: Page, label: string): Promise<void> {
  await p.getByRole('navigation', { name: 'Pages' }).getByText(label, { exact: true }).click();
  await p.getByRole('heading', { name: label, level: 2 }).waitFor();
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Where page tests leave their screenshots. */
export const ARTIFACTS = path.join(REPO, 'test-artifacts');

export interface PageWorld { home: string; engine: Engine; page: Page; close(): Promise<void> }

/**
 * A page test's world: a fresh data directory with the UI built into it (our own
 * build directory: other test runs may be building dist/ at the same moment), an
 * engine on `settings` with loopback listeners, no console port of its own and mail
 * held (queueonly, no online probe) unless `settings` says otherwise, and Chromium on
 * its console (openConsoleInChromium). `prepare` runs on the data directory before
 * the engine starts. close() undoes it all.
 */
export async function startPageWorld(name: string, settings: SettingsInput, pageErrors: string[],
  prepare?: (home: string) => Promise<void>): Promise<PageWorld> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), `mailstop-e2e-${name}-`));
  // Undone in reverse, by close() or at once when a later step fails.
  const undo: (() => Promise<unknown>)[] = [() => fs.rm(home, { recursive: true, force: true })];
  const close = async () => { while (undo.length) await undo.pop()!(); };
  try {
    const uiDir = path.join(home, 'ui');
    await build({ configFile: path.join(REPO, 'vite.config.ts'), logLevel: 'warn', build: { outDir: uiDir, emptyOutDir: true } });
    await fs.mkdir(ARTIFACTS, { recursive: true });
    await prepare?.(home);
    const engine = await createEngine({
      home, passwdFile: '',
      settings: {
        listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
        console: { port: false },
        delivery: { mode: 'queueonly', online: { probe: 'none' } },
        ...settings,
      },
    });
    undo.push(() => engine.stop());
    await engine.start();
    const { consoleHandle, browser, page } = await openConsoleInChromium(engine, { home, staticDir: uiDir, pageErrors });
    undo.push(() => consoleHandle.close(), () => browser.close());
    return { home, engine, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}
