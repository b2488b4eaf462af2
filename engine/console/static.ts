// Serves the built renderer (vite's output in dist/renderer): files as they are,
// index.html for any other page path (the renderer routes on the client). It never
// serves anything outside that directory and never builds the renderer itself.
//
// Compression: scripts, styles and SVGs go out brotli- or gzip-encoded when the
// browser says it takes them. The build writes `<file>.br` / `<file>.gz` beside
// each asset (vite.config.ts); for a build without them the file is compressed
// once here and kept in memory (assets under /assets/ never change: their names
// carry a content hash, hence also the year-long immutable cache).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
/** Below this a compressed body saves less than the headers it costs. */
const MIN_COMPRESS = 1024;
const COMPRESSIBLE = new Set(['.js', '.mjs', '.css', '.svg', '.json', '.map', '.txt']);
/** Compressed assets kept in memory (built without .br/.gz files): a build is a few MB at most. */
const MAX_CACHE_BYTES = 32 * 1024 * 1024;
const cache = new Map<string, { mtimeMs: number; body: Buffer }>();
let cacheBytes = 0;

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

export type ContentEncoding = 'br' | 'gzip';
export interface StaticResult { status: number; type: string; body: Buffer | string; immutable?: boolean; encoding?: ContentEncoding }

/** The best encoding the browser accepts (Accept-Encoding), brotli first. */
export function pickEncoding(acceptEncoding: string | undefined): ContentEncoding | undefined {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    // "br;q=0" means "not brotli" (RFC 9110 §12.5.3).
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return undefined;
}

/** The file encoded: the build's pre-compressed copy, else compressed once and cached. */
async function encoded(file: string, raw: Buffer, encoding: ContentEncoding): Promise<Buffer> {
  const pre = await readFileOrNull(`${file}.${encoding === 'br' ? 'br' : 'gz'}`);
  if (pre) return pre;
  const key = `${encoding}:${file}`;
  const { mtimeMs } = await fs.stat(file);
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === mtimeMs) return hit.body;
  const body = encoding === 'br'
    ? await brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
    : await gzip(raw, { level: 9 });
  if (cacheBytes + body.length <= MAX_CACHE_BYTES) {
    if (hit) cacheBytes -= hit.body.length;
    cache.set(key, { mtimeMs, body });
    cacheBytes += body.length;
  }
  return body;
}

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

export async function serveStatic(root: string, urlPath: string, nonce: string, acceptEncoding?: string): Promise<StaticResult> {
  const resolvedRoot = path.resolve(root);
  const file = inside(resolvedRoot, urlPath);
  if (!file) return { status: 404, type: TYPES['.txt'], body: 'not found\n' };
  const ext = path.extname(file);
  if (file !== resolvedRoot && ext !== '.html') {
    const body = await readFileOrNull(file);
    // vite puts content-hashed names under assets/, so those may be cached forever.
    if (body) {
      const result: StaticResult = { status: 200, type: TYPES[ext] ?? 'application/octet-stream', body, immutable: urlPath.startsWith('/assets/') };
      const encoding = COMPRESSIBLE.has(ext) && body.length >= MIN_COMPRESS ? pickEncoding(acceptEncoding) : undefined;
      return encoding ? { ...result, body: await encoded(file, body, encoding), encoding } : result;
    }
    // A missing asset is a 404, not the SPA page (a script tag fed HTML fails confusingly).
    if (ext) return { status: 404, type: TYPES['.txt'], body: 'not found\n' };
  }
  const index = await readFileOrNull(path.join(resolvedRoot, 'index.html'));
  if (!index) return { status: 200, type: TYPES['.html'], body: MISSING_BUILD };
  return { status: 200, type: TYPES['.html'], body: withNonce(index.toString('utf8'), nonce) };
}
