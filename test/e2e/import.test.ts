// A person at the console, in Debian's Chromium, moves in from Sendmail (issue 14):
// chooses the files of /etc/mail, sees the plan side by side with one refused line
// (a bad mailertable key) that blocks Apply, leaves it out explicitly and applies;
// then the Virtual users page shows the imported virtusertable, a new entry goes
// through the change preview, and the address tester shows the "virtual:" step.
// Screenshots land in test-ARTIFACTS/import-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { type Page } from 'playwright-core';
import type { Engine } from '../../engine/index.ts';
import { ARTIFACTS, CHROMIUM, openPage, startPageWorld, type PageWorld } from './chromium.ts';


let world: PageWorld | undefined;
let engine: Engine;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `import-${name}.png`), fullPage: true });

const file = (name: string, text: string) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });

beforeAll(async () => {
  world = await startPageWorld('import', {
    hostname: 'mail.office.test',
    domains: { local: ['office.test'] },
    dns: { servers: ['127.0.0.1:9'], timeout: '1s' },
  }, pageErrors, async (home) => {
    for (const u of ['alice', 'bob']) await fs.mkdir(path.join(home, 'mail', u, 'new'), { recursive: true });
  });
  ({ engine, page } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe.skipIf(!existsSync(CHROMIUM))('the Import page in a browser', () => {
  it('shows a plan with a refused line, applies only when it is left out, and the virtual users arrive', async () => {
    await openPage(page, 'Import');
    await page.getByTestId('choose-files').setInputFiles([
      file('sendmail.mc', "OSTYPE(`linux')dnl\ndefine(`confDELIVERY_MODE', `deferred')dnl\nFEATURE(`mailertable')dnl\nFEATURE(`virtusertable')dnl\ndefine(`confTO_IDENT', `0')dnl\n"),
      file('mailertable', '# routes\nold.test\tesmtp:[192.0.2.7]\nbad!key\tesmtp:[192.0.2.8]\n'),
      file('virtusertable', 'info@shop.test\talice\n@shop.test\terror:nouser No such user here\n'),
    ]);
    const refused = page.getByTestId('plan-mailertable:3');
    await refused.waitFor();
    expect(await refused.getAttribute('data-outcome')).toBe('refused');
    await refused.getByText('bad key "bad!key"', { exact: false }).waitFor();
    // Side by side: the source line on the left, what it becomes on the right.
    const mode = page.getByTestId('plan-sendmail.mc:2');
    expect(await mode.locator('td').nth(0).innerText()).toContain("define(`confDELIVERY_MODE', `deferred')");
    expect(await mode.locator('td').nth(1).innerText()).toContain('delivery.mode = "deferred"');
    await page.getByTestId('plan-sendmail.mc:5').getByText('Mailstop never does ident', { exact: false }).waitFor();
    await page.getByTestId('plan-summary').getByText('1 refused').waitFor();
    expect(await page.getByTestId('apply-import').isDisabled()).toBe(true);
    await shot('plan-refused');

    await page.getByTestId('drop-refused').check();
    await page.getByTestId('apply-import').click();
    await page.getByTestId('import-notice').getByText('Saved', { exact: false }).waitFor();
    const s = await engine.getSettings();
    expect(s.delivery.mode).toBe('deferred');
    expect(s.routes).toEqual([{ domain: 'old.test', mailer: 'esmtp', host: '[192.0.2.7]' }]);
    expect(s.virtual).toEqual({ 'info@shop.test': ['alice'], '@shop.test': ['error:nouser No such user here'] });

    await openPage(page, 'Virtual users');
    expect(await page.getByRole('textbox', { name: 'Targets of info@shop.test' }).inputValue()).toBe('alice');
    await page.getByRole('button', { name: 'Add virtual address' }).click();
    await page.getByRole('textbox', { name: 'Virtual address 3', exact: true }).fill('sales@shop.test');
    await page.getByRole('textbox', { name: 'Targets of sales@shop.test' }).fill('bob, alice');
    await page.getByTestId('change-preview').locator('[data-diff="add"]').getByText('sales@shop.test\tbob,alice').waitFor();
    await shot('virtual-preview');
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Saved.').waitFor();
    expect((await engine.getSettings()).virtual['sales@shop.test']).toEqual(['bob', 'alice']);

    await page.getByTestId('open-tester').click();
    const drawer = page.getByRole('dialog');
    await drawer.getByRole('textbox', { name: 'Address to test' }).fill('sales@shop.test');
    await drawer.getByRole('textbox', { name: 'Address to test' }).press('Enter');
    await drawer.getByTestId('trace').getByText('virtual: sales@shop.test → bob, alice').waitFor();
    await shot('virtual-tester');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('takes dropped Postfix files and refuses a $variable main.cf does not define, naming its line', async () => {
    await page.keyboard.press('Escape'); // the address tester drawer of the test before
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await openPage(page, 'Import');
    await page.getByRole('radiogroup', { name: 'Configuration kind' }).getByText('Postfix', { exact: true }).click();
    // A real drop event carrying files, as a file manager's drag produces.
    const transfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['myhostname = mail.office.test\nmydestination = $myhostname, $mystery\nrelay_domains = partner.test\n'], 'main.cf'));
      return dt;
    });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
    const row = page.getByTestId('plan-main.cf:2');
    await row.waitFor();
    expect(await row.getAttribute('data-outcome')).toBe('refused');
    await row.getByText('$mystery', { exact: false }).first().waitFor();
    expect(await page.getByTestId('plan-main.cf:3').locator('td').nth(1).innerText()).toContain('domains.relay += "partner.test"');
    expect(await page.getByTestId('apply-import').isDisabled()).toBe(true);
    await shot('postfix-dropped');
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
