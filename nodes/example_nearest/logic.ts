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

/** What the stale-input check needs to know; times in seconds on the node's clock. */
export interface StaleScanState {
  /** When the last scan arrived, undefined before the first. */
  lastScanSec: number | undefined;
  /** When the last stale-scan warning was logged, undefined when none since the last scan. */
  lastWarnSec: number | undefined;
}

/**
 * The stale-scan warning to log at `nowSec`, or undefined: none while scans are fresh, and at most one
 * every `warnEveryS` seconds during an outage (throttled like RCLCPP_WARN_THROTTLE). Says "yet" before the
 * first scan instead of an infinite age.
 */
export function staleScanWarning(
  state: StaleScanState,
  nowSec: number,
  maxAgeS: number,
  warnEveryS: number,
): string | undefined {
  const { lastScanSec, lastWarnSec } = state;
  if (lastScanSec !== undefined && nowSec - lastScanSec <= maxAgeS) return undefined;
  if (lastWarnSec !== undefined && nowSec - lastWarnSec < warnEveryS) return undefined;
  return lastScanSec === undefined ? 'yet' : `for ${(nowSec - lastScanSec).toFixed(2)} s`;
}
