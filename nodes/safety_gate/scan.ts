/**
 * Laser scans for the safety gate: plausibility checks and conversion of the ranges into points in
 * base_link, with REP 117 special values read as safely as each allows. Pure; no ROS, no clock.
 *
 * Per-scan work is one pass over the ranges into buffers owned by the source; the only allocations
 * happen when a scan's geometry (beam count, angles, sensor pose) changes, and error text is built only
 * when a scan is refused.
 */

/** The subset of sensor_msgs/msg/LaserScan read here. */
export interface ScanLike {
  header: { frame_id: string };
  angle_min: number;
  angle_max: number;
  angle_increment: number;
  range_min: number;
  range_max: number;
  ranges: ArrayLike<number>;
}

/** Pose of a scan frame in base_link: x, y [m], yaw [rad]. */
export interface SensorPose {
  x: number;
  y: number;
  yaw: number;
}

/** Why a scan is refused, or undefined when its frame and limits make sense. */
export function scanProblem(scan: ScanLike, expectedFrame: string, maxPlausibleRange: number): string | undefined {
  const { angle_min: a0, angle_max: a1, angle_increment: da, range_min: lo, range_max: hi } = scan;
  const n = scan.ranges.length;
  if (scan.header.frame_id !== expectedFrame) {
    return `frame '${scan.header.frame_id}' is not the configured '${expectedFrame}'`;
  }
  if (!Number.isFinite(a0) || !Number.isFinite(a1) || !Number.isFinite(da)) {
    return `angle limits are not finite (angle_min ${a0}, angle_max ${a1}, angle_increment ${da})`;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    return `range limits are not finite (range_min ${lo}, range_max ${hi})`;
  if (lo < 0 || hi <= lo) return `range limits make no sense (range_min ${lo}, range_max ${hi})`;
  if (hi > maxPlausibleRange) return `range_max ${hi} m exceeds the plausible ${maxPlausibleRange} m`;
  if (n === 0) return 'the scan has no ranges';
  if (Math.abs(a0) > 2 * Math.PI + 1e-6 || Math.abs(a1) > 2 * Math.PI + 1e-6) {
    return `angles outside [-2pi, 2pi] (angle_min ${a0}, angle_max ${a1})`;
  }
  if (da === 0) return 'angle_increment is 0';
  if (n > 1) {
    if ((a1 - a0) / da < 0) return `angle_increment ${da} goes the wrong way from angle_min ${a0} to angle_max ${a1}`;
    if (Math.abs(da) * (n - 1) > 2 * Math.PI + 1e-4) return `${n} beams of ${da} rad span more than a full turn`;
    const expected = Math.round((a1 - a0) / da) + 1;
    if (Math.abs(expected - n) > 1) {
      return `${n} ranges do not match the angle limits (${expected} expected from angle_min, angle_max, angle_increment)`;
    }
  }
  return undefined;
}

/** [m] detection-limit points lie at least this far outside the body box along their beam. */
const LIMIT_OUTSIDE_M = 0.05;

/** Point kinds in a {@link ScanPoints} buffer. */
export const POINT_OBSTACLE = 1; // a return (or a too-close -Inf reading placed at the sensor)
export const POINT_HORIZON = 2; // nothing seen up to range_max: unknown beyond it

/**
 * The points of the latest valid scan of one source, in base_link. Buffers grow when a scan has more
 * beams than any before and are reused otherwise.
 */
export class ScanPoints {
  xs = new Float64Array(0);
  ys = new Float64Array(0);
  kinds = new Uint8Array(0);
  /** Beam index of each point. */
  beam = new Int32Array(0);
  count = 0;
  /**
   * Detection-limit points in base_link: on every beam that saw nothing nearer than the range up to
   * which an object of the guaranteed width is sure to be hit ({@link detectionRange}), a point at that
   * range. Beyond it a thin object may sit between two beams, so the braking envelope treats it as
   * unknown; zones ignore these points.
   */
  lxs = new Float64Array(0);
  lys = new Float64Array(0);
  limitCount = 0;
  /** Ranges of the latest scan (a copy), and its geometry, for clearing remembered obstacles. */
  ranges = new Float64Array(0);
  angleMin = 0;
  angleIncrement = 0;
  rangeMin = 0;
  rangeMax = 0;
  /** Beams that carried no usable reading (NaN, or a finite value below range_min) in the latest scan. */
  invalidBeams = 0;
  /** Beams in the latest scan. */
  beams = 0;
  // cos/sin of each beam's direction in base_link, cached per geometry
  private cos = new Float64Array(0);
  private sin = new Float64Array(0);
  private gA0 = Number.NaN;
  private gDa = Number.NaN;
  private gN = -1;

  // [m] per beam, where it leaves the body box (detection-limit points never lie inside it)
  private exit = new Float64Array(0);
  private body: { xMin: number; xMax: number; yMin: number; yMax: number } | undefined;

  /**
   * `body`: the footprint grown by the stop margin, [m] bounds in base_link. Detection-limit points are
   * placed no nearer than where a beam leaves it (a beam crossing the robot's own body verifies nothing
   * beyond the range up to which it is sure to hit).
   */
  constructor(
    readonly pose: SensorPose,
    body?: { xMin: number; xMax: number; yMin: number; yMax: number },
  ) {
    this.body = body;
  }

  /** Changes the body box (the stop margin changed); takes effect with the next scan. */
  setBody(body: { xMin: number; xMax: number; yMin: number; yMax: number }): void {
    this.body = body;
    this.gN = -1;
  }

  /** [rad] the bearing of beam `i` in base_link. */
  beamCos(i: number): number {
    return this.cos[i]!;
  }
  beamSin(i: number): number {
    return this.sin[i]!;
  }

  private ensureGeometry(a0: number, da: number, n: number): void {
    if (a0 === this.gA0 && da === this.gDa && n === this.gN) return;
    if (this.cos.length < n) {
      this.cos = new Float64Array(n);
      this.sin = new Float64Array(n);
      this.xs = new Float64Array(n);
      this.ys = new Float64Array(n);
      this.kinds = new Uint8Array(n);
      this.beam = new Int32Array(n);
      this.lxs = new Float64Array(n);
      this.lys = new Float64Array(n);
      this.ranges = new Float64Array(n);
      this.exit = new Float64Array(n);
    }
    const b = this.body;
    const sx = this.pose.x;
    const sy = this.pose.y;
    const inside = b !== undefined && sx >= b.xMin && sx <= b.xMax && sy >= b.yMin && sy <= b.yMax;
    for (let i = 0; i < n; i++) {
      const a = a0 + i * da + this.pose.yaw;
      const c = Math.cos(a);
      const s = Math.sin(a);
      this.cos[i] = c;
      this.sin[i] = s;
      if (inside) {
        const tx = c > 1e-12 ? (b.xMax - sx) / c : c < -1e-12 ? (b.xMin - sx) / c : Number.POSITIVE_INFINITY;
        const ty = s > 1e-12 ? (b.yMax - sy) / s : s < -1e-12 ? (b.yMin - sy) / s : Number.POSITIVE_INFINITY;
        this.exit[i] = Math.min(tx, ty);
      } else this.exit[i] = 0;
    }
    this.gA0 = a0;
    this.gDa = da;
    this.gN = n;
  }

  /**
   * Converts a scan that passed {@link scanProblem} into points. REP 117 readings:
   * - `-Inf` (something too close to measure) becomes an obstacle at the sensor itself: the closest place it can be;
   * - `+Inf` and readings at or beyond range_max (no return) become a horizon point at range_max: free up
   *   to there, unknown beyond, so a zone the sensor cannot see past is never taken as clear;
   * - `NaN` (erroneous) and finite readings below range_min (to be discarded, per LaserScan) carry no
   *   information and are counted in `invalidBeams`.
   */
  load(scan: ScanLike, detectRange = Number.POSITIVE_INFINITY): void {
    const n = scan.ranges.length;
    this.ensureGeometry(scan.angle_min, scan.angle_increment, n);
    const lo = scan.range_min;
    const hi = scan.range_max;
    const ranges = scan.ranges;
    const px = this.pose.x;
    const py = this.pose.y;
    this.angleMin = scan.angle_min;
    this.angleIncrement = scan.angle_increment;
    this.rangeMin = lo;
    this.rangeMax = hi;
    const lim = detectRange < hi ? detectRange : Number.POSITIVE_INFINITY;
    let count = 0;
    let invalid = 0;
    let lc = 0;
    for (let i = 0; i < n; i++) {
      const r = ranges[i]!;
      this.ranges[i] = r;
      // A beam whose guarantee ends inside the body box (it crosses the robot) adds no limit point:
      // what lies beyond is outside the thin-object guarantee (docs/safety.md).
      if (lim !== Number.POSITIVE_INFINITY && lim > this.exit[i]!) {
        const e = this.exit[i]! + LIMIT_OUTSIDE_M;
        const d = lim > e ? lim : e;
        // NaN compares false: an invalid beam adds no limit point (it is counted below).
        if (r > d) {
          this.lxs[lc] = px + d * this.cos[i]!;
          this.lys[lc] = py + d * this.sin[i]!;
          lc++;
        }
      }
      let d: number;
      let kind: number;
      if (r >= lo && r < hi) {
        d = r;
        kind = POINT_OBSTACLE;
      } else if (r >= hi) {
        // +Inf included
        d = hi;
        kind = POINT_HORIZON;
      } else if (r === Number.NEGATIVE_INFINITY) {
        d = 0;
        kind = POINT_OBSTACLE;
      } else {
        // NaN, or finite below range_min: no information, so the beam's direction is unknown from the
        // body outwards (a blocked or dirty sector must not read as free)
        invalid++;
        const e = this.exit[i]! + LIMIT_OUTSIDE_M;
        const d = e > lo ? e : lo;
        this.lxs[lc] = px + d * this.cos[i]!;
        this.lys[lc] = py + d * this.sin[i]!;
        lc++;
        continue;
      }
      this.xs[count] = px + d * this.cos[i]!;
      this.ys[count] = py + d * this.sin[i]!;
      this.kinds[count] = kind;
      this.beam[count] = i;
      count++;
    }
    this.limitCount = lc;
    this.count = count;
    this.invalidBeams = invalid;
    this.beams = n;
  }
}
