/**
 * Short-lived obstacle memory in the odom frame. A thin object (a stake, a pole, a table leg) caught
 * by one beam in three would lift the gate's caps whenever the beams miss it; remembered, it keeps
 * them. A remembered point is forgotten when
 * - it is older than the decay time,
 * - a beam of a later scan passes through it (within `clearWidth` of it, sideways) and returns from
 *   farther away: the space is seen to be free,
 * - a beam of a later scan returns from it again (the scan holds it now; it is stored anew).
 * Points hidden behind nearer returns, outside every field of view, or between beams are kept.
 *
 * Fixed capacity, typed arrays, no allocation per scan. Pure: poses and times come as arguments.
 */
import type { ScanPoints } from './scan';
import { POINT_OBSTACLE } from './scan';

/** POINT_OBSTACLE as a module-local constant: read once per point (an imported binding may cost a call per read). */
const OBSTACLE = POINT_OBSTACLE;
/** A planar pose: x, y [m], yaw [rad]. */
export interface Pose2D {
  x: number;
  y: number;
  yaw: number;
}

export interface MemoryConfig {
  /** [s] a point not seen again for this long is forgotten. */
  decayS: number;
  /** [m] points farther than this from base_link are not stored. */
  radiusM: number;
  /** [m] a beam passing within this distance of a point and returning from beyond it clears it. */
  clearWidthM: number;
  /** Maximum points kept. */
  capacity: number;
}

/** [m] a return within this of a remembered point's range is the same object (re-seen). */
const SAME_RANGE_M = 0.05;

export class ObstacleMemory {
  // odom-frame points and when they were last seen
  private mx: Float64Array;
  private my: Float64Array;
  private mt: Float64Array;
  private n = 0;
  /** Remembered points not in the latest scan of any source, in base_link at the latest update. */
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** Number of points in {@link xs}, {@link ys}. */
  count = 0;

  constructor(private readonly cfg: MemoryConfig) {
    this.mx = new Float64Array(cfg.capacity);
    this.my = new Float64Array(cfg.capacity);
    this.mt = new Float64Array(cfg.capacity);
    this.xs = new Float64Array(cfg.capacity);
    this.ys = new Float64Array(cfg.capacity);
  }

  /** Points stored (remembered and latest). */
  get size(): number {
    return this.n;
  }

  /** Forgets everything (odometry jumped or was reset). */
  clear(): void {
    this.n = 0;
    this.count = 0;
  }

  /**
   * A new scan of `src` taken at odom pose `pose` at time `now` [s]: forgets points it shows free or
   * re-sees, keeps the rest, stores its obstacle points (except those `skip` says belong to moving
   * objects, tracked elsewhere), and refreshes {@link xs}/{@link ys} with the remembered points in base_link.
   */
  update(src: ScanPoints, pose: Pose2D, now: number, skip?: (i: number) => boolean): void {
    const c = Math.cos(pose.yaw);
    const s = Math.sin(pose.yaw);
    const sp = src.pose;
    const sc = Math.cos(sp.yaw);
    const ss = Math.sin(sp.yaw);
    const a0 = src.angleMin;
    const da = src.angleIncrement;
    const beams = src.beams;
    const ranges = src.ranges;
    const lo = src.rangeMin;
    const hi = src.rangeMax;
    const decay = this.cfg.decayS;
    const width = this.cfg.clearWidthM;
    const r2max = this.cfg.radiusM * this.cfg.radiusM;
    let keep = 0;
    let cnt = 0;
    for (let i = 0; i < this.n; i++) {
      const t = this.mt[i]!;
      if (now - t > decay) continue;
      // odom → base_link
      const dx = this.mx[i]! - pose.x;
      const dy = this.my[i]! - pose.y;
      const bx = c * dx + s * dy;
      const by = -s * dx + c * dy;
      if (bx * bx + by * by > r2max) continue;
      // base_link → sensor
      const ex = bx - sp.x;
      const ey = by - sp.y;
      const lx = sc * ex + ss * ey;
      const ly = -ss * ex + sc * ey;
      const r = Math.sqrt(lx * lx + ly * ly);
      const k = Math.round((Math.atan2(ly, lx) - a0) / da);
      let forget = false;
      if (k >= 0 && k < beams && r >= lo) {
        const beamAngle = a0 + k * da;
        const side = Math.abs(r * Math.sin(Math.atan2(ly, lx) - beamAngle));
        const rb = ranges[k]!;
        if (side <= width) {
          // a beam through the point: free beyond it, or the same object seen again
          if (rb >= hi || (rb >= lo && rb > r + SAME_RANGE_M)) forget = true;
          else if (rb >= lo && Math.abs(rb - r) <= SAME_RANGE_M) forget = true;
        } else if (rb >= lo && rb < hi && Math.abs(rb - r) <= SAME_RANGE_M) {
          // a neighbouring beam returns at that range: the scan holds the object now
          forget = true;
        }
      }
      if (forget) continue;
      this.mx[keep] = this.mx[i]!;
      this.my[keep] = this.my[i]!;
      this.mt[keep] = t;
      keep++;
      this.xs[cnt] = bx;
      this.ys[cnt] = by;
      cnt++;
    }
    this.count = cnt;
    // store the scan's obstacle points (base_link → odom)
    const cap = this.cfg.capacity;
    for (let i = 0; i < src.count && keep < cap; i++) {
      if (src.kinds[i] !== OBSTACLE) continue;
      const bx = src.xs[i]!;
      const by = src.ys[i]!;
      if (bx * bx + by * by > r2max) continue;
      if (skip !== undefined && skip(i)) continue;
      this.mx[keep] = pose.x + c * bx - s * by;
      this.my[keep] = pose.y + s * bx + c * by;
      this.mt[keep] = now;
      keep++;
    }
    this.n = keep;
  }
}
