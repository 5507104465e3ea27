import { describe, it, expect } from '@jest/globals';
import { SettableClock, SystemClock, secToNs, timeFromNs, timeToNs, timeToSec } from '../../../nodes/core/graph/clock';

describe('clocks and ROS time', () => {
  it('converts between nanoseconds, seconds and builtin_interfaces/Time', () => {
    expect(timeFromNs(1_500_000_001n)).toEqual({ sec: 1, nanosec: 500_000_001 });
    expect(timeToNs({ sec: 2, nanosec: 5 })).toBe(2_000_000_005n);
    expect(timeToSec({ sec: 2, nanosec: 500_000_000 })).toBe(2.5);
    expect(secToNs(0.1)).toBe(100_000_000n);
    expect(() => secToNs(Number.NaN)).toThrow(expect.objectContaining({ code: 'KZ_ERR_CLOCK' }));
    expect(() => secToNs(-1)).toThrow(/finite number of seconds >= 0/);
  });

  it('keeps a settable clock monotonic and tells listeners when it moves', () => {
    const c = new SettableClock('sim', 10n);
    const seen: bigint[] = [];
    c.onChange((ns) => seen.push(ns));
    expect(c.set(5n)).toBe(false);
    c.advance(1e-9);
    expect(c.nowNs()).toBe(11n);
    expect(seen).toEqual([11n]);
  });

  it('reads wall-clock time close to Date.now and never goes backwards', () => {
    const c = new SystemClock();
    const a = c.nowNs();
    const b = c.nowNs();
    expect(b >= a).toBe(true);
    expect(Math.abs(Number(a / 1_000_000n) - Date.now())).toBeLessThan(1000);
  });
});
