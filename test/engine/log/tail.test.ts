import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailFile } from '../../../engine/log/tail.ts';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'mailstop-tail-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('tailFile', () => {
  const huge = 'h'.repeat(150 * 1024); // longer than one read chunk
  const table: { name: string; content: string; count: number; filter?: string; want: string[] }[] = [
    { name: 'no trailing newline', content: 'a\nb\nc', count: 2, want: ['b', 'c'] },
    { name: 'fewer lines than asked', content: 'a\nb\n', count: 10, want: ['a', 'b'] },
    { name: 'empty lines are not log lines', content: 'a\n\n\nb\n', count: 10, want: ['a', 'b'] },
    { name: 'CRLF-edited file', content: 'a\r\nb\r\n', count: 10, want: ['a', 'b'] },
    { name: 'a line longer than a read chunk', content: `x\n${huge}\ny\n`, count: 2, want: [huge, 'y'] },
    { name: 'filter is a case-sensitive substring', content: 'Q1: a\nq1: b\nQ1: c\n', count: 5, filter: 'Q1', want: ['Q1: a', 'Q1: c'] },
    { name: 'empty file', content: '', count: 5, want: [] },
  ];
  for (const [i, c] of table.entries()) {
    it(c.name, async () => {
      const file = join(dir, `f${i}`);
      await writeFile(file, c.content);
      const got = await tailFile(file, c.count, c.filter);
      expect(got).toEqual(c.want);
    });
  }

  it('a missing file has no lines; other errors surface', async () => {
    expect(await tailFile(join(dir, 'missing'), 5)).toEqual([]);
    await expect(tailFile(dir, 5)).rejects.toThrow(/EISDIR/);
  });
});
