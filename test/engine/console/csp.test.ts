// One Content-Security-Policy for the renderer wherever it runs: the console's
// (with a style nonce) and the Electron window's (without) differ only there.
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../../engine/console/csp.ts';

const directives = (csp: string) => new Map(csp.split('; ').map((d) => [d.split(' ')[0], d]));

describe('contentSecurityPolicy', () => {
  const cases: { name: string; got: string; want: Record<string, string> }[] = [
    { name: 'console (nonce)', got: contentSecurityPolicy({ styleNonce: 'abc' }),
      want: { 'script-src': "script-src 'self'", 'style-src': "style-src 'self' 'nonce-abc'", 'connect-src': "connect-src 'self'" } },
    { name: 'electron (file://, no nonce)', got: contentSecurityPolicy(),
      want: { 'script-src': "script-src 'self'", 'style-src': "style-src 'self' 'unsafe-inline'", 'connect-src': "connect-src 'self'" } },
    { name: 'vite dev server', got: contentSecurityPolicy({ dev: true }),
      want: { 'script-src': "script-src 'self' 'unsafe-inline'", 'connect-src': "connect-src 'self' ws: http://localhost:* http://127.0.0.1:*" } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = directives(c.got);
      for (const [name, want] of Object.entries(c.want)) expect(got.get(name), name).toBe(want);
      // The walls every variant keeps.
      for (const wall of ["default-src 'none'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'none'"]) {
        expect(c.got).toContain(wall);
      }
      expect(c.got).not.toContain('unsafe-eval');
    });
  }

  it('the strict policies never allow inline script', () => {
    for (const csp of [contentSecurityPolicy(), contentSecurityPolicy({ styleNonce: 'n' })]) {
      expect(directives(csp).get('script-src')).toBe("script-src 'self'");
    }
  });
});
