/**
 * Stopping along a path (ISO 13855's S = K·T + C, ISO/TS 15066's speed and separation monitoring): a
 * twist scaled by k in [0, 1] keeps its path; the robot covers it at k times the full twist's rate for
 * the reaction time, then brakes at its braking deceleration (linear and angular, whichever needs
 * longer) to a stop along the same path. Progress is measured in seconds of the full twist. Pure.
 */

/**
 * [s] time to brake the full twist (vx, vy [m/s], wz [rad/s]) to a stop: the larger of
 * |v| / decel and |wz| / angularDecel.
 */
export function brakeTime(vx: number, vy: number, wz: number, decel: number, angularDecel: number): number {
  const lin = Math.sqrt(vx * vx + vy * vy) / decel;
  const ang = Math.abs(wz) / angularDecel;
  return lin > ang ? lin : ang;
}

/** [s of full-twist progress] covered from driving at scale `k` until stopped: k·Tr + k²·M/2. */
export function stopProgress(k: number, reactionS: number, brakeS: number): number {
  return k * reactionS + 0.5 * k * k * brakeS;
}

/**
 * The largest scale k in [0, 1] at which the robot, reacting after `reactionS` and braking the full twist
 * in `brakeS`, stops within `u` [s of full-twist progress]: the root of k²·M/2 + k·Tr = u.
 */
export function stopScale(u: number, reactionS: number, brakeS: number): number {
  if (!(u > 0)) return 0;
  if (stopProgress(1, reactionS, brakeS) <= u) return 1;
  // the root in the form that stays exact when brakeS is tiny (no cancellation)
  let k = (2 * u) / (reactionS + Math.sqrt(reactionS * reactionS + 2 * brakeS * u));
  if (!(k > 0)) return 0;
  if (k > 1) k = 1;
  // rounding must never put the stop past u: progress(λk) <= λ·progress(k) for λ <= 1
  const p = stopProgress(k, reactionS, brakeS);
  return p > u ? k * (u / p) * (1 - 1e-12) : k;
}

/**
 * [m] the range up to which a lidar with beams `spacingRad` apart is sure to hit an object at least
 * `widthM` wide (two neighbouring beams are `range · spacing` apart there), never beyond `rangeMaxM`.
 * 0 width: the sensor's range.
 */
export function detectionRange(widthM: number, spacingRad: number, rangeMaxM: number): number {
  if (!(widthM > 0) || !(spacingRad > 0)) return rangeMaxM;
  const r = widthM / spacingRad;
  return r < rangeMaxM ? r : rangeMaxM;
}

/** [1] the largest share of (vx, vy [m/s], wz [rad/s]), at most 1, within `linCap` [m/s] and `angCap` [rad/s]. */
export function capShare(vx: number, vy: number, wz: number, linCap: number, angCap: number): number {
  const speed = Math.sqrt(vx * vx + vy * vy);
  let k = 1;
  if (speed > linCap) k = linCap / speed;
  if (Math.abs(wz) * k > angCap) k = angCap / Math.abs(wz);
  return k;
}
