// Issue 11 §4 and §5 in Debian's Chromium.
// Settings: a person types values that parse but cannot work (a certificate file
// that does not exist, a cipher list OpenSSL refuses, a route to `not a host!!`,
// the local domain `foo..bar`, a retry delay of 99999999999999999999d); each form
// shows the engine's message next to its field and nothing is saved.
// Console: the browser logs into two consoles (two data directories) and visits
// a plain web server on a third loopback port. That server never receives either
// token, and logging into the second console does not log the first out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs, existsSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { buildRenderer } from './build-renderer.ts';
import { startConsole, type ConsoleHandle } from '../../engine/console/index.ts';
import { createEngine, type Engine } from '../../engine/index.ts';
import { CHROMIUM, launchChromium, openPage } from './chromium.ts';


let root: string;
let uiDir: string;
const engines: Engine[] = [];
const consoles: ConsoleHandle[] = [];
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function startOne(name: string): Promise<{ engine: Engine; console: ConsoleHandle; home: string }> {
  const home = path.join(root, name);
  await fs.mkdir(home, { recursive: true });
  const engine = await createEngine({
    home, passwdFile: '', timers: false,
    settings: {
      hostname: `${name}.test`,
      listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
      console: { port: false },
      dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
      delivery: { mode: 'deferred', online: { probe: 'none' } },
    },
  });
  await engine.start();
  engines.push(engine);
  const handle = await startConsole(engine, { address: '127.0.0.1', port: 0, home, staticDir: uiDir });
  consoles.push(handle);
  return { engine, console: handle, home };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-e2e-hardening-'));
  uiDir = path.join(root, 'ui');
  await buildRenderer(uiDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const c of consoles) await c.close();
  for (const e of engines) await e.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe.skipIf(!existsSync(CHROMIUM))('settings forms refuse what cannot work (issue 11 §4)', () => {
  let one: Awaited<ReturnType<typeof startOne>>;
  let savedBefore: string;
  beforeAll(async () => {
    one = await startOne('forms');
    savedBefore = JSON.stringify(await one.engine.getSettings());
    await page.goto(one.console.url);
    await page.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
  }, 60_000);

  it('Certificates: a missing certificate file and a bad cipher list, each named beside its field', async () => {
    await openPage(page, 'Certificates');
    await page.getByRole('textbox', { name: 'Certificate file' }).fill('/nonexistent/cert.pem');
    await page.getByRole('textbox', { name: 'Key file' }).fill('/nonexistent/key.pem');
    await page.getByRole('textbox', { name: /Cipher list/ }).fill('NOT-A-CIPHER:BOGUS');
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Not saved', { exact: false }).waitFor();
    await page.getByText('cannot read /nonexistent/cert.pem (no such file)').waitFor();
    await page.getByText('cannot read /nonexistent/key.pem (no such file)').waitFor();
    await page.getByText(/refused by OpenSSL/).waitFor();
    expect(await page.getByText('Saved.', { exact: true }).count()).toBe(0);
    expect(JSON.stringify(await one.engine.getSettings())).toBe(savedBefore);
    expect(existsSync(path.join(one.home, 'config.json'))).toBe(false);
    await page.getByRole('button', { name: 'Discard changes' }).click();
  }, 60_000);

  it('Routes: a route to "not a host!!" is refused on its host field', async () => {
    await openPage(page, 'Routes');
    await page.getByRole('button', { name: 'New route' }).click();
    await page.getByRole('textbox', { name: 'Route 1 domain' }).fill('corp.example');
    await page.getByRole('textbox', { name: 'Route 1 host' }).fill('not a host!!');
    const save = page.getByTestId('save-button');
    // The routing pages check as you type; where they do not, Save asks the engine.
    await page.getByText('"not a host!!" is not a host name', { exact: false }).or(save).first().waitFor();
    if (await save.isEnabled()) await save.click();
    await page.getByText('"not a host!!" is not a host name', { exact: false }).first().waitFor();
    expect((await one.engine.getSettings()).routes).toEqual([]);
    await page.getByRole('button', { name: 'Discard changes' }).click();
  }, 60_000);

  it('Domains: "foo..bar" is refused on its row', async () => {
    await openPage(page, 'Domains');
    await page.getByRole('textbox', { name: 'Add domain' }).fill('foo..bar');
    await page.getByRole('button', { name: 'Add domain' }).click();
    const message = page.getByText('"foo..bar" has an empty label', { exact: false }).first();
    const save = page.getByTestId('save-button');
    await message.or(save).first().waitFor();
    if (await save.isEnabled()) await save.click();
    await message.waitFor();
    expect((await one.engine.getSettings()).domains.local).toEqual([]);
    await page.getByRole('button', { name: 'Discard changes' }).click();
  }, 60_000);

  it('Delivery: a retry delay of 99999999999999999999d is refused with its bound', async () => {
    await openPage(page, 'Delivery');
    await page.getByRole('textbox', { name: 'First retry after' }).fill('99999999999999999999d');
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Not saved', { exact: false }).waitFor();
    await page.getByText('at most 7d', { exact: true }).waitFor();
    expect((await one.engine.getSettings()).delivery.minBackoff).toBe('5m');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe.skipIf(!existsSync(CHROMIUM))('the console token stays with its console (issue 11 §5)', () => {
  it('another loopback port never receives a token, and a second console does not log the first out', async () => {
    const a = await startOne('first');
    const b = await startOne('second');
    // A plain web server on a third loopback port, recording every header it is sent.
    const seen: string[] = [];
    const other = http.createServer((req, res) => {
      seen.push(JSON.stringify(req.headers));
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>other</title><p>another program on this machine</p>');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherPort = (other.address() as net.AddressInfo).port;
    try {
      const context = await browser.newContext();
      const tab = await context.newPage();
      await tab.goto(a.console.url);
      await tab.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
      await tab.goto(b.console.url);
      await tab.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();

      // Same host, another port: cookies ignore ports (RFC 6265 §8.5), so this
      // server gets whatever cookies the browser holds for 127.0.0.1.
      await tab.goto(`http://127.0.0.1:${otherPort}/`);
      await tab.getByText('another program on this machine').waitFor();
      const got = seen.join('\n');
      expect(seen.length).toBeGreaterThan(0);
      expect(got).not.toContain(a.console.token);
      expect(got).not.toContain(b.console.token);
      // What it may see are the two sessions' cookies, named after their consoles' ports.
      const cookies = (await context.cookies('http://127.0.0.1/')).map((c) => c.name).sort();
      expect(cookies).toEqual([`mailstop_console_${a.console.port}`, `mailstop_console_${b.console.port}`].sort());

      // Back to the first console without ?token=: still logged in.
      await tab.goto(`http://127.0.0.1:${a.console.port}/`);
      await tab.getByRole('heading', { name: 'Overview', level: 2 }).waitFor();
      const status = await tab.evaluate(async () => (await fetch('/api/status', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[]' })).status);
      expect(status).toBe(200);
      await context.close();
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  }, 120_000);
});
