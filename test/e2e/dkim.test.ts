// A person at the console, in Debian's Chromium, on the DKIM & checks page
// (issue 15): a bad selector is refused in words; a key is generated and its
// record shown in zone-file form; with that record (and SPF, DMARC) published on
// a loopback DNS server, *Check DNS* says all is right; the Overview's health
// panel runs the same check. Screenshot in test-ARTIFACTS/dkim-page.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Page } from 'playwright-core';
import type { Engine } from '../../engine/index.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { ARTIFACTS, CHROMIUM, openPage, startPageWorld, type PageWorld } from './chromium.ts';


let world: PageWorld | undefined;
let engine: Engine;
let dns: DnsServer;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  dns = await startDnsServer({
    'mail.shop.test': { a: ['192.0.2.10'] },
    'shop.test': { txt: ['v=spf1 ip4:192.0.2.10 -all'] },
    '_dmarc.shop.test': { txt: ['v=DMARC1; p=quarantine'] },
  });
  world = await startPageWorld('dkim', {
    hostname: 'mail.shop.test',
    domains: { local: ['shop.test'] },
    dns: { servers: [dns.server], timeout: '1s' },
  }, pageErrors);
  ({ engine, page } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
  await dns?.stop();
});

describe.skipIf(!existsSync(CHROMIUM))('DKIM & checks page in Chromium', () => {
  it('generates a key, shows the record, and checks the published records', async () => {
    await openPage(page, 'DKIM & checks');

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
    await page.screenshot({ path: path.join(ARTIFACTS, 'dkim-page.png'), fullPage: true });

    await page.getByRole('navigation', { name: 'Pages' }).getByText('Overview', { exact: true }).click();
    await page.getByTestId('mail-auth-check-run').click();
    await expect.poll(() => page.getByTestId('mail-auth-check').textContent(), { timeout: 30_000 }).toMatch(/shop\.test.*DKIM: signing key s2026 \(rsa\)/);
    // The refused selector is the console's one 500 (it answers every engine error so); nothing else.
    expect(pageErrors.filter((e) => !/status of 500/.test(e))).toEqual([]);
    expect(pageErrors.filter((e) => /status of 500/.test(e))).toHaveLength(1);
  }, 120_000);
});
