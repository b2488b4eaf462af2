// The Content-Security-Policy of the renderer, wherever it is shown: the
// headless console (per-response style nonce) and the Electron window (no
// nonce: the file:// page is not rewritten per load). One policy, so the two
// cannot drift apart. Owns only the string; never sets a header itself.

export interface CspOptions {
  /**
   * Per-response nonce for inline <style> (Mantine injects its CSS variables
   * that way; the console hands it over in <meta name="csp-nonce">). Without
   * one, inline styles need 'unsafe-inline' — styles only, never scripts.
   */
  styleNonce?: string;
  /**
   * The Vite dev server (MAILSTOP_DEV_URL): React Refresh's inline preamble and
   * the HMR WebSocket are allowed, and only then.
   */
  dev?: boolean;
}

/**
 * Scripts only from ourselves, no eval; no frames, plugins, forms or foreign
 * connections. style attributes set from script (React's `style` prop) go
 * through CSSOM and are not affected. `data:` fonts and images: Vite inlines
 * small assets (under its 4 KiB assetsInlineLimit) as data: URLs.
 */
export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const styles = opts.styleNonce ? `'nonce-${opts.styleNonce}'` : "'unsafe-inline'";
  return [
    "default-src 'none'",
    opts.dev ? "script-src 'self' 'unsafe-inline'" : "script-src 'self'",
    `style-src 'self' ${styles}`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    opts.dev ? "connect-src 'self' ws: http://localhost:* http://127.0.0.1:*" : "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
