/** path_clear_distance: how far the grown footprint could drive straight ahead (planning, not safety). */
import { describe, it, expect } from '@jest/globals';
import { clearAhead, type PointSet } from '../../../nodes/safety_gate/envelope';

const box = { front: 0.4, rear: 0.3, halfWidth: 0.3 };
const set = (pts: [number, number][]): PointSet => ({
  xs: Float64Array.from(pts.map((p) => p[0])),
  ys: Float64Array.from(pts.map((p) => p[1])),
  count: pts.length,
});

describe('clearAhead', () => {
  it('is the distance from the grown front to the first point within the grown width, up to the lookahead', () => {
    expect(clearAhead([set([[3, 0.1]])], [true], box, 0.2, 6)).toBeCloseTo(3 - 0.6, 9);
    // beside the path (wider than 0.3 + 0.2), behind, or in a set that is not real: not counted
    expect(
      clearAhead(
        [
          set([
            [2, 0.6],
            [-1, 0],
            [1, -0.51],
          ]),
        ],
        [true],
        box,
        0.2,
        6,
      ),
    ).toBe(6);
    expect(clearAhead([set([[1, 0]])], [false], box, 0.2, 6)).toBe(6);
    // the nearest of several sets; inside the stop zone: 0
    expect(clearAhead([set([[5, 0]]), set([[2, -0.25]])], [true, true], box, 0.2, 6)).toBeCloseTo(1.4, 9);
    expect(clearAhead([set([[0.5, 0.2]])], [true], box, 0.2, 6)).toBe(0);
    // beside the body (a wall along the flank, inside the stop margin): the way ahead is still clear
    expect(
      clearAhead(
        [
          set([
            [0.3, 0.45],
            [-0.2, 0.45],
            [3, 0.45],
          ]),
        ],
        [true],
        box,
        0.2,
        6,
      ),
    ).toBe(6);
  });
});
