/**
 * Pure logic of example_nearest: the nearest valid return of a laser scan. No ROS, no clock.
 */

/** Nearest valid return: range [m] and bearing [rad, REP 103: counter-clockwise from +x]. */
export interface NearestReturn {
  rangeM: number;
  bearingRad: number;
}

/** The subset of sensor_msgs/msg/LaserScan this logic reads. */
export interface ScanLike {
  angle_min: number;
  angle_increment: number;
  range_min: number;
  range_max: number;
  ranges: ArrayLike<number>;
}

/**
 * The nearest return inside [range_min, range_max], or undefined when the scan has none. NaN and ±Inf
 * (REP 117: no return / out of range) are skipped, as are non-finite scan limits.
 */
export function nearestReturn(scan: ScanLike): NearestReturn | undefined {
  const { angle_min: a0, angle_increment: da, range_min: lo, range_max: hi } = scan;
  if (![a0, da, lo, hi].every(Number.isFinite)) return undefined;
  let best = -1;
  let bestRange = Infinity;
  for (let i = 0; i < scan.ranges.length; i++) {
    const r = scan.ranges[i]!;
    if (r >= lo && r <= hi && r < bestRange) {
      bestRange = r;
      best = i;
    }
  }
  return best < 0 ? undefined : { rangeM: bestRange, bearingRad: a0 + best * da };
}
