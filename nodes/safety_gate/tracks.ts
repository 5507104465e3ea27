/**
 * Moving things around the robot, followed from one scan (or detection message) to the next in the
 * odom frame, so that the gate can let them close in at their own speed: other robots and carts
 * crossing its path (clusters of lidar points of object size), and people (detections).
 *
 * A track is a disc: centre, radius, velocity. Association is nearest neighbour within a gate that
 * grows with the time since the last update; velocity is a low-pass of the centre's displacement.
 * Fixed capacity, typed arrays, no allocation per update. Pure.
 */
import type { Pose2D } from './memory';
import { POINT_OBSTACLE, type ScanPoints } from './scan';

/** POINT_OBSTACLE as a module-local constant: read once per point (an imported binding may cost a call per read). */
const OBSTACLE = POINT_OBSTACLE;
export interface TrackerConfig {
  /** Maximum tracks. */
  capacity: number;
  /** [m/s] the fastest an object may move (association gate). */
  maxSpeedMps: number;
  /** [s] a track not updated for this long is dropped. */
  timeoutS: number;
  /** [1] weight of a new velocity measurement. */
  alpha: number;
  /** [m/s] a track at least this fast is moving (see {@link Tracks.movedAt}); default: never. */
  movingSpeedMps?: number;
}

/**
 * A set of tracked discs in the odom frame. `x, y, r, vx, vy` per track; `hits` counts updates.
 */
export class Tracks {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly r: Float64Array;
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly t: Float64Array;
  readonly hits: Int32Array;
  /** [s] when track i was last seen moving (at least movingSpeedMps, after two updates); -Infinity never. */
  readonly movedAt: Float64Array;
  count = 0;
  // scratch for one update: the new observations
  private readonly ox: Float64Array;
  private readonly oy: Float64Array;
  private readonly or: Float64Array;
  private readonly used: Uint8Array;
  private on = 0;
  /** After {@link end}: the track each observation of the batch went to. */
  readonly trackOf: Int32Array;

  constructor(private readonly cfg: TrackerConfig) {
    const n = cfg.capacity;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.r = new Float64Array(n);
    this.vx = new Float64Array(n);
    this.vy = new Float64Array(n);
    this.t = new Float64Array(n);
    this.hits = new Int32Array(n);
    this.movedAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.ox = new Float64Array(n);
    this.oy = new Float64Array(n);
    this.or = new Float64Array(n);
    this.used = new Uint8Array(n);
    this.trackOf = new Int32Array(n).fill(-1);
  }

  /** Number of observations in the current batch (the index the next one gets). */
  get pending(): number {
    return this.on;
  }

  /** Starts a batch of observations. */
  begin(): void {
    this.on = 0;
  }

  /** One observation: a disc at (x, y) [m, odom] of radius r [m]. Extra observations are ignored. */
  observe(x: number, y: number, r: number): void {
    if (this.on >= this.ox.length) return;
    this.trackOf[this.on] = -1;
    this.ox[this.on] = x;
    this.oy[this.on] = y;
    this.or[this.on] = r;
    this.on++;
  }

  /** Associates the batch with the tracks at time `now` [s]; unmatched observations start tracks. */
  end(now: number): void {
    const cfg = this.cfg;
    this.used.fill(0, 0, this.on);
    // drop stale tracks
    let k = 0;
    for (let i = 0; i < this.count; i++) {
      if (now - this.t[i]! > cfg.timeoutS) continue;
      if (k !== i) this.copy(i, k);
      k++;
    }
    this.count = k;
    for (let i = 0; i < this.count; i++) {
      const dt = now - this.t[i]!;
      if (!(dt > 0)) continue;
      // predicted centre
      const px = this.x[i]! + this.vx[i]! * dt;
      const py = this.y[i]! + this.vy[i]! * dt;
      const gate = 0.2 + this.r[i]! * 0.5 + cfg.maxSpeedMps * dt;
      let best = -1;
      let bestD = gate * gate;
      for (let j = 0; j < this.on; j++) {
        if (this.used[j]) continue;
        const dx = this.ox[j]! - px;
        const dy = this.oy[j]! - py;
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = j;
        }
      }
      if (best < 0) continue;
      this.used[best] = 1;
      this.trackOf[best] = i;
      const r0 = this.r[i]!;
      const r1 = this.or[best]!;
      if (Math.abs(r1 - r0) > EXTENT_CHANGE_M + EXTENT_CHANGE_RATIO * r0) {
        // A different part of it is in view (the robot moved or turned, something occludes it): its
        // centre jumped without it moving. Start its velocity afresh.
        this.vx[i] = 0;
        this.vy[i] = 0;
        this.hits[i] = 0;
      } else {
        const mvx = (this.ox[best]! - this.x[i]!) / dt;
        const mvy = (this.oy[best]! - this.y[i]!) / dt;
        const a = this.hits[i]! <= 1 ? 1 : cfg.alpha;
        this.vx[i] = a * mvx + (1 - a) * this.vx[i]!;
        this.vy[i] = a * mvy + (1 - a) * this.vy[i]!;
      }
      this.x[i] = this.ox[best]!;
      this.y[i] = this.oy[best]!;
      this.r[i] = this.or[best]!;
      this.t[i] = now;
      this.hits[i] = this.hits[i]! + 1;
      if (this.hits[i]! >= 2 && this.speed(i) >= (cfg.movingSpeedMps ?? Number.POSITIVE_INFINITY))
        this.movedAt[i] = now;
    }
    for (let j = 0; j < this.on && this.count < this.x.length; j++) {
      if (this.used[j]) continue;
      const i = this.count++;
      this.trackOf[j] = i;
      this.x[i] = this.ox[j]!;
      this.y[i] = this.oy[j]!;
      this.r[i] = this.or[j]!;
      this.vx[i] = 0;
      this.vy[i] = 0;
      this.t[i] = now;
      this.hits[i] = 1;
      this.movedAt[i] = Number.NEGATIVE_INFINITY;
    }
  }

  /** [m/s] speed of track i. */
  speed(i: number): number {
    return Math.hypot(this.vx[i]!, this.vy[i]!);
  }

  private copy(from: number, to: number): void {
    this.x[to] = this.x[from]!;
    this.y[to] = this.y[from]!;
    this.r[to] = this.r[from]!;
    this.vx[to] = this.vx[from]!;
    this.vy[to] = this.vy[from]!;
    this.t[to] = this.t[from]!;
    this.hits[to] = this.hits[from]!;
    this.movedAt[to] = this.movedAt[from]!;
  }
}

/** A cluster whose extent changes by more than this between updates is seen differently, not moving. */
const EXTENT_CHANGE_M = 0.05;
const EXTENT_CHANGE_RATIO = 0.2;

/** [m] neighbouring points farther apart than this belong to different objects. */
const CLUSTER_GAP_M = 0.3;

/**
 * Splits the obstacle points of `src` into clusters of neighbouring beams and observes, in `tracks`,
 * each cluster no larger than `maxRadiusM` (walls and long shelves are not objects that move) as a
 * disc in the odom frame at `pose`. Writes each point's cluster number into `label` (-1: not an
 * object-sized cluster): the observation's index in the batch; after `tracks.end()`,
 * `tracks.trackOf[label]` is its track.
 */
export function observeClusters(
  src: ScanPoints,
  pose: Pose2D,
  maxRadiusM: number,
  tracks: Tracks,
  label: Int32Array,
): void {
  const c = Math.cos(pose.yaw);
  const s = Math.sin(pose.yaw);
  const xs = src.xs;
  const ys = src.ys;
  let start = 0;
  const n = src.count;
  for (let i = 0; i <= n; i++) {
    const split =
      i === n ||
      src.kinds[i] !== OBSTACLE ||
      (i > start && Math.hypot(xs[i]! - xs[i - 1]!, ys[i]! - ys[i - 1]!) > CLUSTER_GAP_M) ||
      (i > start && src.beam[i]! - src.beam[i - 1]! > 2);
    if (!split) continue;
    const end = i; // [start, end)
    if (end - start >= 2) {
      let sx = 0;
      let sy = 0;
      for (let j = start; j < end; j++) {
        sx += xs[j]!;
        sy += ys[j]!;
      }
      const mx = sx / (end - start);
      const my = sy / (end - start);
      let r2 = 0;
      for (let j = start; j < end; j++) {
        const d = (xs[j]! - mx) ** 2 + (ys[j]! - my) ** 2;
        if (d > r2) r2 = d;
      }
      const r = Math.sqrt(r2);
      const ok = r <= maxRadiusM && tracks.pending < tracks.x.length;
      const obs = tracks.pending;
      for (let j = start; j < end; j++) label[j] = ok ? obs : -1;
      if (ok) tracks.observe(pose.x + c * mx - s * my, pose.y + s * mx + c * my, r);
    } else {
      for (let j = start; j < end; j++) label[j] = -1;
    }
    if (i < n && src.kinds[i] !== OBSTACLE) {
      label[i] = -1;
      start = i + 1;
    } else start = i;
  }
}
