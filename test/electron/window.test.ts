import { beforeEach, describe, expect, it, vi } from 'vitest';
import { safeExternalUrl } from '../../electron/external-links.ts';
import { CONTENT_SECURITY_POLICY, appUrlFor, createMainWindow } from '../../electron/window.ts';
import { fake, resetFake } from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const APP_URL = 'file:///opt/mailstop/dist/renderer/index.html';

function openWindow() {
  createMainWindow({ preload: '/opt/mailstop/electron/preload.cjs', appUrl: APP_URL });
  const win = fake.windows[0];
  return { win, contents: win.webContents };
}

/** Let fire-and-forget openExternal calls land. */
const settle = () => new Promise((r) => setImmediate(r));

beforeEach(() => resetFake());

describe('the Mailstop window', () => {
  it('meets the security checklist in its webPreferences', () => {
    const { win } = openWindow();
    const got = win.options.webPreferences;
    expect(got).toMatchObject({
      preload: '/opt/mailstop/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
    expect(win.loadedUrl).toBe(APP_URL);
    expect(win.visible).toBe(false); // shown on ready-to-show, not before
    win.emit('ready-to-show');
    expect(win.visible).toBe(true);
  });

  it('sets a strict CSP on every response', () => {
    const { contents } = openWindow();
    let got: Record<string, string[]> | undefined;
    contents.session.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => { got = r.responseHeaders; });
    expect(got?.['Content-Type']).toEqual(['text/html']);
    const csp = got?.['Content-Security-Policy']?.[0] ?? '';
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });

  it('denies every permission request and check', () => {
    const { contents } = openWindow();
    for (const permission of ['notifications', 'media', 'geolocation', 'clipboard-read']) {
      let granted: boolean | undefined;
      contents.session.permissionRequest!({}, permission, (g) => { granted = g; }, {});
      expect(granted).toBe(false);
      expect(contents.session.permissionCheck!({}, permission, 'file://', {})).toBe(false);
    }
  });

  it.each([
    ['a web page', 'https://evil.example/', true],
    ['another local file', 'file:///etc/passwd', false],
    ['javascript:', 'javascript:alert(1)', false],
    ['plain http', 'http://example.com/', false],
  ])('cancels navigation to %s (safe links go to the system browser instead)', async (_name, url, opensExternally) => {
    const { contents } = openWindow();
    expect(contents.navigate('will-navigate', url)).toBe(true);
    await settle();
    expect(fake.opened).toEqual(opensExternally ? [url] : []);
  });

  it('lets the app reload itself', () => {
    const { contents } = openWindow();
    expect(contents.navigate('will-navigate', `${APP_URL}#/queue`)).toBe(false);
    expect(contents.navigate('will-redirect', 'https://evil.example/')).toBe(true);
  });

  it('denies window.open, opening only validated links outside', async () => {
    const { contents } = openWindow();
    const got = ['https://docs.example/help', 'javascript:alert(1)', 'file:///etc/passwd', 'mailto:postmaster@example.com']
      .map((url) => contents.openHandler!({ url }).action);
    expect(got).toEqual(['deny', 'deny', 'deny', 'deny']);
    await settle();
    expect(fake.opened).toEqual(['https://docs.example/help', 'mailto:postmaster@example.com']);
  });

  it('refuses <webview>', () => {
    const { contents } = openWindow();
    let prevented = false;
    contents.emit('will-attach-webview', { preventDefault: () => { prevented = true; } });
    expect(prevented).toBe(true);
  });

  it('loads the built renderer, or the dev server when given', () => {
    expect(appUrlFor('/opt/mailstop')).toBe(APP_URL);
    expect(appUrlFor('/opt/mailstop', 'http://localhost:5173')).toBe('http://localhost:5173/');
  });
});

describe('safeExternalUrl', () => {
  it.each([
    ['https://example.com/a?b#c', 'https://example.com/a?b#c'],
    ['mailto:alice@example.com', 'mailto:alice@example.com'],
    ['HTTPS://Example.COM', 'https://example.com/'],
    ['javascript:alert(1)', null],
    ['JAVASCRIPT:alert(1)', null],
    ['file:///etc/passwd', null],
    ['http://example.com/', null],
    ['data:text/html,hi', null],
    ['smb://server/share', null],
    ['https://bank.example@evil.example/', null],
    ['https://user:pw@example.com/', null],
    ['mailto:', null],
    ['/relative/path', null],
    ['', null],
    [42, null],
  ])('%s → %s', (got, want) => {
    expect(safeExternalUrl(got)).toBe(want);
  });
});
