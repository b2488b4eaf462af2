// config.json problems, one line each, and reading/writing one setting by path.
import { describe, expect, it } from 'vitest';
import { checkConfig, getPath, parseValue, setPath } from '../../../engine/cli/config-file.ts';

describe('checkConfig', () => {
  const cases: { name: string; raw: Record<string, unknown>; want: string[] }[] = [
    { name: 'empty is fine', raw: {}, want: [] },
    { name: 'bad enum names the field', raw: { delivery: { mode: 'sometimes' } }, want: ['delivery.mode: '] },
    { name: 'bad port names the field', raw: { listen: { smtp: 70000 } }, want: ['listen.smtp: '] },
    { name: 'bad cron names the field', raw: { delivery: { queueRun: 'every tuesday' } }, want: ['delivery.queueRun: not a cron expression'] },
    { name: 'typo is an unknown setting', raw: { delivery: { mdoe: 'deferred' }, hostnme: 'x' },
      want: ['delivery.mdoe: unknown setting', 'hostnme: unknown setting'] },
    { name: 'aliases are user data, never unknown', raw: { aliases: { anything: ['root'] } }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = checkConfig(c.raw);
      expect(got.length).toBe(c.want.length);
      c.want.forEach((w, i) => expect(got[i].startsWith(w), `${got[i]} starts with ${w}`).toBe(true));
    });
  }
});

describe('paths', () => {
  it('reads with dots and [n]', () => {
    const s = { routes: [{ host: 'a' }], delivery: { mode: 'x' } };
    expect(getPath(s, 'routes[0].host')).toBe('a');
    expect(getPath(s, 'routes.0.host')).toBe('a');
    expect(getPath(s, 'delivery.nope')).toBeUndefined();
    expect(getPath(s, 'delivery.mode.deeper')).toBeUndefined();
  });
  it('sets without touching the original, creating sections', () => {
    const s = { delivery: { mode: 'x' } };
    const got = setPath(s, 'delivery.online.probe', 'dns');
    expect(got).toEqual({ delivery: { mode: 'x', online: { probe: 'dns' } } });
    expect(s).toEqual({ delivery: { mode: 'x' } });
  });
  it('values are JSON when they parse, else text', () => {
    expect([parseValue('2525'), parseValue('true'), parseValue('["a"]'), parseValue('deferred')]).toEqual([2525, true, ['a'], 'deferred']);
  });
});
