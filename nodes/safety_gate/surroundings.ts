/**
 * What the gate knows about the robot's surroundings beyond the latest scans: where it is in the odom
 * frame, remembered obstacles, tracked movers and people, occlusion edges and blind sectors; and the
 * point sets and discs the braking envelope checks a twist against. Pure: readings and times arrive as
 * arguments; nothing is allocated per scan or step once the buffers have grown.
 */
import { DISC_MOVING, DISC_PERSON, DISC_PERSON_TRACKED, DISC_PHANTOM, Discs, type PointSet } from './envelope';
import { blindRing, type FieldOfView, occlusionEdges } from './hidden';
import { ObstacleMemory } from './memory';
import { SeenFree } from './seen';
import { footprintOf, type Params } from './params';
import type { ScanPoints } from './scan';
import { type Box, inBox as inBoxImported } from './sweep';
import { Tracks, observeClusters } from './tracks';

/** The geometry of sweep.ts as module-local functions: called once per point (an imported binding may cost a call per read under some loaders). */
const inBox = inBoxImported;

/** [m] an odometry pose jumping farther than this between messages (or [rad] turning more) is a reset. */
const JUMP_M = 1.0;
const JUMP_RAD = 0.7;
/** Maximum occlusion edges per scan source, movers, people. */
const MAX_EDGES = 64;
const MAX_TRACKS = 64;
const MAX_PEOPLE = 32;
/** [s] a mover's track older than this is not used. */
const MOVER_MAX_AGE_S = 0.5;
/** Detections of a person before their measured velocity is used instead of K. */
const TRACKED_HITS = 4;
/** [m] cell edge of the seen-free grid, and cells per side of its window (12.8 m). */
const SEEN_CELL_M = 0.1;
const SEEN_CELLS = 128;
/** [m] scan points this close to a detected person belong to the person (not remembered). */
const PERSON_POINT_M = 0.3;

/** The detection-limit points of one scan as a point set. */
class LimitSet implements PointSet {
  constructor(private readonly src: ScanPoints) {}
  get xs(): Float64Array {
    return this.src.lxs;
  }
  get ys(): Float64Array {
    return this.src.lys;
  }
  get count(): number {
    return this.src.limitCount;
  }
}

export class Surroundings {
  /** x, y [m], yaw [rad] in odom from the latest odometry. */
  readonly pose = { x: 0, y: 0, yaw: 0 };
  hasPose = false;
  readonly memory: ObstacleMemory | undefined;
  /** Movers per scan source (two lidars see an object at different times and from different sides). */
  readonly movers: Tracks[];
  readonly people: Tracks;
  readonly discs: Discs;
  /** Static point sets for the envelope, and whether each makes the stop zone occupied. */
  readonly sets: PointSet[] = [];
  readonly real: boolean[] = [];
  /** Blind places around the footprint now: the blind ring less what a beam crossed lately ({@link refreshBlind}). */
  blind: PointSet | undefined;
  /** Where beams lately saw nothing (only kept while some place around the footprint is blind). */
  readonly seen: SeenFree | undefined;
  private ring: PointSet | undefined;
  private blindXs = new Float64Array(0);
  private blindYs = new Float64Array(0);
  private readonly blindNow = { xs: this.blindXs, ys: this.blindYs, count: 0 };
  /** Odometry jumps seen (memory and tracks were reset). */
  jumps = 0;
  private readonly labels: Int32Array[];
  private readonly edgeX: Float64Array[];
  private readonly edgeY: Float64Array[];
  private readonly edgeN: Int32Array;
  private readonly fovs: (FieldOfView | undefined)[];
  private skipLabels: Int32Array = new Int32Array(0);
  private skipSrc: ScanPoints | undefined;
  private skipMovers: Tracks | undefined;
  private skipCos = 1;
  private skipSin = 0;
  private readonly footprint: Box;
  private readonly skip = (i: number): boolean => this.belongsToMover(i);

  constructor(
    private readonly p: Params,
    private readonly scans: ReadonlyArray<ScanPoints>,
  ) {
    this.footprint = footprintOf(p);
    this.memory =
      p.memory_decay_s > 0
        ? new ObstacleMemory({
            decayS: p.memory_decay_s,
            radiusM: p.memory_radius_m,
            clearWidthM: p.memory_clear_width_m,
            capacity: 4096,
          })
        : undefined;
    this.seen =
      p.unknown_is_occupied && p.seen_free_s > 0
        ? new SeenFree({ cellM: SEEN_CELL_M, cells: SEEN_CELLS, rangeM: p.seen_free_range_m })
        : undefined;
    this.movers = scans.map(
      () =>
        new Tracks({
          capacity: MAX_TRACKS,
          maxSpeedMps: 4,
          timeoutS: 1,
          alpha: 0.5,
          movingSpeedMps: p.moving_speed_mps,
        }),
    );
    this.people = new Tracks({ capacity: MAX_PEOPLE, maxSpeedMps: 6, timeoutS: p.people_timeout_s, alpha: 0.5 });
    this.discs = new Discs((MAX_TRACKS + MAX_EDGES) * scans.length + MAX_PEOPLE);
    this.labels = scans.map(() => new Int32Array(0));
    this.edgeX = scans.map(() => new Float64Array(MAX_EDGES));
    this.edgeY = scans.map(() => new Float64Array(MAX_EDGES));
    this.edgeN = new Int32Array(scans.length);
    this.fovs = scans.map(() => undefined);
    for (const s of scans) {
      this.sets.push(s, new LimitSet(s));
      this.real.push(true, false);
    }
    if (this.memory) {
      this.sets.push(this.memory);
      this.real.push(true);
    }
  }

  /** An odometry pose; a jump (relocalisation, reset, glitch) forgets what was kept in the odom frame. */
  onPose(x: number, y: number, yaw: number): void {
    const ps = this.pose;
    if (this.hasPose) {
      let dyaw = yaw - ps.yaw;
      dyaw -= 2 * Math.PI * Math.round(dyaw / (2 * Math.PI));
      if (Math.hypot(x - ps.x, y - ps.y) > JUMP_M || Math.abs(dyaw) > JUMP_RAD) {
        this.memory?.clear();
        this.seen?.clear();
        for (const m of this.movers) m.count = 0;
        this.people.count = 0;
        this.jumps++;
      }
    }
    ps.x = x;
    ps.y = y;
    ps.yaw = yaw;
    this.hasPose = true;
  }

  /** Scan source `index` was just loaded at time `now` [s]: track, remember, find occlusion edges. */
  onScan(index: number, now: number): void {
    const src = this.scans[index]!;
    const p = this.p;
    // field of view (blind sectors change only when a scan's geometry does)
    const f = this.fovs[index];
    // each beam covers half an increment to either side of its angle
    const span = src.angleIncrement * (src.beams - 1);
    const half = Math.abs(src.angleIncrement) / 2;
    const a0 = (span >= 0 ? src.angleMin : src.angleMin + span) - half;
    const a1 = (span >= 0 ? src.angleMin + span : src.angleMin) + half;
    if (!f || f.angleMin !== a0 || f.angleMax !== a1 || f.rangeMin !== src.rangeMin || f.rangeMax !== src.rangeMax) {
      this.fovs[index] = { pose: src.pose, angleMin: a0, angleMax: a1, rangeMin: src.rangeMin, rangeMax: src.rangeMax };
      this.updateBlind();
    }
    if (this.labels[index]!.length < src.count) this.labels[index] = new Int32Array(src.xs.length);
    const labels = this.labels[index]!;
    if (this.hasPose) {
      const movers = this.movers[index]!;
      movers.begin();
      observeClusters(src, this.pose, p.track_max_radius_m, movers, labels);
      movers.end(now);
      if (this.seen && this.ring) this.seen.observe(src, this.pose.x, this.pose.y, this.pose.yaw, now);
      if (this.memory) {
        this.skipLabels = labels;
        this.skipSrc = src;
        this.skipMovers = movers;
        this.skipCos = Math.cos(this.pose.yaw);
        this.skipSin = Math.sin(this.pose.yaw);
        this.memory.update(src, this.pose, now, this.skip);
        this.skipSrc = undefined;
      }
    }
    this.edgeN[index] =
      p.people_enabled && p.occlusion_gap_m > 0
        ? occlusionEdges(
            src,
            {
              gapM: p.occlusion_gap_m,
              maxRangeM: p.occlusion_range_m,
              collinearM: 0.15,
              minWidthM: p.occlusion_min_width_m,
            },
            this.edgeX[index]!,
            this.edgeY[index]!,
            0,
            this.hasPose ? (i) => this.onVehicle(labels, this.movers[index]!, i, now) : undefined,
          )
        : 0;
  }

  /**
   * Point i of the scan just loaded belongs to a cluster tracked as moving, or seen moving within
   * occlusion_mover_memory_s (a robot or cart that has just stopped: whoever it hides must have kept
   * pace with it).
   */
  private onVehicle(labels: Int32Array, mv: Tracks, i: number, now: number): boolean {
    const obs = labels[i]!;
    if (obs < 0) return false;
    const t = mv.trackOf[obs]!;
    return t >= 0 && now - mv.movedAt[t]! <= this.p.occlusion_mover_memory_s;
  }

  /** Point i of the scan just loaded belongs to a cluster tracked as moving. */
  private onMover(labels: Int32Array, mv: Tracks, i: number): boolean {
    const obs = labels[i]!;
    if (obs < 0) return false;
    const t = mv.trackOf[obs]!;
    return t >= 0 && mv.hits[t]! >= 2 && mv.speed(t) >= this.p.moving_speed_mps;
  }

  /** People detected at (xs[i], ys[i]) [m, base_link], i < n, at time `now` [s]. */
  onPeople(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, now: number): void {
    const { x, y, yaw } = this.pose;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    this.people.begin();
    for (let i = 0; i < n; i++) this.people.observe(x + c * xs[i]! - s * ys[i]!, y + s * xs[i]! + c * ys[i]!, 0);
    this.people.end(now);
  }

  /** Fills {@link discs} for time `now` [s]: people (fresh ones), movers, phantoms at occlusion edges. */
  buildDiscs(now: number): Discs {
    const p = this.p;
    const d = this.discs;
    d.count = 0;
    const { x: px, y: py, yaw } = this.pose;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    const K = p.separation_k_mps;
    if (p.people_enabled) {
      const pe = this.people;
      for (let i = 0; i < pe.count; i++) {
        const age = now - pe.t[i]!;
        if (age > p.people_timeout_s) continue;
        const dx = pe.x[i]! - px;
        const dy = pe.y[i]! - py;
        const bx = c * dx + s * dy;
        const by = -s * dx + c * dy;
        if (pe.hits[i]! >= TRACKED_HITS && p.people_accel_mps2 > 0 && pe.speed(i) < K) {
          // followed long enough: closes in along the measured velocity, speeding up from it at no more
          // than people_accel_mps2 (ISO/TS 15066 lets a measured speed replace K); K caps the growth
          const vx = c * pe.vx[i]! + s * pe.vy[i]!;
          const vy = -s * pe.vx[i]! + c * pe.vy[i]!;
          const a = Math.max(0, age);
          // where they are now if they kept walking; how much they may have sped up is the disc's age
          d.add(DISC_PERSON_TRACKED, bx + vx * a, by + vy * a, p.people_radius_m + p.separation_c_m, vx, vy, K, a);
        } else {
          // K in every direction, or the measured speed when faster (a running child)
          const sp = pe.hits[i]! >= TRACKED_HITS ? Math.max(K, pe.speed(i)) : K;
          const r = p.people_radius_m + p.separation_c_m + sp * Math.max(0, age);
          d.add(DISC_PERSON, bx, by, r, 0, 0, sp);
        }
      }
      for (let k = 0; k < this.scans.length; k++) {
        const ex = this.edgeX[k]!;
        const ey = this.edgeY[k]!;
        for (let i = 0; i < this.edgeN[k]!; i++) d.add(DISC_PHANTOM, ex[i]!, ey[i]!, 0, 0, 0, K);
      }
    }
    for (const mv of this.movers) this.addMovers(mv, now);
    return d;
  }

  private addMovers(mv: Tracks, now: number): void {
    const p = this.p;
    const d = this.discs;
    const { x: px, y: py, yaw } = this.pose;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    for (let i = 0; i < mv.count; i++) {
      const age = now - mv.t[i]!;
      if (mv.hits[i]! < 3 || age > MOVER_MAX_AGE_S) continue;
      const vx = mv.vx[i]!;
      const vy = mv.vy[i]!;
      if (Math.hypot(vx, vy) < p.moving_speed_mps) continue;
      const dx = mv.x[i]! + vx * age - px;
      const dy = mv.y[i]! + vy * age - py;
      d.add(
        DISC_MOVING,
        c * dx + s * dy,
        -s * dx + c * dy,
        mv.r[i]!,
        c * vx + s * vy,
        -s * vx + c * vy,
        p.track_uncertainty_mps,
      );
    }
  }

  /** True when point i of the scan being remembered belongs to a mover or a person (not remembered). */
  private belongsToMover(i: number): boolean {
    const src = this.skipSrc!;
    // inside the footprint (a -Inf reading at the sensor): no beam could ever clear it
    const bx = src.xs[i]!;
    const by = src.ys[i]!;
    if (inBox(bx, by, this.footprint, 0)) return true;
    if (this.onMover(this.skipLabels, this.skipMovers!, i)) return true;
    const pe = this.people;
    if (pe.count === 0) return false;
    // base_link → odom with the pose of the scan being remembered (cos, sin taken once per scan)
    const c = this.skipCos;
    const s = this.skipSin;
    const wx = this.pose.x + c * bx - s * by;
    const wy = this.pose.y + s * bx + c * by;
    const r = this.p.people_radius_m + PERSON_POINT_M;
    for (let j = 0; j < pe.count; j++) {
      const dx = pe.x[j]! - wx;
      const dy = pe.y[j]! - wy;
      if (dx * dx + dy * dy < r * r) return true;
    }
    return false;
  }

  /** The stop margin changed: the blind rings move with it. */
  reconfigure(): void {
    this.updateBlind();
  }

  private updateBlind(): void {
    const p = this.p;
    if (!p.unknown_is_occupied || this.fovs.some((f) => f === undefined)) {
      this.ring = this.blind = undefined;
      return;
    }
    const box = this.footprint;
    // two rings just outside the stop zone: any motion sweeping the grown footprint out there is refused
    // (5 cm out, so that a gentle arc, whose rear swings out by rear² / 2R, still passes)
    const [xs, ys] = blindRing(box, [p.stop_margin_m + 0.05, p.stop_margin_m + 0.15], 0.05, this.fovs);
    this.ring = this.blind = xs.length > 0 ? { xs, ys, count: xs.length } : undefined;
  }

  /** The blind set for time `now` [s]: ring points a beam crossed within seen_free_s are not blind. */
  refreshBlind(now: number): void {
    const ring = this.ring;
    if (!ring || !this.seen || !this.hasPose) {
      this.blind = ring;
      return;
    }
    if (this.blindXs.length < ring.count) {
      this.blindXs = new Float64Array(ring.count);
      this.blindYs = new Float64Array(ring.count);
      this.blindNow.xs = this.blindXs;
      this.blindNow.ys = this.blindYs;
    }
    const { x, y, yaw } = this.pose;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    const since = now - this.p.seen_free_s;
    let n = 0;
    for (let i = 0; i < ring.count; i++) {
      const bx = ring.xs[i]!;
      const by = ring.ys[i]!;
      if (this.seen.seenSince(x + c * bx - s * by, y + s * bx + c * by, since)) continue;
      this.blindXs[n] = bx;
      this.blindYs[n] = by;
      n++;
    }
    this.blindNow.count = n;
    this.blind = this.blindNow;
  }
}
