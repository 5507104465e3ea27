/**
 * The footprint's sweep along a constant twist: where and when a point first touches the footprint
 * rectangle as the robot drives the twist. Exact (no time steps): in the robot's frame a point moves on
 * a straight line (no rotation) or on a circle around the instantaneous centre of rotation, so its
 * first contact with the rectangle is a line/circle crossing of one of the four edges.
 *
 * Progress `u` is measured in seconds of driving the twist at full size; at scale k the robot covers
 * the same path at k times the rate. Pure, allocation-free.
 */

/** A rectangle around base_link: front and rear edges along x, half width along y [m]. */
export interface Box {
  front: number;
  rear: number;
  halfWidth: number;
}

/** True when (x, y) [m, base_link] lies inside `b` grown by `g` [m] on every side. */
export function inBox(x: number, y: number, b: Box, g: number): boolean {
  return x <= b.front + g && x >= -b.rear - g && y <= b.halfWidth + g && y >= -b.halfWidth - g;
}

/** [m] distance from (x, y) to the rectangle `b` (0 inside). */
export function boxDistance(x: number, y: number, b: Box): number {
  const dx = x > b.front ? x - b.front : x < -b.rear ? -b.rear - x : 0;
  const dy = y > b.halfWidth ? y - b.halfWidth : y < -b.halfWidth ? -b.halfWidth - y : 0;
  return Math.sqrt(dx * dx + dy * dy);
}

/** Below this |wz|·horizon [rad] the path is treated as straight (its bend is far below a millimetre). */
const STRAIGHT_RAD = 1e-6;
const TWO_PI = 2 * Math.PI;

/**
 * [s of full-twist progress] when the point (px, py) [m, base_link] first enters `b` grown by `g` while
 * the robot drives (vx, vy [m/s], wz [rad/s]); 0 when it is inside already, Infinity when it is not
 * reached within `horizon` [s].
 */
export function hitProgress(
  px: number,
  py: number,
  vx: number,
  vy: number,
  wz: number,
  b: Box,
  g: number,
  horizon: number,
): number {
  const xMax = b.front + g;
  const xMin = -b.rear - g;
  const yMax = b.halfWidth + g;
  const yMin = -yMax;
  if (px <= xMax && px >= xMin && py <= yMax && py >= yMin) return 0;
  if (Math.abs(wz) * horizon < STRAIGHT_RAD) {
    // The point moves at (-vx, -vy) in the robot's frame: slab test.
    let enter = 0;
    let exit = horizon;
    const dx = -vx;
    const dy = -vy;
    if (dx === 0) {
      if (px > xMax || px < xMin) return Number.POSITIVE_INFINITY;
    } else {
      let t1 = (xMin - px) / dx;
      let t2 = (xMax - px) / dx;
      if (t1 > t2) {
        const t = t1;
        t1 = t2;
        t2 = t;
      }
      if (t1 > enter) enter = t1;
      if (t2 < exit) exit = t2;
    }
    if (dy === 0) {
      if (py > yMax || py < yMin) return Number.POSITIVE_INFINITY;
    } else {
      let t1 = (yMin - py) / dy;
      let t2 = (yMax - py) / dy;
      if (t1 > t2) {
        const t = t1;
        t1 = t2;
        t2 = t;
      }
      if (t1 > enter) enter = t1;
      if (t2 < exit) exit = t2;
    }
    return enter <= exit ? enter : Number.POSITIVE_INFINITY;
  }
  // Rotation about the centre c; the point turns by -wz*u around c in the robot's frame.
  const cx = -vy / wz;
  const cy = vx / wz;
  const qx = px - cx;
  const qy = py - cy;
  const rho = Math.sqrt(qx * qx + qy * qy);
  // The circle must pass between the nearest and farthest points of the rectangle from c.
  const ddx = cx > xMax ? cx - xMax : cx < xMin ? xMin - cx : 0;
  const ddy = cy > yMax ? cy - yMax : cy < yMin ? yMin - cy : 0;
  if (rho * rho < ddx * ddx + ddy * ddy) return Number.POSITIVE_INFINITY;
  const fx = Math.max(Math.abs(xMax - cx), Math.abs(xMin - cx));
  const fy = Math.max(Math.abs(yMax - cy), Math.abs(yMin - cy));
  if (rho * rho > fx * fx + fy * fy) return Number.POSITIVE_INFINITY;
  const phi0 = Math.atan2(qy, qx);
  const dir = wz > 0 ? 1 : -1;
  let best = TWO_PI + 1;
  // Vertical edges x = X: cos(phi) = (X - cx) / rho.
  for (let e = 0; e < 2; e++) {
    const a = ((e === 0 ? xMax : xMin) - cx) / rho;
    if (a < -1 || a > 1) continue;
    const ac = Math.acos(a);
    for (let s = 0; s < 2; s++) {
      const phi = s === 0 ? ac : -ac;
      const y = cy + rho * Math.sin(phi);
      if (y > yMax + 1e-12 || y < yMin - 1e-12) continue;
      let d = (phi0 - phi) * dir;
      d -= TWO_PI * Math.floor(d / TWO_PI);
      if (d < best) best = d;
    }
  }
  // Horizontal edges y = Y: sin(phi) = (Y - cy) / rho.
  for (let e = 0; e < 2; e++) {
    const bb = ((e === 0 ? yMax : yMin) - cy) / rho;
    if (bb < -1 || bb > 1) continue;
    const as = Math.asin(bb);
    for (let s = 0; s < 2; s++) {
      const phi = s === 0 ? as : Math.PI - as;
      const x = cx + rho * Math.cos(phi);
      if (x > xMax + 1e-12 || x < xMin - 1e-12) continue;
      let d = (phi0 - phi) * dir;
      d -= TWO_PI * Math.floor(d / TWO_PI);
      if (d < best) best = d;
    }
  }
  if (best > TWO_PI) return Number.POSITIVE_INFINITY;
  const u = best / Math.abs(wz);
  return u <= horizon ? u : Number.POSITIVE_INFINITY;
}

/**
 * Where (px, py) [m, base_link] is after the robot drove (vx, vy, wz) for progress `u` [s]: writes x, y
 * into `out[0..1]`.
 */
export function pointAfter(
  px: number,
  py: number,
  vx: number,
  vy: number,
  wz: number,
  u: number,
  out: Float64Array,
): void {
  const th = wz * u;
  if (Math.abs(th) < 1e-12) {
    out[0] = px - vx * u;
    out[1] = py - vy * u;
    return;
  }
  // Robot pose after u: exact integration of a constant twist.
  const s = Math.sin(th);
  const c = Math.cos(th);
  const rx = (vx * s - vy * (1 - c)) / wz;
  const ry = (vx * (1 - c) + vy * s) / wz;
  // The point in the new robot frame: R(-th) (p - r).
  const dx = px - rx;
  const dy = py - ry;
  out[0] = c * dx + s * dy;
  out[1] = -s * dx + c * dy;
}
