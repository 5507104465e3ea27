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
  return hitRect(px, py, vx, vy, wz, -b.rear - g, b.front + g, -b.halfWidth - g, b.halfWidth + g, horizon);
}

/**
 * [s of full-twist progress] when (px, py) first comes within `g` [m] of the rectangle `b` (the
 * footprint grown by a disc of radius g: rounded corners, the exact Minkowski sum), 0 when it is within
 * already, Infinity when not within `horizon` [s].
 */
export function hitRounded(
  px: number,
  py: number,
  vx: number,
  vy: number,
  wz: number,
  b: Box,
  g: number,
  horizon: number,
): number {
  const x0 = -b.rear;
  const x1 = b.front;
  const y1 = b.halfWidth;
  const y0 = -y1;
  let u = hitRect(px, py, vx, vy, wz, x0 - g, x1 + g, y0, y1, horizon);
  if (u === 0) return 0;
  const v = hitRect(px, py, vx, vy, wz, x0, x1, y0 - g, y1 + g, horizon);
  if (v < u) u = v;
  if (u === 0) return 0;
  for (let i = 0; i < 4; i++) {
    const cx = i & 1 ? x1 : x0;
    const cy = i & 2 ? y1 : y0;
    const w = hitCircle(px, py, vx, vy, wz, cx, cy, g, u < horizon ? u : horizon);
    if (w < u) u = w;
    if (u === 0) return 0;
  }
  return u;
}

/** [s] when (px, py) first comes within `g` of the fixed point (cx, cy) [m, base_link] under the twist. */
function hitCircle(
  px: number,
  py: number,
  vx: number,
  vy: number,
  wz: number,
  cx: number,
  cy: number,
  g: number,
  horizon: number,
): number {
  const dx0 = px - cx;
  const dy0 = py - cy;
  if (dx0 * dx0 + dy0 * dy0 <= g * g) return 0;
  if (Math.abs(wz) * horizon < STRAIGHT_RAD) {
    // |d0 - v u|^2 = g^2
    const a = vx * vx + vy * vy;
    if (a === 0) return Number.POSITIVE_INFINITY;
    const bh = -(dx0 * vx + dy0 * vy);
    const c = dx0 * dx0 + dy0 * dy0 - g * g;
    const disc = bh * bh - a * c;
    if (disc < 0 || bh >= 0) return Number.POSITIVE_INFINITY;
    const u = (-bh - Math.sqrt(disc)) / a;
    return u >= 0 && u <= horizon ? u : Number.POSITIVE_INFINITY;
  }
  // the point turns around the centre of rotation c0; the corner sits at distance D from it
  const ox = -vy / wz;
  const oy = vx / wz;
  const qx = px - ox;
  const qy = py - oy;
  const rho = Math.sqrt(qx * qx + qy * qy);
  const kx = cx - ox;
  const ky = cy - oy;
  const D = Math.sqrt(kx * kx + ky * ky);
  if (rho < 1e-12 || D < 1e-12) return Number.POSITIVE_INFINITY;
  const cosA = (rho * rho + D * D - g * g) / (2 * rho * D);
  if (cosA > 1) return Number.POSITIVE_INFINITY; // the circles never come that close
  const alpha = cosA < -1 ? Math.PI : Math.acos(cosA);
  const dir = wz > 0 ? 1 : -1;
  const phi0 = Math.atan2(qy, qx);
  const psi = Math.atan2(ky, kx);
  // entry where the point's angle reaches psi + dir·alpha on its way (it decreases for dir = +1)
  let d = (phi0 - (psi + dir * alpha)) * dir;
  d -= TWO_PI * Math.floor(d / TWO_PI);
  const u = d / Math.abs(wz);
  return u <= horizon ? u : Number.POSITIVE_INFINITY;
}

/** Entry and exit time of the slab test, narrowed by {@link slab} (module scratch: no allocation). */
const SLAB = new Float64Array(2);

/** Narrows SLAB to the times t at which p + d·t lies in [lo, hi]; false when it never does. */
function slab(p: number, d: number, lo: number, hi: number): boolean {
  if (d === 0) return p >= lo && p <= hi;
  let t1 = (lo - p) / d;
  let t2 = (hi - p) / d;
  if (t1 > t2) {
    const t = t1;
    t1 = t2;
    t2 = t;
  }
  if (t1 > SLAB[0]!) SLAB[0] = t1;
  if (t2 < SLAB[1]!) SLAB[1] = t2;
  return true;
}

/** [s] hitProgress against the rectangle [xMin, xMax] × [yMin, yMax]. */
function hitRect(
  px: number,
  py: number,
  vx: number,
  vy: number,
  wz: number,
  xMin: number,
  xMax: number,
  yMin: number,
  yMax: number,
  horizon: number,
): number {
  if (px <= xMax && px >= xMin && py <= yMax && py >= yMin) return 0;
  if (Math.abs(wz) * horizon < STRAIGHT_RAD) {
    // The point moves at (-vx, -vy) in the robot's frame: slab test.
    SLAB[0] = 0;
    SLAB[1] = horizon;
    if (!slab(px, -vx, xMin, xMax) || !slab(py, -vy, yMin, yMax)) return Number.POSITIVE_INFINITY;
    return SLAB[0]! <= SLAB[1]! ? SLAB[0]! : Number.POSITIVE_INFINITY;
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
