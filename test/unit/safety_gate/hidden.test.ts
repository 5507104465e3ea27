/** Occlusion edges: where a person may be hidden; nobody hides behind a post or a moving object. */
import { describe, it, expect } from '@jest/globals';
import { occlusionEdges } from '../../../nodes/safety_gate/hidden';
import type { ScanPoints } from '../../../nodes/safety_gate/scan';
import { halfScan } from './half-scan';

/** A half-circle scan from a sensor at base_link: a wall 6 m away, and an object of `width` 2 m ahead. */
function scene(width: number): ScanPoints {
  return halfScan((a) => {
    // the object: a segment across the beam at x = 2, |y| <= width / 2
    const y = 2 * Math.tan(a);
    return Math.abs(a) < 1.2 && Math.abs(y) <= width / 2 ? 2 / Math.cos(a) : 6;
  });
}

const cfg = { gapM: 0.6, maxRangeM: 4, collinearM: 0.15, minWidthM: 0.2 };
const edges = (pts: ScanPoints, c = cfg, skip?: (i: number) => boolean): number =>
  occlusionEdges(pts, c, new Float64Array(8), new Float64Array(8), 0, skip);

describe('occlusionEdges', () => {
  it('finds both edges of a box wide enough to hide someone, none at a thin post', () => {
    expect(edges(scene(0.8))).toBe(2);
    expect(edges(scene(0.1))).toBe(0);
    // without the width rule the post has its two edges too
    expect(edges(scene(0.1), { ...cfg, minWidthM: 0 })).toBe(2);
  });

  it('leaves out edges whose near point the caller skips (a moving object)', () => {
    expect(edges(scene(0.8), cfg, () => true)).toBe(0);
  });
});
