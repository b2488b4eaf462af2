// A person at the console, in Debian's Chromium: sets a smart host (a loopback
// sink), turns on hold mode, watches three messages sent by SMTP appear in the
// Queue without reloading, presses Flush queue, watches the progress, and the sink
// receives all three. Screenshots of every page land in test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { type Browser, type Page } from 'playwright-core';
import { buildRenderer } from './build-renderer.ts';
import { startConsole, type ConsoleHandle } from '../../engine/console/index.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { startSink, type Sink } from '../helpers/sink.ts';
import { CHROMIUM, collectPageErrors, launchChromium, openPage } from './chromium.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = path.join(repo, 'test-artifacts');

let home: string;
let uiDir: string;
let engine: Engine;
let consoleHandle: ConsoleHandle;
let sink: Sink;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  // Full-page shots of a scrolled page draw the fixed header mid-page; start at the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, `console-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-e2e-'));
  uiDir = path.join(home, 'ui');
  // Build the renderer once, into this test's own directory (other runs may be using dist/).
  await buildRenderer(uiDir);
  await fs.mkdir(artifacts, { recursive: true });
  sink = await startSink({ address: '127.0.0.1', port: 0 });
  engine = await createEngine({
    home, passwdFile: '',
    settings: {
      hostname: 'laptop.test',
      listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
      console: { port: false },
      // Nothing may leave for real DNS: an unanswering resolver on loopback.
      dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
      delivery: { mode: 'whenonline', online: { probe: 'none' } },
    },
  });
  await engine.start();
  consoleHandle = await startConsole(engine, { address: '127.0.0.1', port: 0, home, staticDir: uiDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  collectPageErrors(page, pageErrors);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await consoleHandle?.close();
  await engine?.stop();
  await sink?.close();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe.skipIf(!existsSync(CHROMIUM))('console in a browser', () => {
  it('smart host, hold mode, three messages appear live, Flush queue delivers them', async () => {
    try {
      await personAtTheConsole();
    } catch (err) {
      // What the person saw when it went wrong is the first thing to look at.
      await page.screenshot({ path: path.join(artifacts, 'console-failure.png'), fullPage: true }).catch(() => undefined);
      throw err;
    }
  }, 120_000);
});

async function personAtTheConsole(): Promise<void> {
  {
    // The printed URL works as is: the token becomes a cookie and leaves the address bar.
    await page.goto(consoleHandle.url);
    expect(page.url()).not.toContain('token=');
    await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
    await page.getByTestId('online-reason').waitFor();
    // Marks this document: if anything below reloaded the page, the mark would be gone.
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
    await shot('overview');

    // Smart host: the loopback sink, plain SMTP, via the "25 plain" preset and a port.
    await openPage(page, 'Smart host');
    await page.getByRole('switch', { name: /Send all outgoing mail through a smart host/ }).check();
    await page.getByRole('button', { name: '25 plain' }).click();
    await page.getByRole('textbox', { name: 'Host', exact: true }).fill('127.0.0.1');
    await page.getByRole('textbox', { name: 'Port', exact: true }).fill(String(sink.port));
    await page.getByTestId('unsaved').waitFor();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByTestId('test-steps').getByText(`127.0.0.1:${sink.port} answered EHLO`).waitFor();
    // Send test message: one short message through the settings as typed.
    await page.getByRole('textbox', { name: 'Send a test message to' }).fill('check@example.net');
    await page.getByRole('button', { name: 'Send test message' }).click();
    await page.getByTestId('test-steps').getByText('accepted for check@example.net', { exact: false }).waitFor();
    expect((await sink.waitForMessages(1))[0].envelope.rcptTo).toEqual(['check@example.net']);
    sink.reset();
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Saved.').waitFor();
    await shot('smart-host');
    const saved = await engine.getSettings();
    expect(saved.smartHost).toMatchObject({ host: '127.0.0.1', port: sink.port, tls: 'none' });

    // Delivery: hold mode. A bad value first, to see the engine's message by its field.
    await openPage(page, 'Delivery');
    await page.getByRole('radio', { name: /Hold everything until a queue run or Flush/ }).check();
    await page.getByRole('textbox', { name: 'Warn the sender after' }).fill('soon');
    await page.getByTestId('save-button').click();
    await page.getByText('a duration such as 30s, 15m, 4h or 5d').first().waitFor();
    await shot('delivery-error');
    // The draft survives a trip to another page.
    await openPage(page, 'Overview');
    await openPage(page, 'Delivery');
    expect(await page.getByRole('textbox', { name: 'Warn the sender after' }).inputValue()).toBe('soon');
    await page.getByRole('textbox', { name: 'Warn the sender after' }).fill('4h');
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Saved.').waitFor();
    await shot('delivery');
    expect((await engine.getSettings()).delivery.mode).toBe('deferred');

    // Three messages by SMTP while the Queue page is open.
    await openPage(page, 'Queue');
    const smtp = (await engine.status()).listeners.find((l) => l.name === 'smtp')!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    for (const n of [1, 2, 3]) {
      await transport.sendMail({ from: 'me@laptop.test', to: `friend${n}@example.net`, subject: `hello ${n}`, text: `message ${n}` });
    }
    transport.close();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length === 3);
    await shot('queue');
    await page.getByRole('button', { name: /^Details of / }).first().click();
    await page.getByTestId('headers').getByText('Subject: hello', { exact: false }).waitFor();
    const reason = await page.getByTestId('plain-reason').textContent();
    expect(reason).toMatch(/waiting|hold/);
    await shot('queue-detail');
    await page.keyboard.press('Escape');
    // Multi-select actions: hold one (it says so), open the delete confirmation and back
    // out, release it again.
    await page.getByRole('checkbox', { name: /^Select (?!all)/ }).first().check();
    await page.getByRole('button', { name: 'Hold', exact: true }).click();
    await page.getByTestId('action-result').getByText('1 held').waitFor({ timeout: 5000 });
    await page.getByRole('gridcell', { name: 'held by you' }).waitFor();
    await page.getByRole('checkbox', { name: /^Select (?!all)/ }).first().check();
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete 1 message without notice?' }).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    await page.getByTestId('action-result').getByText('1 released').waitFor();
    await page.getByRole('gridcell', { name: 'held by you' }).waitFor({ state: 'detached' });
    expect((await engine.listQueue()).map((e) => e.state).sort()).not.toContain('hold');
    await page.getByRole('tab', { name: 'Age × domain' }).click();
    await page.getByTestId('qshape-table').getByText('example.net').waitFor();
    await shot('queue-shape');
    expect(sink.messages).toHaveLength(0);

    // Flush queue on the Overview, watching its progress.
    await openPage(page, 'Overview');
    await page.getByTestId('flush-button').click();
    await page.getByTestId('flush-progress').waitFor();
    await page.getByTestId('flush-summary').getByText('3 sent').waitFor({ timeout: 20_000 });
    await shot('overview-flushed');
    const got = await sink.waitForMessages(3);
    expect(got.flatMap((m) => m.envelope.rcptTo).sort()).toEqual(['friend1@example.net', 'friend2@example.net', 'friend3@example.net']);

    // The queue emptied by itself, and the log shows the deliveries.
    await openPage(page, 'Queue');
    await page.getByTestId('queue-empty').waitFor();
    await openPage(page, 'Logs');
    await page.getByTestId('log-lines').getByText('stat=Sent', { exact: false }).first().waitFor();
    await page.getByTestId('log-filter').fill('friend2@example.net');
    await page.waitForFunction(() => {
      const text = document.querySelector('[data-testid="log-lines"]')?.textContent ?? '';
      return text.includes('friend2@example.net') && !text.includes('friend1@example.net');
    });
    await shot('logs');

    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(pageErrors).toEqual([]);
  }
}
