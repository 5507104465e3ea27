import { describe, it, expect } from '@jest/globals';
import {
  SettableClock,
  SystemClock,
  secToNs,
  timeFromNs,
  timeToNs,
  timeToSec,
  timerStep,
  periodToNs,
  timeoutToMs,
  MAX_TIMEOUT_SEC,
} from '../../../nodes/core/graph/clock';

describe('clocks and ROS time', () => {
  it('converts between nanoseconds, seconds and builtin_interfaces/Time', () => {
    expect(timeFromNs(1_500_000_001n)).toEqual({ sec: 1, nanosec: 500_000_001 });
    expect(timeToNs({ sec: 2, nanosec: 5 })).toBe(2_000_000_005n);
    expect(timeToSec({ sec: 2, nanosec: 500_000_000 })).toBe(2.5);
    expect(secToNs(0.1)).toBe(100_000_000n);
    expect(() => secToNs(Number.NaN)).toThrow(expect.objectContaining({ code: 'KZ_ERR_CLOCK' }));
    expect(() => secToNs(-1)).toThrow(/finite number of seconds >= 0/);
  });

  it('lets sim time jump backwards but keeps a manual clock monotonic, telling listeners of each move', () => {
    const sim = new SettableClock('sim', 10n);
    const seen: bigint[] = [];
    sim.onChange((ns) => seen.push(ns));
    expect(sim.set(5n)).toBe(true);
    sim.advance(1e-9);
    expect(sim.nowNs()).toBe(6n);
    expect(seen).toEqual([5n, 6n]);
    const manual = new SettableClock('manual', 10n);
    expect(manual.set(5n)).toBe(false);
    expect(manual.nowNs()).toBe(10n);
  });

  it('steps a timer like rcl: one call per ready check, missed periods skipped, re-armed after a rewind', () => {
    expect(timerStep(100n, 100n, 99n)).toEqual({ fire: false, nextNs: 100n });
    expect(timerStep(100n, 100n, 100n)).toEqual({ fire: true, nextNs: 200n });
    expect(timerStep(100n, 100n, 1050n)).toEqual({ fire: true, nextNs: 1100n });
    expect(timerStep(100n, 100n, 1100n)).toEqual({ fire: true, nextNs: 1100n });
    expect(timerStep(1100n, 100n, 500n)).toEqual({ fire: false, nextNs: 600n });
  });

  it('reads wall-clock time close to Date.now and never goes backwards', () => {
    const c = new SystemClock();
    const a = c.nowNs();
    const b = c.nowNs();
    expect(b >= a).toBe(true);
    expect(Math.abs(Number(a / 1_000_000n) - Date.now())).toBeLessThan(1000);
  });

  it('validates periods and timeouts: no NaN, no zero period, nothing a timer cannot hold', () => {
    expect(periodToNs(0.1)).toBe(100_000_000n);
    expect(periodToNs(1e-9)).toBe(1n);
    for (const bad of [Number.NaN, 0, -1, Infinity, 1e-10, 1e11]) {
      expect(() => periodToNs(bad)).toThrow(expect.objectContaining({ code: 'KZ_ERR_CLOCK' }));
    }
    expect(timeoutToMs(0)).toBe(0);
    expect(timeoutToMs(1.0001)).toBe(1001);
    for (const bad of [Number.NaN, -0.1, Infinity, MAX_TIMEOUT_SEC + 1]) {
      expect(() => timeoutToMs(bad)).toThrow(expect.objectContaining({ code: 'KZ_ERR_CLOCK' }));
    }
  });

  it('tells every listener of a change even when one of them throws', () => {
    const sim = new SettableClock('sim');
    const seen: bigint[] = [];
    sim.onChange(() => {
      throw new Error('bad listener');
    });
    sim.onChange((ns) => seen.push(ns));
    expect(() => sim.set(5n)).not.toThrow();
    expect(seen).toEqual([5n]);
  });
});
