/** Where beams lately saw nothing: cells crossed by a beam are free for a while; where a beam ended, not. */
import { describe, it, expect } from '@jest/globals';
import { SeenFree } from '../../../nodes/safety_gate/seen';
import { halfScan } from './half-scan';

/** A front lidar at x = 0.3 in base_link, every beam returning at `range`. */
const scan = (range: (a: number) => number) => halfScan(range, 0.3);

describe('SeenFree', () => {
  it('marks what beams crossed up to the range, not where they ended, and forgets with time', () => {
    const seen = new SeenFree({ cellM: 0.1, cells: 128, rangeM: 3 });
    // robot at (5, 5) facing +y: the lidar looks north; a wall 2 m ahead of the lidar
    seen.observe(
      scan(() => 2),
      5,
      5,
      Math.PI / 2,
      10,
    );
    expect(seen.seenSince(5, 5.3 + 1.0, 9)).toBe(true); // 1 m ahead of the lidar
    expect(seen.seenSince(5, 5.3 + 2.0, 9)).toBe(false); // the wall itself
    expect(seen.seenSince(5, 5.3 + 1.0, 10.5)).toBe(false); // not since 10.5
    expect(seen.seenSince(5, 4.5, 9)).toBe(false); // behind: no beam went there
  });

  it('marks free up to its own range when the beams return nothing, and skips NaN beams', () => {
    const seen = new SeenFree({ cellM: 0.1, cells: 128, rangeM: 3 });
    seen.observe(
      scan(() => Number.POSITIVE_INFINITY),
      0,
      0,
      0,
      1,
    );
    expect(seen.seenSince(2.5, 0, 0)).toBe(true);
    expect(seen.seenSince(3.6, 0, 0)).toBe(false); // beyond rangeM from the lidar
    const nan = new SeenFree({ cellM: 0.1, cells: 128, rangeM: 3 });
    nan.observe(
      scan(() => Number.NaN),
      0,
      0,
      0,
      1,
    );
    expect(nan.seenSince(1, 0, 0)).toBe(false);
  });

  it('does not confuse cells a window apart, and forgets all on clear()', () => {
    const seen = new SeenFree({ cellM: 0.1, cells: 128, rangeM: 3 });
    seen.observe(
      scan(() => Number.POSITIVE_INFINITY),
      0,
      0,
      0,
      1,
    );
    expect(seen.seenSince(1, 0, 0)).toBe(true);
    expect(seen.seenSince(1 + 12.8, 0, 0)).toBe(false); // same slot, another cell
    seen.clear();
    expect(seen.seenSince(1, 0, 0)).toBe(false);
    expect(() => new SeenFree({ cellM: 0.1, cells: 100, rangeM: 3 })).toThrow(/power of two/);
  });
});
