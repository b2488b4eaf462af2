// Issue 10 in Debian's Chromium: the Delivery page names the three delivery modes
// plainly (the same words as README, `mailstop status` and the tray), a config
// written with the old name `background` shows as the laptop mode, and the header
// agrees with the engine: online state, mode and the queue count, as the smart
// host (a real loopback SMTP peer) goes from down to up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { buildRenderer } from './build-renderer.ts';
import { MODE_WORDS } from '../../engine/api.ts';
import { startConsole, type ConsoleHandle } from '../../engine/console/index.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { startScriptedSmtp, type ScriptedSmtp } from '../helpers/scripted-smtp.ts';
import { CHROMIUM, launchChromium, openPage } from './chromium.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = path.join(repo, 'test-artifacts');

let home: string;
let engine: Engine;
let consoleHandle: ConsoleHandle;
let smart: ScriptedSmtp | undefined;
let smartPort: number;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-e2e-modes-'));
  const uiDir = path.join(home, 'ui');
  await buildRenderer(uiDir);
  await fs.mkdir(artifacts, { recursive: true });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  smartPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  // An existing config.json from before the rename: `background` must keep working.
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
    hostname: 'laptop.test',
    listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
    console: { port: false },
    dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
    smartHost: { host: '[127.0.0.1]', port: smartPort, tls: 'none' },
    delivery: { mode: 'background', online: { probe: 'smarthost' }, connectTimeout: '5s' },
  }));
  engine = await createEngine({ home, passwdFile: '' });
  await engine.start();
  consoleHandle = await startConsole(engine, { address: '127.0.0.1', port: 0, home, staticDir: uiDir });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await consoleHandle?.close();
  await engine?.stop();
  await smart?.close();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

async function submit(to: string, subject: string): Promise<void> {
  const msg = `From: <me@laptop.test>\nTo: <${to}>\nSubject: ${subject}\n\nhello\n`;
  await engine.submit({ envelope: { sender: 'me@laptop.test', recipients: [{ address: to }] }, messageBase64: Buffer.from(msg).toString('base64') });
}

const text = async (testId: string) => (await page.getByTestId(testId).textContent())?.trim();

describe.skipIf(!existsSync(CHROMIUM))('delivery modes in the browser', () => {
  it('the Delivery page names the three modes plainly and the header agrees with the engine', async () => {
    try {
      await page.goto(consoleHandle.url);
      await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();

      // The old name is read as the laptop mode, and said so in words.
      expect((await engine.getSettings()).delivery.mode).toBe('whenonline');
      await page.getByTestId('mode-badge').getByText(MODE_WORDS.whenonline.short).waitFor();
      await page.getByTestId('overview-mode').getByText(MODE_WORDS.whenonline.label).waitFor();

      await openPage(page, 'Delivery');
      const radios = page.getByRole('radio');
      expect(await radios.count()).toBe(3);
      for (const label of ['Send when online, hold when offline', 'Queue only: send at queue runs', 'Hold everything until a queue run or Flush']) {
        await page.getByRole('radio', { name: label, exact: true }).waitFor();
      }
      expect(await page.getByRole('radio', { name: 'Send when online, hold when offline', exact: true }).isChecked()).toBe(true);
      await page.getByText(/nothing is tried \(no DNS, no connection\)/).waitFor();
      await page.getByRole('textbox', { name: /While online, check every/ }).waitFor();

      // The smart host is down: the header says offline, and counts what waits.
      await page.getByTestId('online-badge').getByText('offline').waitFor({ timeout: 20_000 });
      await submit('friend1@example.net', 'one');
      await submit('friend2@example.net', 'two');
      await page.getByTestId('queue-count').getByText('2 queued').waitFor({ timeout: 20_000 });
      expect((await engine.status()).counts.total).toBe(2);
      expect((await engine.listQueue()).every((e) => e.attempts === 0)).toBe(true);
      await page.screenshot({ path: path.join(artifacts, 'delivery-modes-offline.png'), fullPage: true });

      // It comes up: the header goes online and the count falls to what the engine says.
      smart = await startScriptedSmtp({ port: smartPort });
      await engine.networkChanged(); // what the desktop app does on a network event
      await page.getByTestId('online-badge').getByText('online').waitFor({ timeout: 20_000 });
      await page.getByTestId('queue-count').getByText('0 queued').waitFor({ timeout: 30_000 });
      expect(smart.messages).toHaveLength(2);
      expect(await text('queue-count')).toBe(`${(await engine.status()).counts.total} queued`);

      // Choosing another mode by its name: the engine and the header follow.
      await page.getByRole('radio', { name: 'Queue only: send at queue runs', exact: true }).check();
      await page.getByTestId('save-button').click();
      await page.getByTestId('save-notice').getByText('Saved.').waitFor();
      expect((await engine.getSettings()).delivery.mode).toBe('queueonly');
      await page.getByTestId('mode-badge').getByText(MODE_WORDS.queueonly.short).waitFor();
      const onDisk = JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8')) as { delivery: { mode: string } };
      expect(onDisk.delivery.mode).toBe('queueonly');
      await page.screenshot({ path: path.join(artifacts, 'delivery-modes.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } catch (err) {
      await page.screenshot({ path: path.join(artifacts, 'delivery-modes-failure.png'), fullPage: true }).catch(() => undefined);
      throw err;
    }
  }, 180_000);
});
