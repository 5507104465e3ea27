/**
 * A planar lidar by ray casting, producing sensor_msgs/LaserScan content.
 *
 * Special values follow REP 117 (Informational Distance Measurements):
 * - no return within range_max (nothing hit, or the hit is farther than range_max) → +Inf;
 * - a return closer than range_min (too close to measure) → -Inf;
 * - NaN (erroneous reading) is never produced by the model itself; a faulty sensor is simulated by
 *   the world withholding scans (sensor dropout).
 * Range noise is Gaussian on the true distance, and the noisy value is kept inside
 * [range_min, range_max] so that noise never turns a real return into a special value.
 *
 * Cost per scan: every primitive near the sensor (static segments through the world's SegmentGrid,
 * then people and other robots) is projected onto the beams its angular extent covers, and only
 * those beams are intersected with it. That is O(primitives + covered beams), never more than
 * O(beams × primitives); a long wall seen from close by covers many beams, a distant person few.
 */
import {
  type Circle,
  type Pose,
  type Segment,
  SegmentGrid,
  cellKey,
  pointSegmentDistance,
  rayCircle,
  raySegment,
} from './geometry';
import type { Rng } from './random';

/** Lidar settings (units in the names). */
export interface LidarConfig {
  /** Number of beams (>= 2). */
  beams: number;
  /** [rad] angle of the first beam in the laser frame. */
  angleMinRad: number;
  /** [rad] angle of the last beam; the increment is (max - min) / (beams - 1). */
  angleMaxRad: number;
  /** [m] closest measurable range. */
  rangeMinM: number;
  /** [m] farthest measurable range. */
  rangeMaxM: number;
  /** [Hz] scans per second. */
  rateHz: number;
  /** [m] std. dev. of Gaussian range noise (0 = exact). */
  noiseStdM: number;
  /** The laser frame's pose in base_link (x, y [m], yaw [rad]). */
  mount: Pose;
}

/** The laser frame's angular layout for a full circle of `beams` beams starting at -π (no duplicate beam). */
export function fullCircle(beams: number): { angleMinRad: number; angleMaxRad: number } {
  return { angleMinRad: -Math.PI, angleMaxRad: -Math.PI + (2 * Math.PI * (beams - 1)) / beams };
}

/** What the lidar sees besides the static walls and obstacles: dynamic bodies with an owner index. */
export interface LidarScene {
  /** Walls and obstacle edges. */
  grid: SegmentGrid;
  /** People and circular robots. */
  circles: readonly Circle[];
  /** Owner of each circle (a robot's index, or -1 for people). */
  circleOwner: ArrayLike<number>;
  /** Edges of polygonal robots. */
  segments: readonly Segment[];
  /** Owner of each segment (a robot's index). */
  segmentOwner: ArrayLike<number>;
  /**
   * Optional broad phase over `circles` and `segments` (built once per step by the world): without
   * it every scan visits every body, which costs O(robots) per scan in a large fleet.
   */
  bodies?: BodyIndex;
}

/**
 * A uniform hash grid over moving bodies (circles and segments) for one step: each is listed in the
 * cells its bounding box touches, and a query visits each once. Rebuilt whenever bodies move.
 */
export class BodyIndex {
  private readonly cells = new Map<number, number[]>();
  private readonly cell: number;
  private readonly circleStamp: Uint32Array;
  private readonly segmentStamp: Uint32Array;
  private epoch = 0;

  /** `cellM` is the cell size [m]. Circles are stored as ~k (negative), segments as k. */
  constructor(circles: readonly Circle[], segments: readonly Segment[], cellM = 4) {
    this.cell = cellM;
    this.circleStamp = new Uint32Array(circles.length);
    this.segmentStamp = new Uint32Array(segments.length);
    circles.forEach((c, k) => this.add(c.x - c.r, c.y - c.r, c.x + c.r, c.y + c.r, ~k));
    segments.forEach((s, k) =>
      this.add(Math.min(s.ax, s.bx), Math.min(s.ay, s.by), Math.max(s.ax, s.bx), Math.max(s.ay, s.by), k),
    );
  }

  private add(x0: number, y0: number, x1: number, y1: number, item: number): void {
    const c = this.cell;
    for (let gx = Math.floor(x0 / c); gx <= Math.floor(x1 / c); gx++) {
      for (let gy = Math.floor(y0 / c); gy <= Math.floor(y1 / c); gy++) {
        const key = cellKey(gx, gy);
        let list = this.cells.get(key);
        if (!list) this.cells.set(key, (list = []));
        list.push(item);
      }
    }
  }

  /** Calls `onCircle(k)` / `onSegment(k)` once for every body whose cells overlap the box. */
  query(
    minX: number,
    minY: number,
    maxX: number,
    maxY: number,
    onCircle: (k: number) => void,
    onSegment: (k: number) => void,
  ): void {
    this.epoch = (this.epoch + 1) >>> 0;
    const epoch = this.epoch;
    const c = this.cell;
    for (let gx = Math.floor(minX / c); gx <= Math.floor(maxX / c); gx++) {
      for (let gy = Math.floor(minY / c); gy <= Math.floor(maxY / c); gy++) {
        const list = this.cells.get(cellKey(gx, gy));
        if (!list) continue;
        for (const item of list) {
          if (item < 0) {
            const k = ~item;
            if (this.circleStamp[k] === epoch) continue;
            this.circleStamp[k] = epoch;
            onCircle(k);
          } else {
            if (this.segmentStamp[item] === epoch) continue;
            this.segmentStamp[item] = epoch;
            onSegment(item);
          }
        }
      }
    }
  }
}

/** One scan: sensor_msgs/LaserScan content without the header. */
export interface LaserScanData {
  /** [s] sim time of the scan. */
  t: number;
  angleMin: number;
  angleMax: number;
  angleIncrement: number;
  /** [s] time between beams: 0, every beam of a simulated scan is taken at the same instant. */
  timeIncrement: number;
  /** [s] time between scans (1 / rate). */
  scanTime: number;
  rangeMin: number;
  rangeMax: number;
  /** [m] per beam, REP 117 special values as above. */
  ranges: Float32Array;
}

const TWO_PI = 2 * Math.PI;

/** A lidar: its settings with the beam directions precomputed once, and scratch buffers reused per scan. */
export class Lidar {
  readonly config: LidarConfig;
  readonly angleIncrement: number;
  private readonly cosA: Float64Array;
  private readonly sinA: Float64Array;
  private readonly dx: Float64Array;
  private readonly dy: Float64Array;
  private readonly raw: Float64Array;
  private ox = 0;
  private oy = 0;
  private heading = 0;
  private currentSegments: readonly Segment[] = [];

  constructor(config: LidarConfig) {
    this.config = config;
    const n = config.beams;
    this.angleIncrement = (config.angleMaxRad - config.angleMinRad) / (n - 1);
    this.cosA = new Float64Array(n);
    this.sinA = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = config.angleMinRad + i * this.angleIncrement;
      this.cosA[i] = Math.cos(a);
      this.sinA[i] = Math.sin(a);
    }
    this.dx = new Float64Array(n);
    this.dy = new Float64Array(n);
    this.raw = new Float64Array(n);
  }

  /**
   * The true distances [m] (+Infinity on no hit, no range limits applied) from the laser at world pose
   * `sensor`, ignoring bodies owned by `selfOwner`. The returned array is reused by the next call.
   */
  castRaw(sensor: Pose, scene: LidarScene, selfOwner: number): Float64Array {
    const n = this.config.beams;
    const R = this.config.rangeMaxM;
    this.ox = sensor.x;
    this.oy = sensor.y;
    this.heading = sensor.yaw;
    const c = Math.cos(sensor.yaw);
    const s = Math.sin(sensor.yaw);
    for (let i = 0; i < n; i++) {
      this.dx[i] = c * this.cosA[i]! - s * this.sinA[i]!;
      this.dy[i] = s * this.cosA[i]! + c * this.sinA[i]!;
    }
    this.raw.fill(Infinity);

    this.currentSegments = scene.grid.segments;
    scene.grid.query(sensor.x - R, sensor.y - R, sensor.x + R, sensor.y + R, this.visitStatic);

    if (scene.bodies) {
      scene.bodies.query(
        sensor.x - R,
        sensor.y - R,
        sensor.x + R,
        sensor.y + R,
        (k) => {
          if (scene.circleOwner[k] !== selfOwner) this.castCircle(scene.circles[k]!);
        },
        (k) => {
          if (scene.segmentOwner[k] !== selfOwner) this.castSegment(scene.segments[k]!);
        },
      );
      return this.raw;
    }
    for (let k = 0; k < scene.segments.length; k++) {
      if (scene.segmentOwner[k] === selfOwner) continue;
      this.castSegment(scene.segments[k]!);
    }
    for (let k = 0; k < scene.circles.length; k++) {
      if (scene.circleOwner[k] === selfOwner) continue;
      this.castCircle(scene.circles[k]!);
    }
    return this.raw;
  }

  private readonly visitStatic = (index: number): void => {
    this.castSegment(this.currentSegments[index]!);
  };

  private castSegment(seg: Segment): void {
    const { ox, oy } = this;
    if (pointSegmentDistance(ox, oy, seg) > this.config.rangeMaxM) return;
    const ta = Math.atan2(seg.ay - oy, seg.ax - ox) - this.heading;
    const tb = Math.atan2(seg.by - oy, seg.bx - ox) - this.heading;
    let delta = (tb - ta) % TWO_PI;
    if (delta > Math.PI) delta -= TWO_PI;
    else if (delta < -Math.PI) delta += TWO_PI;
    // A segment through (or almost through) the sensor spans half the circle or more: test every beam.
    if (Math.abs(delta) > Math.PI - 1e-6) {
      this.segmentOnBeams(seg, 0, this.config.beams - 1);
      return;
    }
    const lo = ta + Math.min(0, delta);
    this.forArc(lo, lo + Math.abs(delta), seg, undefined);
  }

  private castCircle(circle: Circle): void {
    const ddx = circle.x - this.ox;
    const ddy = circle.y - this.oy;
    const d = Math.sqrt(ddx * ddx + ddy * ddy);
    if (d - circle.r > this.config.rangeMaxM) return;
    if (d <= circle.r) {
      this.circleOnBeams(circle, 0, this.config.beams - 1);
      return;
    }
    const mid = Math.atan2(ddy, ddx) - this.heading;
    const half = Math.asin(circle.r / d);
    this.forArc(mid - half, mid + half, undefined, circle);
  }

  /** Casts against the beams whose angle (laser frame) lies in [lo, hi], modulo 2π, plus one beam each side. */
  private forArc(lo: number, hi: number, seg: Segment | undefined, circle: Circle | undefined): void {
    const n = this.config.beams;
    const a0 = this.config.angleMinRad;
    const inc = this.angleIncrement;
    // Bring the arc's start into [a0, a0 + 2π); its wrapped tail, if any, is the same arc shifted by -2π.
    const start = lo - TWO_PI * Math.floor((lo - a0) / TWO_PI);
    const end = start + (hi - lo);
    for (let shift = 0; shift >= -TWO_PI; shift -= TWO_PI) {
      const i0 = Math.max(0, Math.ceil((start + shift - a0) / inc) - 1);
      const i1 = Math.min(n - 1, Math.floor((end + shift - a0) / inc) + 1);
      if (i0 > i1) continue;
      if (seg) this.segmentOnBeams(seg, i0, i1);
      else if (circle) this.circleOnBeams(circle, i0, i1);
    }
  }

  private segmentOnBeams(seg: Segment, i0: number, i1: number): void {
    for (let i = i0; i <= i1; i++) {
      const t = raySegment(this.ox, this.oy, this.dx[i]!, this.dy[i]!, seg);
      if (t < this.raw[i]!) this.raw[i] = t;
    }
  }

  private circleOnBeams(circle: Circle, i0: number, i1: number): void {
    for (let i = i0; i <= i1; i++) {
      const t = rayCircle(this.ox, this.oy, this.dx[i]!, this.dy[i]!, circle);
      if (t < this.raw[i]!) this.raw[i] = t;
    }
  }

  /**
   * A full scan at time `t` from the laser at world pose `sensor`: true distances with range limits,
   * REP 117 special values and Gaussian noise from `rng` applied. `ranges` is a new Float32Array.
   */
  scan(t: number, sensor: Pose, scene: LidarScene, selfOwner: number, rng: Rng): LaserScanData {
    const raw = this.castRaw(sensor, scene, selfOwner);
    const { rangeMinM: lo, rangeMaxM: hi, noiseStdM: sd } = this.config;
    const ranges = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i]!;
      if (r > hi) ranges[i] = Infinity;
      else if (r < lo) ranges[i] = -Infinity;
      else if (sd > 0) ranges[i] = Math.min(hi, Math.max(lo, r + rng.gaussian(0, sd)));
      else ranges[i] = r;
    }
    return {
      t,
      angleMin: this.config.angleMinRad,
      angleMax: this.config.angleMaxRad,
      angleIncrement: this.angleIncrement,
      timeIncrement: 0,
      scanTime: 1 / this.config.rateHz,
      rangeMin: lo,
      rangeMax: hi,
      ranges,
    };
  }
}

/**
 * The true distances by brute force: every beam against every primitive, no broad phase. The
 * reference the fast path is tested against (and a baseline for benchmarks).
 */
export function castRawBruteForce(
  config: LidarConfig,
  sensor: Pose,
  scene: LidarScene,
  selfOwner: number,
): Float64Array {
  const n = config.beams;
  const inc = (config.angleMaxRad - config.angleMinRad) / (n - 1);
  const out = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < n; i++) {
    const a = sensor.yaw + config.angleMinRad + i * inc;
    const dx = Math.cos(a);
    const dy = Math.sin(a);
    let best = Infinity;
    for (const s of scene.grid.segments) best = Math.min(best, raySegment(sensor.x, sensor.y, dx, dy, s));
    scene.segments.forEach((s, k) => {
      if (scene.segmentOwner[k] !== selfOwner) best = Math.min(best, raySegment(sensor.x, sensor.y, dx, dy, s));
    });
    scene.circles.forEach((c, k) => {
      if (scene.circleOwner[k] !== selfOwner) best = Math.min(best, rayCircle(sensor.x, sensor.y, dx, dy, c));
    });
    out[i] = best;
  }
  return out;
}
