/**
 * The braking envelope: the largest share k in [0, 1] of a twist at which the robot, reacting after the
 * reaction time and braking at its braking deceleration along the twist's own path (turning included),
 * stops before its footprint grown by the stop margin touches
 * - any obstacle point: the latest scans, remembered obstacles, detection-limit points beyond which a
 *   thin object may hide between beams, and virtual points where no sensor looks (all static);
 * - any disc that may close in meanwhile: a person (at its measured speed, at least K), a phantom
 *   person at an occlusion edge (K), a moving object (along its measured velocity, ± an uncertainty).
 * ISO 13855's S = K·T + C with T the stopping time at that share; ISO/TS 15066's speed and separation
 * monitoring with the robot's stopping distance along its path.
 *
 * Escape: while something is inside the grown footprint, a twist is allowed only if it strictly
 * increases the clearance to every such thing and sweeps into nothing else, and then only at creep
 * speed. Pure, allocation-free per call.
 */
import { brakeTime, capShare, stopProgress, stopScale } from './braking';
import {
  type Box,
  boxDistance as boxDistanceImported,
  hitProgress as hitProgressImported,
  hitRounded as hitRoundedImported,
  inBox as inBoxImported,
  pointAfter as pointAfterImported,
} from './sweep';

/** The geometry of sweep.ts as module-local functions: called once per point (an imported binding may cost a call per read under some loaders). */
const boxDistance = boxDistanceImported;
const hitProgress = hitProgressImported;
const hitRounded = hitRoundedImported;
const inBox = inBoxImported;
const pointAfter = pointAfterImported;

export const DISC_PERSON = 1;
export const DISC_PHANTOM = 2;
export const DISC_MOVING = 3;
/** A person followed long enough to know their velocity: closes in along it, speeding up at most so fast. */
export const DISC_PERSON_TRACKED = 4;

/** Discs that may move towards the robot, in base_link. Fixed capacity; fill, then set `count`. */
export class Discs {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** [m] body radius (plus any growth for the age of the observation). */
  readonly r: Float64Array;
  /** [m/s] velocity in base_link (moving objects). */
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  /** [m/s] speed in any direction (people, phantoms), or the uncertainty around the velocity (moving). */
  readonly speed: Float64Array;
  /** [s] age of the observation (tracked people: how long they may have been speeding up already). */
  readonly age: Float64Array;
  readonly kind: Uint8Array;
  count = 0;
  constructor(readonly capacity: number) {
    this.x = new Float64Array(capacity);
    this.y = new Float64Array(capacity);
    this.r = new Float64Array(capacity);
    this.vx = new Float64Array(capacity);
    this.vy = new Float64Array(capacity);
    this.speed = new Float64Array(capacity);
    this.age = new Float64Array(capacity);
    this.kind = new Uint8Array(capacity);
  }
  /** Adds a disc; returns false when full. */
  add(kind: number, x: number, y: number, r: number, vx: number, vy: number, speed: number, age = 0): boolean {
    if (this.count >= this.capacity) return false;
    const i = this.count++;
    this.age[i] = age;
    this.kind[i] = kind;
    this.x[i] = x;
    this.y[i] = y;
    this.r[i] = r;
    this.vx[i] = vx;
    this.vy[i] = vy;
    this.speed[i] = speed;
    return true;
  }
}

/** A set of static points: `count` points in `xs`, `ys` [m, base_link]. */
export interface PointSet {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly count: number;
}

export interface EnvelopeConfig {
  footprint: Box;
  /** [m] C: the footprint grows by this for every check (the stop zone). */
  stopMargin: number;
  /** [s] sensing + computing + actuation latency before braking starts. */
  reactionS: number;
  /** [m/s^2] the base's braking deceleration. */
  decel: number;
  /** [rad/s^2] the base's angular braking deceleration. */
  angularDecel: number;
  /** [m/s], [rad/s] escape speeds. */
  creepLinear: number;
  creepAngular: number;
  /** [m/s] near an occlusion edge the robot may always move this fast (a contact at it is harmless). */
  occlusionMinSpeed: number;
  /** [m/s^2] how fast a tracked person may speed up from their measured velocity (towards K at most). */
  peopleAccel: number;
}

/** What limits the twist. */
export const LIMIT_NONE = 0;
export const LIMIT_OBSTACLE = 1;
export const LIMIT_PERSON = 2;
export const LIMIT_BLIND = 3;

const BISECT = 12;
/** A mover's path over the stopping time is checked at this many steps (plus now). */
const MOVER_SAMPLES = 4;
/** Inside the stop zone, moving alongside something may bring it this much closer per metre travelled. */
const GRAZE = 0.15;

/** The result of one evaluation; owned by the Envelope and overwritten by the next. */
export class EnvelopeResult {
  /** [1] allowed share of the twist. */
  k = 1;
  /** LIMIT_* of what set k. */
  limit = LIMIT_NONE;
  /** A real obstacle point lies inside the stop zone (footprint grown by the stop margin). */
  inStop = false;
  /** The twist escapes from something inside the stop zone (k is capped at creep speed). */
  escaping = false;
  /** The twist passes along something inside the stop zone, stopping before half the margin (k is the envelope's). */
  grazing = false;
  /** [m] where the limiting thing is, base_link. */
  x = 0;
  y = 0;
}

export class Envelope {
  readonly result = new EnvelopeResult();
  private readonly tmp = new Float64Array(2);
  private readonly radius: number;

  constructor(readonly cfg: EnvelopeConfig) {
    const f = cfg.footprint;
    const c = cfg.stopMargin;
    // the grown footprint's farthest corner
    this.radius = Math.hypot(Math.max(f.front, f.rear) + c, f.halfWidth + c);
  }

  /**
   * Evaluates the twist (vx, vy [m/s], wz [rad/s]) against static point sets (`real[i]` says whether set
   * i holds detections that make the stop zone occupied) and discs. Returns {@link result}.
   */
  evaluate(
    vx: number,
    vy: number,
    wz: number,
    sets: ReadonlyArray<PointSet>,
    real: ReadonlyArray<boolean>,
    blindSet: PointSet | undefined,
    discs: Discs,
  ): EnvelopeResult {
    const cfg = this.cfg;
    const box = cfg.footprint;
    const C = cfg.stopMargin;
    const res = this.result;
    res.k = 1;
    res.limit = LIMIT_NONE;
    res.inStop = false;
    res.escaping = false;
    res.grazing = false;
    res.x = res.y = 0;
    const M = brakeTime(vx, vy, wz, cfg.decel, cfg.angularDecel);
    const Tr = cfg.reactionS;
    const moving = M > 0;
    const horizon = stopProgress(1, Tr, M);
    const v = Math.sqrt(vx * vx + vy * vy);
    const reach = this.radius + 1e-9 + v * horizon;
    const reach2 = reach * reach;
    const delta = moving ? 0.01 / (v + Math.abs(wz) * this.radius) : 0;
    const blindHorizon = moving ? Math.min(Math.PI / Math.max(Math.abs(wz), 1e-9), 2 / Math.max(v, 1e-9)) : 0;
    // passing along something inside the stop margin: checked over half a turn or 2 m, and never less than
    // the whole stopping path
    const grazeHorizon = Math.max(blindHorizon, horizon);
    let k = 1;
    for (let s = 0; s <= sets.length; s++) {
      const set = s < sets.length ? sets[s]! : blindSet;
      if (set === undefined) continue;
      const isReal = s < sets.length && real[s]!;
      const kind = s < sets.length ? LIMIT_OBSTACLE : LIMIT_BLIND;
      const xs = set.xs;
      const ys = set.ys;
      const n = set.count;
      for (let i = 0; i < n; i++) {
        const x = xs[i]!;
        const y = ys[i]!;
        if (x * x + y * y > reach2) continue;
        if (inBox(x, y, box, C)) {
          if (isReal) res.inStop = true;
          if (!moving) continue;
          // passing along it (a wall beside the flank, its points ahead of the corner): allowed at the
          // speed the rest allows when the footprint grown by half the stop margin never reaches it within
          // half a turn or 2 m (never when driving at it)
          if (k > 0 && hitProgress(x, y, vx, vy, wz, box, 0.5 * C, grazeHorizon) === Number.POSITIVE_INFINITY) {
            res.grazing = true;
            continue;
          }
          // closer than that, only moving away from it, at creep speed
          if (this.receding(x, y, vx, vy, wz, delta)) {
            res.escaping = true;
            continue;
          }
          if (k > 0 || res.limit === LIMIT_NONE) this.limitBy(0, kind, x, y);
          k = 0;
          continue;
        }
        if (!moving || k === 0) continue;
        // Blind places move with the robot, so there is no stopping short of them: no motion that ever
        // sweeps into them (within half a turn or two metres), at any speed.
        const blind = kind === LIMIT_BLIND;
        const u = hitProgress(x, y, vx, vy, wz, box, C, blind ? blindHorizon : horizon);
        if (u === Number.POSITIVE_INFINITY) continue;
        // ahead along something the robot passes inside the stop margin (a wall beside the flank): the
        // same rule as for the points already beside it, so passing along is not a crawl
        if (!blind && hitProgress(x, y, vx, vy, wz, box, 0.5 * C, grazeHorizon) === Number.POSITIVE_INFINITY) {
          res.grazing = true;
          continue;
        }
        const kk = blind ? 0 : stopScale(u, Tr, M);
        if (kk < k) {
          k = kk;
          this.limitBy(k, kind, x, y);
        }
      }
    }
    if (!moving) return res;
    // Discs: the share at which they cannot reach the path before the robot stops.
    for (let d = 0; d < discs.count && k > 0; d++) {
      const kd = this.discShare(d, discs, vx, vy, wz, M, delta, k);
      if (kd < k) {
        k = kd;
        this.limitBy(k, discs.kind[d] === DISC_MOVING ? LIMIT_OBSTACLE : LIMIT_PERSON, discs.x[d]!, discs.y[d]!);
      }
    }
    if (res.escaping && k > 0) {
      const cap = capShare(vx, vy, wz, cfg.creepLinear, cfg.creepAngular);
      if (cap < k) k = cap;
    }
    if (k === 0) res.escaping = res.grazing = false;
    res.k = k;
    return res;
  }

  private limitBy(k: number, kind: number, x: number, y: number): void {
    const r = this.result;
    r.k = k;
    r.limit = kind;
    r.x = x;
    r.y = y;
  }

  /**
   * True when the twist does not bring (x, y) closer to the footprint: clearance grows, or stays (driving
   * along something inside the margin, as two robots stopped side by side must, to part). Something
   * touching the footprint must be left: there the clearance has to grow.
   */
  private receding(x: number, y: number, vx: number, vy: number, wz: number, delta: number): boolean {
    const box = this.cfg.footprint;
    const d0 = boxDistance(x, y, box);
    pointAfter(x, y, vx, vy, wz, delta, this.tmp);
    const x1 = this.tmp[0]!;
    const y1 = this.tmp[1]!;
    const d1 = boxDistance(x1, y1, box);
    if (d0 <= 1e-3) return d1 > d0 + 1e-6;
    // passing alongside at a grazing angle may cost a little clearance, never below half the margin
    const travel = Math.hypot(x1 - x, y1 - y);
    return d1 >= d0 - GRAZE * travel - 1e-9 && d1 >= 0.5 * this.cfg.stopMargin;
  }

  /** The largest share <= kMax at which disc d cannot reach the grown footprint before the robot stops. */
  private discShare(
    d: number,
    discs: Discs,
    vx: number,
    vy: number,
    wz: number,
    M: number,
    delta: number,
    kMax: number,
  ): number {
    const phantom = discs.kind[d] === DISC_PHANTOM;
    if (this.discClear(d, discs, vx, vy, wz, M, kMax)) return kMax;
    let lo = 0;
    let hi = kMax;
    if (!this.discClear(d, discs, vx, vy, wz, M, 0)) {
      // already within reach while standing: only a receding escape at creep (a contact at creep speed is
      // harmless), or for a phantom that nobody has seen: moving away from it at any speed the rest
      // allows (it stands for someone who may appear; once seen they are a person), else creep speed
      const cfg = this.cfg;
      const away = this.receding(discs.x[d]!, discs.y[d]!, vx, vy, wz, delta);
      if (phantom) return away ? kMax : Math.min(kMax, capShare(vx, vy, wz, cfg.occlusionMinSpeed, cfg.creepAngular));
      if (away) {
        this.result.escaping = true;
        return Math.min(kMax, capShare(vx, vy, wz, cfg.creepLinear, cfg.creepAngular));
      }
      return 0;
    }
    for (let i = 0; i < BISECT; i++) {
      const mid = 0.5 * (lo + hi);
      if (this.discClear(d, discs, vx, vy, wz, M, mid)) lo = mid;
      else hi = mid;
    }
    if (phantom) {
      // the occlusion floor: someone nobody has seen meets a robot barely moving
      const floor = capShare(vx, vy, wz, this.cfg.occlusionMinSpeed, this.cfg.creepAngular);
      if (lo < floor) lo = Math.min(floor, kMax);
    }
    return lo;
  }

  /** True when, driving at share k, the robot stops before disc d (closing in meanwhile) reaches it. */
  private discClear(d: number, discs: Discs, vx: number, vy: number, wz: number, M: number, k: number): boolean {
    const cfg = this.cfg;
    const Tr = cfg.reactionS;
    const T = Tr + k * M;
    const U = stopProgress(k, Tr, M);
    const horizon = Math.max(U, 1e-9);
    const base = cfg.stopMargin + discs.r[d]!;
    const x = discs.x[d]!;
    const y = discs.y[d]!;
    if (discs.kind[d] === DISC_MOVING || discs.kind[d] === DISC_PERSON_TRACKED) {
      // a mover deviates from its velocity by up to `speed`; a tracked person speeds up from theirs at
      // no more than peopleAccel, and never covers more than K·T (`speed` holds K for them)
      const tau = T + discs.age[d]!;
      const g =
        discs.kind[d] === DISC_MOVING
          ? base + discs.speed[d]! * T
          : base + Math.min(discs.speed[d]! * tau, 0.5 * cfg.peopleAccel * tau * tau);
      const dvx = discs.vx[d]!;
      const dvy = discs.vy[d]!;
      for (let s = 0; s <= MOVER_SAMPLES; s++) {
        const t = (T * s) / MOVER_SAMPLES;
        const u = hitRounded(x + dvx * t, y + dvy * t, vx, vy, wz, cfg.footprint, g, horizon);
        if (k === 0 ? u === 0 : u < U) return false;
      }
      return true;
    }
    const g = base + discs.speed[d]! * T;
    const u = hitRounded(x, y, vx, vy, wz, cfg.footprint, g, horizon);
    return k === 0 ? u > 0 : u >= U;
  }
}

/**
 * [m] How far the footprint can drive straight ahead before a point of the real sets (detections and
 * memory) in front of it comes within `margin` of its front, up to `lookahead`: what the executive plans with (giving way early),
 * not a safety figure.
 */
export function clearAhead(
  sets: ReadonlyArray<PointSet>,
  real: ReadonlyArray<boolean>,
  box: Box,
  margin: number,
  lookahead: number,
): number {
  // the body's own width: the gate lets the robot pass along something inside its stop margin
  const w = box.halfWidth;
  const front = box.front + margin;
  let best = lookahead;
  for (let s = 0; s < sets.length; s++) {
    if (!real[s]) continue;
    const { xs, ys, count } = sets[s]!;
    for (let i = 0; i < count; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      // beside the body it does not bar the way ahead (the gate lets the robot pass along it)
      if (y > w || y < -w || x <= box.front) continue;
      const d = x - front;
      if (d < best) best = d < 0 ? 0 : d;
    }
  }
  return best;
}
