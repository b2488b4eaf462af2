// Serves the built renderer (vite's output in dist/renderer): files as they are,
// index.html for any other page path (the renderer routes on the client). It never
// serves anything outside that directory and never builds the renderer itself.
import { promises as fs } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const MISSING_BUILD = '<!doctype html><meta charset="utf-8"><title>Mailstop</title>' +
  '<p>The console UI is not built yet: run <code>npm run build</code>, then reload.</p>\n';

export interface StaticResult { status: number; type: string; body: Buffer | string; immutable?: boolean }

/** Resolve a URL path to a file inside root, or null when it escapes root. */
function inside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

async function readFileOrNull(file: string): Promise<Buffer | null> {
  try {
    const st = await fs.stat(file);
    return st.isFile() ? await fs.readFile(file) : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw err;
  }
}

/** index.html with the style nonce made available to the app (Mantine's getStyleNonce). */
function withNonce(html: string, nonce: string): string {
  return html.replace('</head>', `<meta name="csp-nonce" content="${nonce}"></head>`);
}

export async function serveStatic(root: string, urlPath: string, nonce: string): Promise<StaticResult> {
  const resolvedRoot = path.resolve(root);
  const file = inside(resolvedRoot, urlPath);
  if (!file) return { status: 404, type: TYPES['.txt'], body: 'not found\n' };
  const ext = path.extname(file);
  if (file !== resolvedRoot && ext !== '.html') {
    const body = await readFileOrNull(file);
    // vite puts content-hashed names under assets/, so those may be cached forever.
    if (body) return { status: 200, type: TYPES[ext] ?? 'application/octet-stream', body, immutable: urlPath.startsWith('/assets/') };
    // A missing asset is a 404, not the SPA page (a script tag fed HTML fails confusingly).
    if (ext) return { status: 404, type: TYPES['.txt'], body: 'not found\n' };
  }
  const index = await readFileOrNull(path.join(resolvedRoot, 'index.html'));
  if (!index) return { status: 200, type: TYPES['.html'], body: MISSING_BUILD };
  return { status: 200, type: TYPES['.html'], body: withNonce(index.toString('utf8'), nonce) };
}
