import { describe, expect, it } from 'vitest';
import { Anvil, RATE_WINDOW_MS, STRESS_IDLE_MS, refusalText, type AnvilLimits } from '../../../engine/smtpd/anvil.ts';

const limits = (l: Partial<AnvilLimits> = {}): AnvilLimits =>
  ({ maxDaemonChildren: 20, maxSubmissionChildren: 20, clientConnLimit: 3, clientConnRate: 0, ...l });

function rig(l: Partial<AnvilLimits> = {}) {
  let t = 1_000_000;
  const anvil = new Anvil(() => limits(l), () => t);
  let n = 0;
  const admit = (daemon: 'smtp' | 'submission' | 'smtps', address: string) => anvil.admit(`s${n++}`, daemon, address);
  return { anvil, admit, advance: (ms: number) => { t += ms; }, lastId: () => `s${n - 1}` };
}

describe('Anvil', () => {
  it('limits concurrent sessions per client over both pools, names the setting, and frees a slot on release', () => {
    const r = rig({ clientConnLimit: 3 });
    expect([r.admit('smtp', '192.0.2.1'), r.admit('submission', '192.0.2.1'), r.admit('smtps', '::ffff:192.0.2.1')].every((a) => a.ok)).toBe(true);
    const got = r.admit('smtp', '192.0.2.1');
    expect(got).toEqual({ ok: false, limit: 'concurrency', count: 4, max: 3, setting: 'smtp.clientConnLimit' });
    expect(r.admit('smtp', '192.0.2.2').ok).toBe(true);
    r.anvil.release('s0');
    expect(r.admit('smtp', '192.0.2.1').ok).toBe(true);
  });

  it('never limits the local machine per client (127.0.0.1, ::1), only by the pool', () => {
    const r = rig({ clientConnLimit: 1, clientConnRate: 1, maxDaemonChildren: 5 });
    const got = Array.from({ length: 6 }, () => r.admit('smtp', '127.0.0.1'));
    expect(got.slice(0, 5).every((a) => a.ok)).toBe(true);
    expect(got[5]).toMatchObject({ ok: false, limit: 'pool', setting: 'smtp.maxDaemonChildren' });
    expect(r.admit('smtp', '127.0.0.2')).toMatchObject({ ok: false, limit: 'pool' });
  });

  it('keeps submission and smtps in a pool of their own', () => {
    const r = rig({ maxDaemonChildren: 2, maxSubmissionChildren: 2, clientConnLimit: 0 });
    expect(r.admit('smtp', '192.0.2.1').ok && r.admit('smtp', '192.0.2.2').ok).toBe(true);
    expect(r.admit('smtp', '192.0.2.3')).toMatchObject({ ok: false, limit: 'pool', setting: 'smtp.maxDaemonChildren' });
    expect(r.admit('submission', '192.0.2.3').ok).toBe(true);
    expect(r.admit('smtps', '192.0.2.4').ok).toBe(true);
    expect(r.admit('submission', '192.0.2.5')).toMatchObject({ ok: false, limit: 'pool', setting: 'smtp.maxSubmissionChildren' });
  });

  it('counts every connection toward the rate over a sliding minute', () => {
    const r = rig({ clientConnRate: 2, clientConnLimit: 0 });
    expect(r.admit('smtp', '192.0.2.1').ok).toBe(true);
    r.advance(RATE_WINDOW_MS / 2);
    expect(r.admit('smtp', '192.0.2.1').ok).toBe(true);
    expect(r.admit('smtp', '192.0.2.1')).toMatchObject({ ok: false, limit: 'rate', count: 3, max: 2, setting: 'smtp.clientConnRate' });
    r.advance(RATE_WINDOW_MS / 2);
    // The first has left the window; the refused one still counts.
    expect(r.admit('smtp', '192.0.2.1')).toMatchObject({ ok: false, limit: 'rate' });
    r.advance(RATE_WINDOW_MS);
    expect(r.admit('smtp', '192.0.2.1').ok).toBe(true);
  });

  it('under stress names sessions without a complete command for the stress timeout, never one in DATA', () => {
    const r = rig({ maxDaemonChildren: 4, clientConnLimit: 0 });
    r.admit('smtp', '192.0.2.1'); // s0: idle
    r.admit('smtp', '192.0.2.2'); // s1: sends commands
    r.admit('smtp', '192.0.2.3'); // s2: in DATA
    r.advance(STRESS_IDLE_MS);
    expect(r.anvil.idleUnderStress(), '3 of 4 is stress already').toEqual(['s0', 's1', 's2']);
    r.anvil.command('s1');
    r.anvil.data('s2', true);
    r.advance(1);
    expect(r.anvil.idleUnderStress()).toEqual(['s0']);
    r.anvil.release('s0');
    r.advance(STRESS_IDLE_MS);
    expect(r.anvil.idleUnderStress(), '2 of 4 is no stress').toEqual([]);
  });

  it('refusal texts name the limit and its setting', () => {
    expect(refusalText('mx.test', '::ffff:192.0.2.1', { ok: false, limit: 'concurrency', count: 11, max: 10, setting: 'smtp.clientConnLimit' }))
      .toEqual({ enhanced: '4.7.0', text: 'mx.test Too many concurrent connections from [192.0.2.1] (smtp.clientConnLimit 10); please try again later' });
    expect(refusalText('mx.test', '192.0.2.1', { ok: false, limit: 'pool', count: 20, max: 20, setting: 'smtp.maxDaemonChildren' }).enhanced).toBe('4.3.2');
  });
});
