/**
 * Zone and approach models of the safety gate over the points of every scan source: stop zone, slowdown
 * zone (ratio) and approach (time to collision when the requested command is simulated forward), as in
 * Nav2's collision_monitor, with a rectangular footprint around base_link. Pure and allocation-free per
 * call: results go into a caller-owned {@link ZoneResult}.
 */
import { POINT_OBSTACLE, type ScanPoints } from './scan';

/** A footprint rectangle around base_link: front and rear edges along x, half width along y [m]. */
export interface Footprint {
  front: number;
  rear: number;
  halfWidth: number;
}

export interface ZoneConfig {
  footprint: Footprint;
  /** [m] stop zone growth around the footprint. */
  stopMargin: number;
  /** [m] slowdown zone growth around the footprint. */
  slowdownMargin: number;
  /** [m] limit zone growth around the footprint (absolute speed caps inside); 0 disables it. */
  limitMargin: number;
  /** [s] approach horizon; 0 disables the approach model. */
  approachTime: number;
  /** [s] simulation step. */
  approachStep: number;
  /** [m] footprint growth in the approach simulation. */
  approachMargin: number;
}

const TTC = 0;
const NEAR_D = 1;
const NEAR_B = 2;
const TRIG_X = 3;
const TRIG_Y = 4;

/**
 * What the points say, for one evaluation. Reused between calls; the numbers live in a Float64Array so
 * writing them never boxes a double (no heap allocation per scan).
 */
export class ZoneResult {
  inStop = false;
  inSlowdown = false;
  /** A point lies in the limit zone. */
  inLimit = false;
  obstacleDetected = false;
  /** @internal */
  readonly n = new Float64Array(5);
  /** [s] earliest simulated collision, Infinity when none within the horizon. */
  get timeToCollision(): number {
    return this.n[TTC]!;
  }
  /** [m] nearest obstacle point from the base_link origin; 0 when none. */
  get nearestDistance(): number {
    return this.n[NEAR_D]!;
  }
  /** [rad] its bearing in base_link; 0 when none. */
  get nearestBearing(): number {
    return this.n[NEAR_B]!;
  }
  /** [m] where the point that triggered the stop or slowdown zone lies (for the report). */
  get triggerX(): number {
    return this.n[TRIG_X]!;
  }
  get triggerY(): number {
    return this.n[TRIG_Y]!;
  }
}

function inside(x: number, y: number, f: Footprint, m: number): boolean {
  return x <= f.front + m && x >= -f.rear - m && y <= f.halfWidth + m && y >= -f.halfWidth - m;
}

/** Maximum simulation steps; the poses of one simulation are kept in fixed buffers. */
export const MAX_APPROACH_STEPS = 100;

/** Evaluates zones and approach for all sources. vx, vy [m/s], wz [rad/s]: the requested command. */
export class ZoneModel {
  private readonly px = new Float64Array(MAX_APPROACH_STEPS + 1);
  private readonly py = new Float64Array(MAX_APPROACH_STEPS + 1);
  private readonly pc = new Float64Array(MAX_APPROACH_STEPS + 1);
  private readonly ps = new Float64Array(MAX_APPROACH_STEPS + 1);
  private readonly steps: number;
  private readonly radius: number;
  // points within reach of the current simulation, grown only when a scan has more points
  private cx = new Float64Array(0);
  private cy = new Float64Array(0);

  constructor(private readonly cfg: ZoneConfig) {
    this.steps =
      cfg.approachTime > 0 ? Math.min(MAX_APPROACH_STEPS, Math.ceil(cfg.approachTime / cfg.approachStep)) : 0;
    const f = cfg.footprint;
    const m = Math.max(cfg.approachMargin, cfg.slowdownMargin);
    this.radius = Math.hypot(Math.max(f.front, f.rear) + m, f.halfWidth + m);
  }

  /**
   * Fills `out` from the points of `sources` for the requested command `cmd[at..at+2]` = vx, vy [m/s],
   * wz [rad/s] (read from a typed array so that no double is boxed on the way in).
   */
  evaluate(sources: ReadonlyArray<ScanPoints>, cmd: Float64Array, at: number, out: ZoneResult): void {
    const f = this.cfg.footprint;
    const stopM = this.cfg.stopMargin;
    const slowM = this.cfg.slowdownMargin;
    const limitM = this.cfg.limitMargin;
    let inStop = false;
    let inSlow = false;
    let inLimit = false;
    let best = Number.POSITIVE_INFINITY;
    let bestX = 0;
    let bestY = 0;
    let trigX = 0;
    let trigY = 0;
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s]!;
      const xs = src.xs;
      const ys = src.ys;
      const kinds = src.kinds;
      for (let i = 0; i < src.count; i++) {
        const x = xs[i]!;
        const y = ys[i]!;
        if (inside(x, y, f, slowM)) {
          if (inside(x, y, f, stopM)) {
            if (!inStop) {
              trigX = x;
              trigY = y;
            }
            inStop = true;
          } else if (!inSlow && !inStop) {
            trigX = x;
            trigY = y;
          }
          inSlow = true;
        }
        if (limitM > 0 && !inLimit && inside(x, y, f, limitM)) inLimit = true;
        if (kinds[i] === POINT_OBSTACLE) {
          const d2 = x * x + y * y;
          if (d2 < best) {
            best = d2;
            bestX = x;
            bestY = y;
          }
        }
      }
    }
    const n = out.n;
    out.inStop = inStop;
    out.inSlowdown = inSlow;
    out.inLimit = inLimit;
    n[TRIG_X] = trigX;
    n[TRIG_Y] = trigY;
    out.obstacleDetected = best !== Number.POSITIVE_INFINITY;
    n[NEAR_D] = out.obstacleDetected ? Math.sqrt(best) : 0;
    n[NEAR_B] = out.obstacleDetected ? Math.atan2(bestY, bestX) : 0;
    this.timeToCollision(sources, cmd, at, n);
  }

  /** Writes into n[TTC] the first simulated instant [s] at which a point enters the grown footprint; Infinity when none. */
  private timeToCollision(sources: ReadonlyArray<ScanPoints>, cmd: Float64Array, at: number, n: Float64Array): void {
    n[TTC] = Number.POSITIVE_INFINITY;
    const vx = cmd[at]!;
    const vy = cmd[at + 1]!;
    const wz = cmd[at + 2]!;
    const steps = this.steps;
    if (steps === 0 || (vx === 0 && vy === 0 && wz === 0)) return;
    const dt = this.cfg.approachStep;
    // Poses of the robot along the simulated command (exact integration of a constant twist).
    let x = 0;
    let y = 0;
    let th = 0;
    for (let k = 0; k <= steps; k++) {
      this.px[k] = x;
      this.py[k] = y;
      this.pc[k] = Math.cos(th);
      this.ps[k] = Math.sin(th);
      const c = Math.cos(th);
      const s = Math.sin(th);
      x += (vx * c - vy * s) * dt;
      y += (vx * s + vy * c) * dt;
      th += wz * dt;
    }
    const reach = this.radius + Math.hypot(vx, vy) * steps * dt;
    const reach2 = reach * reach;
    // Only points the swept footprint can reach take part: gather them once (buffers reused).
    let total = 0;
    for (let si = 0; si < sources.length; si++) total += sources[si]!.count;
    if (this.cx.length < total) {
      this.cx = new Float64Array(total);
      this.cy = new Float64Array(total);
    }
    const cx = this.cx;
    const cy = this.cy;
    let cn = 0;
    for (let si = 0; si < sources.length; si++) {
      const src = sources[si]!;
      const xs = src.xs;
      const ys = src.ys;
      for (let i = 0; i < src.count; i++) {
        const wx = xs[i]!;
        const wy = ys[i]!;
        if (wx * wx + wy * wy > reach2) continue;
        cx[cn] = wx;
        cy[cn] = wy;
        cn++;
      }
    }
    const f = this.cfg.footprint;
    const m = this.cfg.approachMargin;
    // k = 0 is the stop zone's business; the approach model looks ahead from the first step.
    for (let k = 1; k <= steps; k++) {
      const ox = this.px[k]!;
      const oy = this.py[k]!;
      const c = this.pc[k]!;
      const s = this.ps[k]!;
      for (let i = 0; i < cn; i++) {
        const dx = cx[i]! - ox;
        const dy = cy[i]! - oy;
        if (inside(c * dx + s * dy, -s * dx + c * dy, f, m)) {
          n[TTC] = (k - 1) * dt;
          return;
        }
      }
    }
  }
}
