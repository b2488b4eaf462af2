import { buildRenderer } from './build-renderer.ts';
import { chromium } from 'playwright-core';
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { startConsole } from '../../engine/console/index.ts';
import type { EngineApi } from '../../engine/api.ts';
import type { QueueEntry } from '../../engine/contracts.ts';
import { SettingsSchema } from '../../engine/config/schema.ts';
import { it } from 'vitest';
it('bench', async () => {

const N = 100_000;
const home = await fs.mkdtemp(path.join(os.tmpdir(), 'msbench-'));
const ui = path.join(home, 'ui');
await buildRenderer(ui);
const now = Date.now();
const entries: QueueEntry[] = Array.from({ length: N }, (_, i) => ({
  id: `B${String(i).padStart(13, '0')}`, sender: `user${i % 977}@sender${i % 13}.example`, recipients: [{ address: `rcpt${i}@dom${i % 211}.example`, status: 'pending', lastReply: i % 3 ? '452 4.2.2 Mailbox full' : undefined }],
  arrivalTime: now - (N - i) * 1000, size: 1000 + i, state: i % 5 ? 'deferred' : 'hold', heldBy: 'admin', group: 'default', attempts: 2, nextAttempt: now + 60000, client: { address: '127.0.0.1', protocol: 'ESMTP', daemon: 'smtp' },
}));
const settings = SettingsSchema.parse({});
const api = {
  async status() { return { version: 'x', hostname: 'h', home, startedAt: now, pid: 1, listeners: [], mode: 'background', online: { online: true, since: now, reason: 'r' }, counts: { total: N, active: 0, deferred: N, hold: 0, corrupt: 0 }, flushing: false }; },
  async listQueue() { return entries; },
  async getSettings() { return settings; },
  async tailLog() { return []; },
  subscribe() { return () => {}; },
} as unknown as EngineApi;
const c = await startConsole(api, { address: '127.0.0.1', port: 0, home, staticDir: ui });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } }); page.on('console', (m) => console.log('PAGE', m.text()));
await page.goto(c.url.replace('/?', '/?') );
await page.evaluate(() => { location.hash = '/queue'; }); await page.waitForTimeout(0);
const t0 = Date.now();
await page.waitForFunction(() => document.querySelectorAll('[data-testid="queue-row"]').length > 10, undefined, { timeout: 60000 });
console.log('first rows after', Date.now() - t0, 'ms; rows in DOM', await page.locator('[data-testid="queue-row"]').count());
console.log(await page.getByTestId('queue-shown').textContent()); await page.waitForTimeout(3000);
// keystroke timing measured in page
const ms = await page.evaluate(async () => {
  const input = [...document.querySelectorAll('input')].find((i) => i.closest('div')?.parentElement?.textContent?.includes('Domain')) as HTMLInputElement;
  const label = [...document.querySelectorAll('label')].find((l) => l.textContent === 'Domain')!;
  const el = document.getElementById(label.htmlFor) as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  const t = performance.now();
  setter.call(el, 'dom7.example');
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise<void>((r) => { const check = () => (document.querySelector('[data-testid="queue-shown"]')!.textContent!.startsWith('474 of') ? r() : requestAnimationFrame(check)); check(); });
  return performance.now() - t;
});
console.log('filter keystroke', ms.toFixed(0), 'ms');
const ms2 = await page.evaluate(async () => {
  const label = [...document.querySelectorAll('label')].find((l) => l.textContent === 'Domain')!;
  const el = document.getElementById(label.htmlFor) as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  const t = performance.now();
  setter.call(el, 'dom7.exampl');
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise<void>((r) => { const check = () => (document.querySelector('[data-testid="queue-shown"]')!.textContent!.startsWith('0 of') ? r() : requestAnimationFrame(check)); check(); });
  const t2 = performance.now();
  setter.call(el, '');
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise<void>((r) => { const check = () => (document.querySelector('[data-testid="queue-shown"]')!.textContent!.startsWith('100000 of') ? r() : requestAnimationFrame(check)); check(); });
  return [t2 - t, performance.now() - t2];
});
console.log('second keystroke / clear', ms2.map((x) => x.toFixed(0)).join(' / '), 'ms');
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.start');
const scroll = await page.evaluate(async () => {
  const el = document.querySelector('[data-testid="queue-scroll"]')!;
  const t = performance.now(); let frames = 0;
  for (let i = 0; i < 60; i++) { el.scrollTop += 800; await new Promise((r) => requestAnimationFrame(r)); frames++; if (i % 20 === 0) console.log('rows', document.querySelectorAll('[data-testid=queue-row]').length, document.querySelectorAll('*').length); }
  return (performance.now() - t) / frames;
});
console.log('scroll ms/frame', scroll.toFixed(1));
const { profile } = await cdp.send('Profiler.stop') as any;
const self = new Map<string, number>();
const parentOf = new Map<number, any>(); for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
const callers = new Map<string, number>();
const byId = new Map(profile.nodes.map((n: any) => [n.id, n]));
const dt = profile.timeDeltas; const samples = profile.samples;
for (let i = 0; i < samples.length; i++) { const n: any = byId.get(samples[i]); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0));
  if (n.callFrame.functionName.startsWith('exports.jsx')) { let p: any = parentOf.get(n.id); let chain = []; for (let d = 0; d < 3 && p; d++) { chain.push(`${p.callFrame.functionName}:${p.callFrame.lineNumber}`); p = parentOf.get(p.id); } const ck = chain.join(' < '); callers.set(ck, (callers.get(ck) ?? 0) + (dt[i] ?? 0)); } }
console.log([...callers].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${(v / 1000).toFixed(0)}ms CALLER ${k}`).join('\n'));
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${(v / 1000).toFixed(0)}ms ${k}`).join('\n'));
await page.screenshot({ path: '/work/main/test-artifacts/console-queue-100k.png' });
await browser.close(); await c.close();

}, 200000);
