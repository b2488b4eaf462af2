// A person at the console, in Debian's Chromium, uses the security pages (issue
// 6): the relay tester refuses a stranger and passes a relay network; a user is
// added (the password hashed by the engine, never stored); a self-signed
// certificate is generated and described; the DNSBL *Test lookup* answers from a
// loopback DNS server; every security page renders without a browser error and
// the Overview's health panel shows. Screenshots land in test-ARTIFACTS/security-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Page } from 'playwright-core';
import type { Engine } from '../../engine/index.ts';
import { parseHash } from '../../engine/policy/auth-users.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { ARTIFACTS, CHROMIUM, openPage, startPageWorld, type PageWorld } from './chromium.ts';


let world: PageWorld | undefined;
let engine: Engine;
let dns: DnsServer;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(ARTIFACTS, `security-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  dns = await startDnsServer({ '2.0.0.127.bl.test': { a: ['127.0.0.2'], txt: ['test entry'] } });
  world = await startPageWorld('security', {
    hostname: 'mail.office.test',
    domains: { local: ['office.test'], relay: ['192.168.10.0/24'] },
    dns: { servers: [dns.server], timeout: '1s' },
    antispam: { dnsbl: [{ zone: 'bl.test' }] },
  }, pageErrors);
  ({ engine, page } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
  await dns?.stop();
});

describe.skipIf(!existsSync(CHROMIUM))('security pages in a browser', () => {
  it('the relay tester refuses a stranger and lets a relay network through', async () => {
    await openPage(page, 'Relaying');
    await page.getByTestId('relay-ip').fill('203.0.113.9');
    await page.getByTestId('relay-rcpt').fill('victim@elsewhere.example');
    await page.getByTestId('relay-test').click();
    await page.getByTestId('relay-result').getByText('REFUSED').waitFor();
    expect(await page.getByTestId('relay-result').innerText()).toContain('550 5.7.1 <victim@elsewhere.example>... Relaying denied');
    await page.getByTestId('relay-ip').fill('192.168.10.20');
    await page.getByTestId('relay-test').click();
    await page.getByTestId('relay-result').getByText('RELAYED').waitFor();
    await shot('relaying');
  });

  it('adds a user; only a scrypt hash reaches the settings', async () => {
    await openPage(page, 'Users');
    await page.getByTestId('user-name').fill('alice');
    await page.getByTestId('user-password').fill('wonderland');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByTestId('users-table').getByText('alice').waitFor();
    await page.getByTestId('save-button').click();
    await page.getByTestId('save-notice').getByText('Saved.').waitFor();
    const users = (await engine.getSettings()).users;
    expect(users.map((u) => u.name)).toEqual(['alice']);
    expect(parseHash(users[0].passwordHash)).not.toBeNull();
    expect(JSON.stringify(users)).not.toContain('wonderland');
    await shot('users');
  });

  it('generates a self-signed certificate and describes it', async () => {
    await openPage(page, 'Certificates');
    await page.getByTestId('cert-none').waitFor();
    await page.getByTestId('generate-self-signed').click();
    await page.getByTestId('cert-result').getByText('Self-signed certificate generated.', { exact: false }).waitFor();
    await page.getByTestId('cert-info').getByText('CN=mail.office.test', { exact: true }).waitFor();
    await page.getByTestId('cert-info').getByText('self-signed', { exact: true }).waitFor();
    expect((await engine.getSettings()).tls).toMatchObject({ cert: 'tls/selfsigned-cert.pem', key: 'tls/selfsigned-key.pem' });
    await shot('certificates');
  });

  it('Test lookup asks the block list', async () => {
    await openPage(page, 'Block lists');
    await page.getByTestId('dnsbl-test').click();
    await page.getByTestId('dnsbl-results').getByText('LISTED').waitFor();
    expect(await page.getByTestId('dnsbl-results').innerText()).toContain('bl.test → 127.0.0.2 "test entry"');
    await shot('block-lists');
  });

  it('the access map and privacy pages render, and the Overview shows the health panel', async () => {
    await openPage(page, 'Access map');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('textbox', { name: 'Key 1' }).waitFor();
    await shot('access-map');
    await openPage(page, 'Privacy & limits');
    await page.getByText('confBAD_RCPT_THROTTLE').waitFor();
    await shot('privacy');
    await openPage(page, 'Overview');
    const health = page.getByTestId('health-panel');
    if (await health.count()) await health.getByText('Open relay').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
