/**
 * Zone models of the safety gate over the points of every scan source: stop zone, slowdown zone (ratio)
 * and limit zone (absolute caps), as in Nav2's collision_monitor, with a rectangular footprint around
 * base_link. Whether a motion can stop in time is the braking envelope's business (envelope.ts). Pure and allocation-free per
 * call: results go into a caller-owned {@link ZoneResult}.
 */
import { POINT_OBSTACLE, type ScanPoints } from './scan';
import { type Box, inBox as inBoxImported } from './sweep';

/** The geometry of sweep.ts as module-local functions: called once per point (an imported binding may cost a call per read under some loaders). */
const inBox = inBoxImported;

/** POINT_OBSTACLE as a module-local constant: read once per point (an imported binding may cost a call per read). */
const OBSTACLE = POINT_OBSTACLE;
/** A footprint rectangle around base_link: front and rear edges along x, half width along y [m]. */
export type Footprint = Box;

export interface ZoneConfig {
  footprint: Footprint;
  /** [m] stop zone growth around the footprint. */
  stopMargin: number;
  /** [m] slowdown zone growth around the footprint. */
  slowdownMargin: number;
  /** [m] limit zone growth around the footprint (absolute speed caps inside); 0 disables it. */
  limitMargin: number;
}

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

/** Evaluates the stop, slowdown and limit zones for all sources. */
export class ZoneModel {
  constructor(private readonly cfg: ZoneConfig) {}

  /** Fills `out` from the points of `sources` (obstacle and horizon points). */
  evaluate(sources: ReadonlyArray<ScanPoints>, out: ZoneResult): void {
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
        if (inBox(x, y, f, slowM)) {
          if (inBox(x, y, f, stopM)) {
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
        if (limitM > 0 && !inLimit && inBox(x, y, f, limitM)) inLimit = true;
        if (kinds[i] === OBSTACLE) {
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
  }
}
