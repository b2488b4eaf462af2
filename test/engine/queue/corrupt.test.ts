// The corrupt area keeps everything: a second damaged entry with the same file
// name never overwrites the first, and files without a reason are still listed.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCorruptArea } from '../../../engine/queue/corrupt.ts';

const ID = '0Abc0000000001';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailstop-corrupt-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('corrupt area', () => {
  it('never overwrites: the same id moved twice keeps both copies and both reasons', async () => {
    const area = createCorruptArea(dir);
    await writeFile(join(dir, 'qf' + ID), 'first qf');
    await writeFile(join(dir, 'df' + ID), 'first df');
    const a = await area.move(ID, 'first', 1000);
    await writeFile(join(dir, 'qf' + ID), 'second');
    const b = await area.move(ID, 'second', 2000);

    expect(a).toEqual({ name: ID, size: 16, movedAt: 1000, reason: 'first' });
    expect(b).toEqual({ name: ID, size: 6, movedAt: 2000, reason: 'second' });
    expect((await readdir(area.dir)).sort()).toEqual([`${ID}.reason`, `${ID}.reason.1`, `df${ID}`, `qf${ID}`, `qf${ID}.1`].sort());
    expect(await readFile(join(area.dir, 'qf' + ID), 'utf8')).toBe('first qf');
    expect(await area.list()).toEqual([a, b]);
    expect(await readdir(dir)).toEqual(['corrupt']);
  });

  it('lists files that lack a reason file (crash while moving)', async () => {
    const area = createCorruptArea(dir);
    await mkdir(area.dir);
    await writeFile(join(area.dir, 'df' + ID), '12345');
    const got = await area.list();
    expect(got).toEqual([{ name: ID, size: 5, movedAt: expect.any(Number), reason: expect.stringMatching(/without a recorded reason/) }]);
  });

  it('refuses to move an entry that has no files, and an empty area lists nothing', async () => {
    const area = createCorruptArea(dir);
    await expect(area.move(ID, 'x')).rejects.toThrow(/no files/);
    expect(await area.list()).toEqual([]);
  });
});
