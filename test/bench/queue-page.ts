// Issue 4 "Measured": the console's Queue page with 100 000 messages queued, in
// Debian's Chromium via playwright-core — first render (navigation start → every
// message counted and the first rows drawn; aim < 300 ms) and one keystroke in the
// Recipient filter (key down → the filtered list drawn; aim < 100 ms). Reference: the same page over
// 100 queued messages, in the same browser.
//
// The engine runs in its own process (host.ts) with its console on port 0; the
// spool is seeded directly (seed.ts). The renderer is the built dist/renderer when it
// is newer than every source file, otherwise a fresh build into a temp directory.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { startHost } from './host-client.ts';
import { seedSpool } from './seed.ts';
import {
  REPO, fmtMs, fmtTimes, median, row, scaled, timed, verdict, type BenchContext, type Measure, type Row, type StartedEngine,
} from './util.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const QUEUED = 100_000;
const REFERENCE = 100;
const AIM_RENDER_MS = 300;
const AIM_KEY_MS = 100;
/**
 * Typed into the Recipient filter. The seeded recipients (rcpt<i % 5000>@domain<i % 300>.example)
 * make the result known and partial, so the shown count must change. (The Text filter
 * would also search queue IDs, whose process part may contain any character.)
 */
const KEY = '7';
/** A keystroke that changes nothing on screen would otherwise wait forever. */
const KEY_TIMEOUT_MS = 30_000;
const PAGE_TIMEOUT_MS = 120_000;
/** Page loads per queue size: one warm-up, then the median of the rest. */
const ROUNDS = 3;

interface PageTimes { render: number; dcl: number; key: number; shownAfterKey: string; errors: string[] }
interface Round { render: number; dcl: number; key: number; text: string }

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? await newestMtime(p) : (await fsp.stat(p)).mtimeMs);
  }
  return newest;
}

/** A renderer build that matches the sources: dist/renderer if current, else a fresh one in a temp dir. */
async function rendererDir(ctx: BenchContext): Promise<string> {
  const dist = path.join(REPO, 'dist/renderer');
  const index = path.join(dist, 'index.html');
  if (existsSync(index) && (await fsp.stat(index)).mtimeMs >= await newestMtime(path.join(REPO, 'renderer'))) return dist;
  const out = await ctx.tmpdir('renderer');
  ctx.log('building the renderer into a temp directory (dist/renderer is missing or older than renderer/)');
  const { build } = await import('vite');
  await build({ configFile: path.join(REPO, 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  return out;
}

async function measurePage(ctx: BenchContext, browser: Browser, staticDir: string, n: number): Promise<PageTimes> {
  // tmpfs: creating 200 000 small files is slow on this disk and is not what is measured.
  const home = await ctx.tmpdir('queue-page', 'memory');
  const seeded = await timed(async () => seedSpool(path.join(home, 'spool'), n));
  const host = await startHost(ctx, 'engine');
  const started = await host.call<StartedEngine>('startEngine', home, {
    hostname: 'bench.localhost',
    listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
    console: { port: false },
    // Nothing may leave: hold everything, and keep warn/return clocks far away.
    delivery: { mode: 'deferred', queueRun: '0 0 1 1 *', online: { probe: 'none' }, queueWarn: '10w', queueReturn: '20w' },
    dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
  });
  if (started.total !== n) throw new Error(`the engine recovered ${started.total} of ${n} seeded messages`);
  ctx.log(`${n} queued: seeded in ${fmtMs(seeded.ms)}, engine start ${fmtMs(started.startMs)}`);
  const { url } = await host.call<{ url: string }>('startConsole', home, staticDir);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  ctx.defer(() => context.close());
  const errors: string[] = [];
  // The printed URL trades its token for a cookie; that visit also fills the browser cache, as for a returning user.
  const login = await context.newPage();
  await login.goto(url);
  await login.getByRole('heading', { level: 2 }).first().waitFor({ timeout: PAGE_TIMEOUT_MS });
  await login.close();

  const origin = new URL(url).origin;
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await loadOnce(context, origin, n, errors));
  // The first round warms Chromium (code cache, JIT) and the engine's listQueue path.
  const measured = rounds.slice(1);
  await context.close();
  await host.call('stopEngine');
  await host.stop();
  return {
    render: median(measured.map((r) => r.render)), dcl: median(measured.map((r) => r.dcl)), key: median(measured.map((r) => r.key)),
    shownAfterKey: measured[0].text, errors,
  };
}

/** One fresh tab on the Queue page: navigation start → rows drawn, then one keystroke in the Recipient filter. */
async function loadOnce(context: BrowserContext, origin: string, n: number, errors: string[]): Promise<Round> {
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${origin}/#/queue`, { waitUntil: 'commit' });
  // performance.now() counts from this document's navigation start.
  const rendered = await page.waitForFunction((want: string) => {
    const shown = document.querySelector('[data-testid="queue-shown"]');
    return shown?.textContent === want && document.querySelector('[data-testid="queue-row"]') ? performance.now() : false;
  }, `${n} of ${n} messages`, { polling: 'raf', timeout: PAGE_TIMEOUT_MS });
  const render = (await rendered.jsonValue()) as number;
  // Where the time went: the document and its script vs. fetching and drawing the queue.
  const dcl = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd);

  // From key down to the frame after the shown count changed.
  await page.getByRole('textbox', { name: 'Recipient', exact: true }).focus();
  await page.evaluate((timeoutMs: number) => {
    const w = window as unknown as { benchKey: Promise<{ ms: number; text: string }> };
    const shown = document.querySelector('[data-testid="queue-shown"]')!;
    const before = shown.textContent;
    w.benchKey = new Promise((resolve, reject) => {
      let t0 = 0;
      setTimeout(() => reject(new Error(`the shown count stayed "${before}" after the keystroke`)), timeoutMs);
      window.addEventListener('keydown', () => { t0 = performance.now(); }, { once: true, capture: true });
      const obs = new MutationObserver(() => {
        if (shown.textContent === before) return;
        obs.disconnect();
        requestAnimationFrame(() => setTimeout(() => resolve({ ms: performance.now() - t0, text: shown.textContent ?? '' }), 0));
      });
      obs.observe(shown, { childList: true, subtree: true, characterData: true });
    });
  }, KEY_TIMEOUT_MS);
  await page.keyboard.press(KEY);
  const key = await page.evaluate(() => (window as unknown as { benchKey: Promise<{ ms: number; text: string }> }).benchKey);
  await page.close();
  return { render, dcl, key: key.ms, text: key.text };
}

export const queuePage: Measure = async (ctx) => {
  const skip = (why: string): Row[] => [row('queue page', { value: `skipped: ${why}`, verdict: 'skip' })];
  if (!existsSync(CHROMIUM)) return skip(`${CHROMIUM} not found`);
  if (!existsSync(path.join(REPO, 'engine/console/index.ts'))) return skip('console not available (engine/console/index.ts)');
  if (!existsSync(path.join(REPO, 'renderer/index.html'))) return skip('renderer not available (renderer/index.html)');
  const n = scaled(ctx, QUEUED, 1000);
  const staticDir = await rendererDir(ctx);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  ctx.defer(() => browser.close());

  const ref = await measurePage(ctx, browser, staticDir, REFERENCE);
  const big = await measurePage(ctx, browser, staticDir, n);
  ctx.log(`DOMContentLoaded at ${fmtMs(big.dcl)} (reference ${fmtMs(ref.dcl)}); after "${KEY}": ${big.shownAfterKey} (reference: ${ref.shownAfterKey})`);
  for (const e of [...ref.errors, ...big.errors]) ctx.log(`page error: ${e}`);
  return [
    row(`queue page first render, ${n} queued`, {
      value: fmtMs(big.render), reference: `${fmtMs(ref.render)} @ ${REFERENCE}`, ratio: fmtTimes(big.render / ref.render),
      aim: '< 300 ms', verdict: verdict(big.render < AIM_RENDER_MS),
    }),
    row(`queue page recipient-filter keystroke, ${n} queued`, {
      value: fmtMs(big.key), reference: `${fmtMs(ref.key)} @ ${REFERENCE}`, ratio: fmtTimes(big.key / ref.key),
      aim: '< 100 ms', verdict: verdict(big.key < AIM_KEY_MS),
    }),
  ];
};
