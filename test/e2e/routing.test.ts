// A person at the console, in Debian's Chromium, edits routing (issue 5):
// alice's forwarding — a relative path is refused next to its field, then a
// remote address with "keep a copy here" — is saved and confirmed in the address
// tester (local mailbox and remote target both in the trace); a domain migrated
// with the quick form shows in the tester as its route. Screenshots of every
// routing page land in test-ARTIFACTS/routing-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Page } from 'playwright-core';
import type { Engine } from '../../engine/index.ts';
import { ARTIFACTS, CHROMIUM, openPage, startPageWorld, type PageWorld } from './chromium.ts';

const LOCAL = 'office.test';

let world: PageWorld | undefined;
let engine: Engine;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, `routing-${name}.png`), fullPage: true });
}

/** Opens the tester drawer, tests one address and returns the trace's lines. */
async function testAddress(address: string, expectLine: string): Promise<string[]> {
  await page.getByTestId('open-tester').click();
  const drawer = page.getByRole('dialog');
  await drawer.getByRole('textbox', { name: 'Address to test' }).fill(address);
  // Enter in the field runs the test, like the Test button.
  await drawer.getByRole('textbox', { name: 'Address to test' }).press('Enter');
  await drawer.getByTestId('trace').getByText(expectLine, { exact: false }).first().waitFor();
  return drawer.getByTestId('trace').locator('li').allInnerTexts();
}

async function closeTester(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
}

beforeAll(async () => {
  world = await startPageWorld('routing', {
    hostname: `mail.${LOCAL}`,
    domains: { local: [LOCAL] },
    // Nothing may leave for real DNS: an unanswering resolver on loopback.
    dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
    aliases: { postmaster: ['root'], root: ['alice'] },
    // alice's old .forward: everything to her old provider, no copy kept here.
    forwards: { alice: ['alice@old-isp.example'] },
  }, pageErrors);
  ({ engine, page } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe.skipIf(!existsSync(CHROMIUM))('routing pages in a browser', () => {
  it('edits alice\'s forwarding, keeps a copy, and the address tester shows both deliveries', async () => {
    await openPage(page, 'Forwarding');
    const card = page.getByTestId('forward-alice');
    await card.getByRole('button', { name: 'Remove alice@old-isp.example' }).click();

    // A relative path is refused by the engine, next to its field, and Save waits.
    await card.getByRole('textbox', { name: 'Add target' }).fill('mail/alice');
    await card.getByRole('textbox', { name: 'Add target' }).press('Enter');
    await card.getByText('relative path "mail/alice"', { exact: false }).waitFor();
    await page.getByTestId('problems').waitFor();
    expect(await page.getByTestId('save-button').isDisabled()).toBe(true);
    await shot('forwarding-error');
    await card.getByRole('button', { name: 'Remove mail/alice' }).click();

    await card.getByRole('textbox', { name: 'Add target' }).fill('alice@home.example');
    await card.getByRole('button', { name: 'Add target' }).click();
    const keep = card.getByRole('switch', { name: /Keep a copy here/ });
    expect(await keep.isChecked()).toBe(false);
    await keep.check();
    // The preview shows the .forward line before and after.
    const preview = page.getByTestId('change-preview');
    await preview.locator('[data-diff="remove"]').getByText('alice: alice@old-isp.example').waitFor();
    await preview.locator('[data-diff="add"]').getByText('alice: \\alice, alice@home.example').waitFor();
    await page.getByTestId('problems').waitFor({ state: 'detached' });
    await shot('forwarding-preview');
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Saved.').waitFor();
    expect((await engine.getSettings()).forwards).toEqual({ alice: ['\\alice', 'alice@home.example'] });

    const trace = await testAddress(`alice@${LOCAL}`, 'deliver via local to mailbox alice');
    expect(trace).toContain(`forward: alice → \\alice, alice@home.example`);
    expect(trace).toContain('verdict: deliver via local to mailbox alice');
    expect(trace.some((l) => /^verdict: deliver via smtp to home\.example .*for alice@home\.example$/.test(l))).toBe(true);
    await shot('forwarding-tester');
    await closeTester();
  }, 60_000);

  it('migrates a domain with the quick form, and the tester shows its route', async () => {
    await openPage(page, 'Routes');
    const migrate = page.getByRole('form', { name: 'Migrate a domain' });
    // Error path first: not an IP.
    await migrate.getByRole('textbox', { name: 'Domain' }).fill('oldcorp.example');
    await migrate.getByRole('textbox', { name: 'New server IP' }).fill('new-server');
    await migrate.getByRole('button', { name: 'Add route' }).click();
    await migrate.getByText('an IP address such as 192.0.2.10').waitFor();
    // Keyboard only from here: the IP field, then Enter submits the quick form.
    await migrate.getByRole('textbox', { name: 'Domain' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('192.0.2.10');
    await page.keyboard.press('Enter');
    await page.getByRole('textbox', { name: 'Route 1 host' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Route 1 host' }).inputValue()).toBe('[192.0.2.10]');
    await page.getByTestId('change-preview').locator('[data-diff="add"]').getByText('esmtp:[192.0.2.10]', { exact: false }).waitFor();
    await shot('routes');
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Saved.').waitFor();
    expect((await engine.getSettings()).routes).toEqual([{ domain: 'oldcorp.example', mailer: 'esmtp', host: '[192.0.2.10]' }]);

    const trace = await testAddress('bob@oldcorp.example', 'route: oldcorp.example → esmtp:[192.0.2.10]');
    expect(trace).toContain('verdict: deliver via smtp to [192.0.2.10] (esmtp) for bob@oldcorp.example');
    await shot('routes-tester');
    await closeTester();
  }, 60_000);

  it('shows the other routing pages with their checks and previews', async () => {
    await openPage(page, 'Domains');
    await page.getByRole('switch', { name: /Catch-all for unknown local users/ }).check();
    await page.getByTestId('catch-all-warning').getByText('spam target', { exact: false }).waitFor();
    await page.getByTestId('change-preview').getByText('catch-all (LUSER_RELAY): local:spamtrap').waitFor();
    await shot('domains');
    await page.getByRole('button', { name: 'Discard changes' }).click();

    await openPage(page, 'Aliases');
    await page.getByRole('textbox', { name: '/etc/aliases text' }).fill('sales: alice, bob@partner.example\ndev-null: /dev/null\nbroken alice\nlist: :include:/nonexistent/list\n');
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByTestId('import-problems').getByText('line 3: error: missing ":"', { exact: false }).waitFor();
    await page.getByTestId('import-problems').getByText('line 4: error:', { exact: false }).waitFor();
    await page.getByTestId('import-aliases').click();
    await page.getByRole('textbox', { name: 'Targets of sales' }).waitFor();
    // An alias loop is the engine's to find, and it is shown on the row.
    await page.getByRole('textbox', { name: 'Targets of root' }).fill('postmaster');
    await page.getByTestId('alias-postmaster').getByText('alias loop: postmaster → root → postmaster').waitFor();
    expect(await page.getByTestId('save-button').isDisabled()).toBe(true);
    await shot('aliases');
    await page.getByRole('button', { name: 'Discard changes' }).click();

    await openPage(page, 'Rewriting');
    await page.getByRole('textbox', { name: 'Masquerade as' }).fill(LOCAL);
    await page.getByRole('textbox', { name: 'Sample sender' }).fill(`alice@mail.${LOCAL}`);
    await page.getByTestId('rewrite-headerSender').getByText(`alice@${LOCAL}`, { exact: true }).waitFor();
    await page.getByRole('switch', { name: /Envelope too/ }).check();
    await page.getByTestId('rewrite-envelope').getByText(`alice@${LOCAL}`, { exact: true }).waitFor();
    await shot('rewriting');
    await page.getByRole('button', { name: 'Discard changes' }).click();

    expect(pageErrors).toEqual([]);
  }, 60_000);
});
