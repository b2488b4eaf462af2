// A person at the console, in Debian's Chromium, on the DKIM & checks page
// (issue 15): a bad selector is refused in words; a key is generated and its
// record shown in zone-file form; with that record (and SPF, DMARC) published on
// a loopback DNS server, *Check DNS* says all is right; the Overview's health
// panel runs the same check. Screenshot in test-artifacts/dkim-page.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { type ConsoleHandle } from '../../engine/console/index.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { CHROMIUM, openConsoleInChromium } from './chromium.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = path.join(repo, 'test-artifacts');

let home: string;
let engine: Engine;
let dns: DnsServer;
let consoleHandle: ConsoleHandle;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-e2e-dkim-'));
  dns = await startDnsServer({
    'mail.shop.test': { a: ['192.0.2.10'] },
    'shop.test': { txt: ['v=spf1 ip4:192.0.2.10 -all'] },
    '_dmarc.shop.test': { txt: ['v=DMARC1; p=quarantine'] },
  });
  const uiDir = path.join(home, 'ui');
  await build({ configFile: path.join(repo, 'vite.config.ts'), logLevel: 'warn', build: { outDir: uiDir, emptyOutDir: true } });
  await fs.mkdir(artifacts, { recursive: true });
  engine = await createEngine({
    home, passwdFile: '',
    settings: {
      hostname: 'mail.shop.test',
      domains: { local: ['shop.test'] },
      listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
      console: { port: false },
      dns: { servers: [dns.server], timeout: '1s' },
      delivery: { mode: 'queueonly', online: { probe: 'none' } },
    },
  });
  await engine.start();
  ({ consoleHandle, browser, page } = await openConsoleInChromium(engine, { home, staticDir: uiDir, pageErrors }));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await consoleHandle?.close();
  await engine?.stop();
  await dns?.stop();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe.skipIf(!existsSync(CHROMIUM))('DKIM & checks page in Chromium', () => {
  it('generates a key, shows the record, and checks the published records', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByText('DKIM & checks', { exact: true }).click();
    await page.getByRole('heading', { name: 'DKIM & checks', level: 2 }).waitFor();

    await page.getByLabel('Selector').fill('bad selector');
    await page.getByTestId('dkim-keygen').click();
    await expect.poll(() => page.getByTestId('dkim-error').textContent(), { timeout: 30_000 }).toMatch(/selector "bad selector" is not valid/);

    await page.getByLabel('Selector').fill('s2026');
    await page.getByTestId('dkim-keygen').click();
    const record = page.getByTestId('dkim-record');
    await record.waitFor({ timeout: 30_000 });
    const zone = (await record.textContent())!;
    expect(zone).toMatch(/^s2026\._domainkey\.shop\.test\. IN TXT "v=DKIM1; k=rsa; " "p=/);

    dns.set('s2026._domainkey.shop.test', { txt: [[...zone.matchAll(/"([^"]*)"/g)].map((m) => m[1])] });
    await page.getByTestId('dkim-check').click();
    const readiness = page.getByTestId('dkim-readiness');
    await readiness.waitFor({ timeout: 30_000 });
    const text = (await readiness.textContent())!;
    expect(text).toMatch(/the record at s2026\._domainkey\.shop\.test matches the key/);
    expect(text).toMatch(/lets this server \(mail\.shop\.test\) send from 192\.0\.2\.10/);
    expect(text).toMatch(/DMARC record found: p=quarantine/);
    expect(text).not.toMatch(/fix/);
    await page.screenshot({ path: path.join(artifacts, 'dkim-page.png'), fullPage: true });

    await page.getByRole('navigation', { name: 'Pages' }).getByText('Overview', { exact: true }).click();
    await page.getByTestId('mail-auth-check-run').click();
    await expect.poll(() => page.getByTestId('mail-auth-check').textContent(), { timeout: 30_000 }).toMatch(/shop\.test.*DKIM: signing key s2026 \(rsa\)/);
    // The refused selector is the console's one 500 (it answers every engine error so); nothing else.
    expect(pageErrors.filter((e) => !/status of 500/.test(e))).toEqual([]);
    expect(pageErrors.filter((e) => /status of 500/.test(e))).toHaveLength(1);
  }, 120_000);
});
