/**
 * What the sensors cannot see, made explicit for the braking envelope:
 * - **blind sectors**: around the footprint, every place no configured scan covers (outside every
 *   field of view) holds virtual obstacle points, so a motion that sweeps the footprint into it (a
 *   front-only robot swinging its rear, or reversing) is refused; they never count as detections;
 * - **occlusion edges**: where a scan's range jumps from near to far between neighbouring beams and
 *   the far return is not the continuation of the same surface, someone may step out from behind the
 *   near edge (a doorway, a corner, a parked robot): the edge becomes a phantom person.
 * Pure, allocation-free per scan.
 */
import type { Box } from './sweep';
import { POINT_OBSTACLE, type ScanPoints, type SensorPose } from './scan';

/** POINT_OBSTACLE as a module-local constant: read once per point (an imported binding may cost a call per read). */
const OBSTACLE = POINT_OBSTACLE;
/** Field of view of one scan source: its pose in base_link and its first and last beam [rad]. */
export interface FieldOfView {
  pose: SensorPose;
  angleMin: number;
  angleMax: number;
  rangeMin: number;
  rangeMax: number;
}

/** True when some field of view covers the point (x, y) [m, base_link]. */
export function covered(x: number, y: number, fovs: ReadonlyArray<FieldOfView | undefined>): boolean {
  for (const f of fovs) {
    if (f === undefined) continue;
    const dx = x - f.pose.x;
    const dy = y - f.pose.y;
    const r = Math.hypot(dx, dy);
    if (r > f.rangeMax) continue;
    if (r < f.rangeMin) continue;
    if (f.angleMax - f.angleMin >= 2 * Math.PI - 1e-3) return true;
    let a = Math.atan2(dy, dx) - f.pose.yaw;
    // into [angleMin, angleMin + 2pi)
    a -= 2 * Math.PI * Math.floor((a - f.angleMin) / (2 * Math.PI));
    if (a <= f.angleMax + 1e-9) return true;
  }
  return false;
}

/**
 * Virtual points on rings around `box` at distances `offsets` [m] from it, every `spacing` [m] along the
 * ring, where no field of view covers them. Returns them as [xs, ys].
 */
export function blindRing(
  box: Box,
  offsets: ReadonlyArray<number>,
  spacing: number,
  fovs: ReadonlyArray<FieldOfView | undefined>,
): [Float64Array, Float64Array] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const g of offsets) {
    const x0 = -box.rear - g;
    const x1 = box.front + g;
    const y0 = -box.halfWidth - g;
    const y1 = box.halfWidth + g;
    const corners = [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ] as const;
    for (let e = 0; e < 4; e++) {
      const [ax, ay] = corners[e]!;
      const [bx, by] = corners[(e + 1) % 4]!;
      const len = Math.hypot(bx - ax, by - ay);
      const n = Math.max(1, Math.ceil(len / spacing));
      for (let i = 0; i < n; i++) {
        const x = ax + ((bx - ax) * i) / n;
        const y = ay + ((by - ay) * i) / n;
        if (!covered(x, y, fovs)) {
          xs.push(x);
          ys.push(y);
        }
      }
    }
  }
  return [Float64Array.from(xs), Float64Array.from(ys)];
}

/** [m] the surface line through an edge is drawn from a point at least this far from it (when there is one). */
const MIN_BASELINE_M = 0.2;

export interface EdgeConfig {
  /** [m] a jump in range at least this large between neighbouring returns can hide a person. */
  gapM: number;
  /** [m] edges farther than this from base_link are ignored. */
  maxRangeM: number;
  /** [m] a far return this close to the line of the near surface continues it (a wall at a grazing angle). */
  collinearM: number;
  /** [m] an occluder narrower than this (a post, a stake, a table leg) hides nobody: no edge. */
  minWidthM: number;
}

/**
 * Whether the surface point `near` lies on is narrower than `cfg.minWidthM` and ends in a jump to
 * something farther on its other side too (walking from `near` in beam direction `step`): an isolated
 * thin object. A surface running into the edge of the field of view or an invalid beam is not narrow.
 */
function narrowOccluder(src: ScanPoints, near: number, step: number, cfg: EdgeConfig): boolean {
  const xs = src.xs;
  const ys = src.ys;
  const sx = src.pose.x;
  const sy = src.pose.y;
  let last = near;
  for (let j = near + step; j >= 0 && j < src.count; j += step) {
    if (Math.abs(src.beam[j]! - src.beam[last]!) !== 1) return false; // an invalid beam: unknown
    const rl = Math.hypot(xs[last]! - sx, ys[last]! - sy);
    const rj = Math.hypot(xs[j]! - sx, ys[j]! - sy);
    if (rj - rl >= cfg.gapM && src.kinds[last] === OBSTACLE) {
      // the surface ends in a jump away from the sensor: its width is from near to last
      return Math.hypot(xs[last]! - xs[near]!, ys[last]! - ys[near]!) < cfg.minWidthM;
    }
    if (Math.abs(rj - rl) >= cfg.gapM || src.kinds[j] !== OBSTACLE) return false;
    last = j;
    if (Math.hypot(xs[last]! - xs[near]!, ys[last]! - ys[near]!) >= cfg.minWidthM) return false;
  }
  return false; // runs into the edge of the field of view
}

/**
 * Occlusion edges of the latest scan of `src`: the near end of every jump in range that can hide a
 * person. Appends up to `out.length - n` edges as (x, y) pairs [m, base_link] to `outX`, `outY` from
 * index `n`; returns the new count. `skip(i)` true leaves out an edge whose near end is point i (an edge of
 * a moving object: whoever it hides must keep pace with it, and is seen the moment they step out).
 */
export function occlusionEdges(
  src: ScanPoints,
  cfg: EdgeConfig,
  outX: Float64Array,
  outY: Float64Array,
  n: number,
  skip?: (near: number) => boolean,
): number {
  const xs = src.xs;
  const ys = src.ys;
  const sx = src.pose.x;
  const sy = src.pose.y;
  const max2 = cfg.maxRangeM * cfg.maxRangeM;
  for (let i = 0; i + 1 < src.count && n < outX.length; i++) {
    if (src.beam[i + 1]! - src.beam[i]! !== 1) continue;
    const ri = Math.hypot(xs[i]! - sx, ys[i]! - sy);
    const rj = Math.hypot(xs[i + 1]! - sx, ys[i + 1]! - sy);
    if (Math.abs(rj - ri) < cfg.gapM) continue;
    // near end: the shorter return, and it must be a real return
    const near = ri < rj ? i : i + 1;
    const far = near === i ? i + 1 : i;
    if (src.kinds[near] !== OBSTACLE || skip?.(near)) continue;
    const nx = xs[near]!;
    const ny = ys[near]!;
    if (nx * nx + ny * ny > max2) continue;
    if (cfg.minWidthM > 0 && narrowOccluder(src, near, near === i ? -1 : 1, cfg)) continue;
    // the surface the near point lies on: through a point of the same surface a few beams back on the
    // other side (a baseline long enough that range noise does not tilt the line)
    const step = near === i ? -1 : 1;
    let prev = -1;
    for (let j = near + step, b = 1; j >= 0 && j < src.count && b <= 8; j += step, b++) {
      if (Math.abs(src.beam[j]! - src.beam[near]!) !== b || src.kinds[j] !== OBSTACLE) break;
      const jx = xs[j - step]! - xs[j]!;
      const jy = ys[j - step]! - ys[j]!;
      if (jx * jx + jy * jy > cfg.gapM * cfg.gapM) break;
      prev = j;
      if (Math.hypot(nx - xs[j]!, ny - ys[j]!) >= MIN_BASELINE_M) break;
    }
    if (prev >= 0) {
      const ux = nx - xs[prev]!;
      const uy = ny - ys[prev]!;
      const len = Math.hypot(ux, uy);
      if (len > 1e-6) {
        const off = Math.abs(ux * (ys[far]! - ny) - uy * (xs[far]! - nx)) / len;
        if (off < cfg.collinearM) continue; // the same surface at a grazing angle
      }
    }
    outX[n] = nx;
    outY[n] = ny;
    n++;
  }
  return n;
}
