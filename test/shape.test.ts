// The dependency rules of DESIGN.md "Layout" (.dependency-cruiser.cjs), run over
// the real tree and over a small planted tree that breaks each rule once, so a
// rule that silently stopped matching (a renamed folder, a regex typo) fails here.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

interface Violation { rule: { name: string }; from: string; to: string }

async function cruise(cwd: string, dirs: string[]): Promise<Violation[]> {
  // depcruise exits non-zero when it finds violations; the JSON report is on stdout either way.
  const run = promisify(execFile)(process.execPath, [depcruise, ...dirs, '--config', config, '--output-type', 'json'], { cwd, maxBuffer: 64 << 20 });
  const { stdout } = await run.catch((err: { stdout?: string }) => {
    if (typeof err.stdout === 'string' && err.stdout.startsWith('{')) return { stdout: err.stdout };
    throw err;
  });
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('dependency rules', () => {
  const made: string[] = [];
  afterAll(async () => { for (const d of made) await rm(d, { recursive: true, force: true }); });

  it('the tree keeps them: no engine folder cycle, no stage → api.ts, engine without UI, renderer → contract only', async () => {
    const got = await cruise(root, ['engine', 'renderer', 'electron', 'bin']);
    expect(got.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  }, 180_000);

  it('each rule catches a planted violation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailstop-shape-'));
    made.push(dir);
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }),
      'engine/contracts.ts': 'export type QueueId = string;\n',
      'engine/api.ts': "import type { QueueId } from './contracts.ts';\nimport { spool } from './queue/spool.ts';\nexport type Id = QueueId; export const s = spool;\n",
      // a stage reaching up into the outer surface
      'engine/qmgr/index.ts': "import type { Id } from '../api.ts';\nimport { r } from '../resolve/index.ts';\nexport const q = (i: Id) => r(i);\n",
      // two folders importing each other
      'engine/resolve/index.ts': "import { q } from '../qmgr/index.ts';\nexport const r = (x: string) => x; export const back = q;\n",
      'engine/queue/spool.ts': "import { BrowserWindow } from 'electron';\nexport const spool = BrowserWindow;\n",
      'renderer/page.ts': "import { spool } from '../engine/queue/spool.ts';\nimport type { Id } from '../engine/api.ts';\nexport const p: Id = String(spool);\n",
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    const got = new Set((await cruise(dir, ['engine', 'renderer'])).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`));
    for (const want of [
      'stage-not-to-api: engine/qmgr/index.ts → engine/api.ts',
      'api-is-a-leaf: engine/api.ts → engine/queue/spool.ts',
      'engine-not-to-ui: engine/queue/spool.ts → electron',
      'renderer-only-contract: renderer/page.ts → engine/queue/spool.ts',
    ]) expect(got, want).toContain(want);
    expect([...got].some((v) => v.startsWith('no-engine-folder-cycle: ')), [...got].join('\n')).toBe(true);
    // The contract itself is allowed: renderer → engine/api.ts is not reported.
    expect([...got].some((v) => v.startsWith('renderer-only-contract: renderer/page.ts → engine/api.ts'))).toBe(false);
  }, 180_000);
});
