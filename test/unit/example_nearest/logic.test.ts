import { describe, it, expect } from '@jest/globals';
import { nearestReturn, staleScanWarning } from '../../../nodes/example_nearest/logic';

const base = { angle_min: -1, angle_increment: 0.5, range_min: 0.1, range_max: 10 };

describe('example_nearest logic', () => {
  it('finds the nearest return and its bearing from angle_min and angle_increment', () => {
    expect(nearestReturn({ ...base, ranges: [5, 2, 3, 0.5, 4] })).toEqual({ rangeM: 0.5, bearingRad: 0.5 });
  });

  it('skips NaN, ±Inf and returns outside [range_min, range_max] (REP 117)', () => {
    expect(nearestReturn({ ...base, ranges: [NaN, -Infinity, 0.05, Infinity, 11, 7] })).toEqual({
      rangeM: 7,
      bearingRad: 1.5,
    });
    expect(nearestReturn({ ...base, ranges: [NaN, Infinity] })).toBeUndefined();
  });

  it('returns nothing for a scan whose limits are not finite', () => {
    expect(nearestReturn({ ...base, angle_increment: NaN, ranges: [1] })).toBeUndefined();
  });
});

describe('example_nearest stale-scan warning', () => {
  it('says "yet" before the first scan instead of an infinite age', () => {
    expect(staleScanWarning({ lastScanSec: undefined, lastWarnSec: undefined }, 1, 0.5, 5)).toBe('yet');
  });

  it('stays quiet while scans are fresh and gives the age during an outage', () => {
    expect(staleScanWarning({ lastScanSec: 10, lastWarnSec: undefined }, 10.4, 0.5, 5)).toBeUndefined();
    expect(staleScanWarning({ lastScanSec: 10, lastWarnSec: undefined }, 11.5, 0.5, 5)).toBe('for 1.50 s');
  });

  it('throttles repeated warnings to one per warn_every_s', () => {
    const state = { lastScanSec: undefined, lastWarnSec: 100 };
    expect(staleScanWarning(state, 100.5, 0.5, 5)).toBeUndefined();
    expect(staleScanWarning(state, 104.9, 0.5, 5)).toBeUndefined();
    expect(staleScanWarning(state, 105, 0.5, 5)).toBe('yet');
  });
});
