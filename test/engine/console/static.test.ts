// The console's static files: assets go out brotli/gzip-compressed when the browser
// takes it (the build's pre-compressed copy if there is one), with their bytes intact.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickEncoding, serveStatic } from '../../../engine/console/static.ts';

let root: string;
const script = 'console.log("mailstop");\n'.repeat(200);

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-static-'));
  await fs.mkdir(path.join(root, 'assets'));
  await fs.writeFile(path.join(root, 'index.html'), '<html><head></head><body></body></html>');
  await fs.writeFile(path.join(root, 'assets', 'app-1.js'), script);
  await fs.writeFile(path.join(root, 'assets', 'pre-1.js'), script);
  // A pre-compressed copy that differs from what compressing here would give: proves it is the one sent.
  await fs.writeFile(path.join(root, 'assets', 'pre-1.js.br'), zlib.brotliCompressSync(Buffer.from('// from the build\n')));
});
afterAll(async () => { await fs.rm(root, { recursive: true, force: true }); });

describe('serveStatic compression', () => {
  it('picks brotli, then gzip, and honours q=0', () => {
    const cases = [
      { got: 'gzip, deflate, br, zstd', want: 'br' }, { got: 'gzip', want: 'gzip' }, { got: 'br;q=0, gzip', want: 'gzip' },
      { got: '', want: undefined }, { got: undefined, want: undefined },
    ];
    for (const c of cases) expect(pickEncoding(c.got), String(c.got)).toBe(c.want);
  });

  it('compresses an asset without a pre-compressed copy, bytes intact, cacheable forever', async () => {
    const br = await serveStatic(root, '/assets/app-1.js', 'n', 'br');
    expect(br).toMatchObject({ status: 200, encoding: 'br', immutable: true });
    expect(zlib.brotliDecompressSync(br.body as Buffer).toString()).toBe(script);
    expect((br.body as Buffer).length).toBeLessThan(script.length / 10);
    const gz = await serveStatic(root, '/assets/app-1.js', 'n', 'gzip');
    expect(zlib.gunzipSync(gz.body as Buffer).toString()).toBe(script);
    const plain = await serveStatic(root, '/assets/app-1.js', 'n');
    expect(plain.encoding).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
  });

  it("sends the build's pre-compressed copy when there is one", async () => {
    const r = await serveStatic(root, '/assets/pre-1.js', 'n', 'br');
    expect(zlib.brotliDecompressSync(r.body as Buffer).toString()).toBe('// from the build\n');
  });

  it('leaves index.html uncompressed (it carries the per-response nonce)', async () => {
    const r = await serveStatic(root, '/', 'abc', 'br');
    expect(r.encoding).toBeUndefined();
    expect(r.body.toString()).toContain('content="abc"');
  });
});
