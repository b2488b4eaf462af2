// Queue IDs: shape, time order, uniqueness within a process and across processes
// (a restart is a new process).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isQueueId, newQueueId, queueIdPid, queueIdTime } from '../../../engine/queue/queue-id.ts';

const run = promisify(execFile);
const moduleUrl = new URL('../../../engine/queue/queue-id.ts', import.meta.url).href;

/** IDs made by a separate Node process (another pid, as after a restart). */
async function idsFromChild(times: number[]): Promise<string[]> {
  const code = `import { newQueueId } from ${JSON.stringify(moduleUrl)};
    console.log(JSON.stringify(${JSON.stringify(times)}.map((t) => newQueueId(t))));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
  });
  return JSON.parse(stdout) as string[];
}

describe('newQueueId', () => {
  it('is 14 characters of [0-9A-Za-z]', () => {
    const got = newQueueId();
    expect(got).toMatch(/^[0-9A-Za-z]{14}$/);
    expect(isQueueId(got)).toBe(true);
  });

  it('sorts as strings in the order of the times given', () => {
    // Later than any other time in this file: IDs never go back in time within a process.
    const base = Date.UTC(2045, 0, 1);
    const times = [0, 1, 61, 62, 1000, 3_600_000, 86_400_000 * 400].map((d) => base + d);
    const got = times.map((t) => newQueueId(t));
    expect([...got].sort()).toEqual(got);
    expect(got.map(queueIdTime)).toEqual(times);
  });

  it('stays unique and increasing for many IDs in the same millisecond', () => {
    const t = Date.UTC(2030, 5, 1);
    const got = Array.from({ length: 20_000 }, () => newQueueId(t));
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(got);
  });

  it('does not go backwards when the clock does', () => {
    const a = newQueueId(Date.UTC(2031, 0, 1));
    const b = newQueueId(Date.UTC(2001, 0, 1));
    expect(b > a).toBe(true);
  });

  it('differs across processes for the same millisecond and keeps time order', async () => {
    const t = Date.UTC(2032, 0, 1);
    const [first, second] = await Promise.all([idsFromChild([t, t + 1]), idsFromChild([t, t + 1])]);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(4);
    // Whatever the pids, an ID of a later millisecond sorts after every earlier one.
    expect(first[1] > second[0] && second[1] > first[0]).toBe(true);
  });

  it('isQueueId refuses what could escape the spool directory', () => {
    const cases: { in: string; want: boolean }[] = [
      { in: '0123456789abcd', want: true },
      { in: '../../etc/pass', want: false },
      { in: '0123456789abc', want: false },
      { in: '0123456789abcde', want: false },
      { in: '0123456789abc/', want: false },
    ];
    for (const c of cases) expect({ in: c.in, got: isQueueId(c.in) }).toEqual({ in: c.in, got: c.want });
  });
});

describe('queueIdPid', () => {
  it('names the process that made the ID', () => {
    const got = [newQueueId(), newQueueId(0), newQueueId(Date.UTC(2080, 0, 1))].map(queueIdPid);
    expect(got).toEqual([process.pid, process.pid, process.pid]);
  });
});
