/**
 * The headless 2D world: walls and obstacles, robots driven by commanded twists, scripted people,
 * stepped at a fixed dt. It integrates each robot, resolves and COUNTS collisions (never hides
 * them), tracks minimum clearance and distance travelled, keeps e-stop and sensor-fault state as
 * data, and says after each step which sensor readings are due (lidar, odometry, IMU, battery), as
 * plain data for sim/messages.ts. Deterministic: the same seed and the same commands give the same
 * run; nothing here reads a clock or touches ROS or MQTT.
 *
 * Collision model: a robot moving into a wall, an obstacle, another robot or a person stops at the
 * point of contact (found by bisection along the step) and its velocity drops to zero, like a bumper
 * stop. A person walking into a robot overlaps it (people are not pushed). Either way the contact is
 * recorded once per contact episode: an episode starts when the robot is blocked by or overlaps an
 * object, and ends when it is more than `contactReleaseM` away from it again.
 */
import {
  type Circle,
  type Footprint,
  type PlacedShape,
  type Pose,
  type Segment,
  type Vec2,
  SegmentGrid,
  closestPointOnSegment,
  composePose,
  footprintRadius,
  length,
  placeFootprint,
  pointInPolygon,
  polylineSegments,
  shapeCircleDistance,
  shapeSegmentDistance,
  shapeShapeDistance,
} from './geometry';
import {
  type BatteryConfig,
  type BatteryData,
  type BatteryModelState,
  batteryReading,
  batteryStep,
  isDocked,
} from './battery';
import { type LaserScanData, type LidarConfig, type LidarScene, Lidar } from './lidar';
import { type PersonConfig, type PersonTrack, compilePerson, personAt } from './people';
import { Rng, deriveSeed } from './random';
import {
  type DriveLimits,
  type DriveNoise,
  type DriveState,
  type ImuData,
  type OdometryData,
  type Twist2D,
  applyMotion,
  driveMotion,
  imuReading,
  initialDriveState,
  integrateArc,
  odometryReading,
} from './robot';

/** A wall: a polyline (closed when `closed`), infinitely thin. */
export interface WallSpec {
  id: string;
  points: readonly Vec2[];
  closed?: boolean;
}

/** A static obstacle: a closed polygon (solid inside). */
export interface ObstacleSpec {
  id: string;
  points: readonly Vec2[];
}

/** The static world. */
export interface WorldMap {
  walls: readonly WallSpec[];
  obstacles: readonly ObstacleSpec[];
  /** Poses where a robot charges (see BatteryConfig.dockRadiusM). */
  docks: readonly Pose[];
}

/** The sensors a robot has (each can be withheld by a sensor-dropout fault). */
export const SENSORS = ['scan', 'odom', 'imu', 'battery'] as const;
export type SensorName = (typeof SENSORS)[number];

/** One simulated robot (units in the names). */
export interface SimRobotConfig {
  id: string;
  /** Start pose in the map frame; also the odom frame's origin. */
  start: Pose;
  footprint: Footprint;
  limits: DriveLimits;
  noise: DriveNoise;
  lidar: LidarConfig;
  battery: BatteryConfig & { initialPercentage: number };
  /** [Hz] odometry, IMU and battery rates (the lidar's is in `lidar`). */
  odomRateHz: number;
  imuRateHz: number;
  batteryRateHz: number;
  /** [s] the base stops when no command arrived for this long (like diff_drive_controller). */
  cmdTimeoutS: number;
}

/** World-wide options. */
export interface WorldOptions {
  /** [s] fixed step. */
  dtS: number;
  /** Run seed; each robot's noise stream derives from it and the robot id. */
  seed: number;
  /**
   * true: a pressed e-stop also cuts the drive (like a hardware e-stop circuit); false (default): the
   * e-stop is only state, reported for the nodes to act on, so scenarios test the safety gate.
   */
  estopCutsDrive?: boolean;
  /** [m] distance at which a contact episode ends (default 0.01). */
  contactReleaseM?: number;
  /** [m] clearances above this are not looked for (reported as this value; default 5). */
  clearanceCapM?: number;
}

/** What a robot touched. */
export interface CollisionTarget {
  kind: 'wall' | 'obstacle' | 'person' | 'robot';
  id: string;
}

/** One collision (the start of one contact episode). */
export interface CollisionRecord {
  /** [s] sim time at which the contact began. */
  t: number;
  robotId: string;
  with: CollisionTarget;
  /** [m] map-frame point of the object nearest the robot's centre (where it was hit). */
  where: Vec2;
  /** The robot's pose at contact. */
  pose: Pose;
  /** [m/s] the robot's speed just before contact (0: something walked into a standing robot). */
  robotSpeedMps: number;
}

/** The sensor readings due after a step, for one robot. */
export interface RobotReadings {
  robotId: string;
  scan?: LaserScanData;
  odom?: OdometryData;
  imu?: ImuData;
  battery?: BatteryData;
}

/** What one step did. */
export interface StepReport {
  /** [s] sim time after the step. */
  t: number;
  /** Readings due at t, robots in configuration order (absent for robots with nothing due). */
  readings: RobotReadings[];
  /** Collisions that began during this step. */
  collisions: CollisionRecord[];
}

/** Per-robot run metrics. */
export interface RobotMetrics {
  robotId: string;
  collisions: number;
  /** [m] smallest distance between footprint and anything, capped at clearanceCapM. */
  minClearanceM: number;
  /** [s] when the minimum clearance occurred. */
  minClearanceAtS: number;
  /** [m] true distance driven. */
  distanceM: number;
}

/** A robot's ground truth, for reports and determinism checks. */
export interface RobotSnapshot {
  robotId: string;
  pose: Pose;
  twist: Twist2D;
  odomPose: Pose;
  batteryPercentage: number;
  estop: boolean;
}

interface StaticObject {
  target: CollisionTarget;
  /** For obstacles: the polygon, to detect a robot wholly inside. */
  polygon?: readonly Vec2[];
}

interface RobotRuntime {
  cfg: SimRobotConfig;
  index: number;
  rng: Rng;
  lidar: Lidar;
  drive: DriveState;
  battery: BatteryModelState;
  shape: PlacedShape;
  boundR: number;
  cmd: Twist2D;
  cmdAt: number;
  estop: boolean;
  disabled: Set<SensorName>;
  /** Keys of objects in contact (an open episode). */
  contacts: Set<string>;
  collisions: number;
  minClearance: number;
  minClearanceAt: number;
  distance: number;
}

const BISECTION_STEPS = 24;
const ZERO: Twist2D = { linear: 0, angular: 0 };

/** The simulated world. Construct with the map, robots, people and options; then `step()` repeatedly. */
export class World {
  readonly options: Required<WorldOptions>;
  readonly map: WorldMap;
  private readonly grid: SegmentGrid;
  private readonly segOwner: Int32Array;
  private readonly statics: StaticObject[] = [];
  private readonly robots: RobotRuntime[] = [];
  private readonly byId = new Map<string, RobotRuntime>();
  private readonly tracks: PersonTrack[];
  private readonly people: Circle[];
  private readonly log: CollisionRecord[] = [];
  private stepIndex = 0;
  private nowS = 0;

  constructor(
    map: WorldMap,
    robots: readonly SimRobotConfig[],
    people: readonly PersonConfig[],
    options: WorldOptions,
  ) {
    this.options = { estopCutsDrive: false, contactReleaseM: 0.01, clearanceCapM: 5, ...options };
    this.map = map;
    const segs: Segment[] = [];
    const owners: number[] = [];
    for (const w of map.walls) {
      const idx = this.statics.push({ target: { kind: 'wall', id: w.id } }) - 1;
      for (const s of polylineSegments(w.points, w.closed ?? false)) {
        segs.push(s);
        owners.push(idx);
      }
    }
    for (const o of map.obstacles) {
      const idx = this.statics.push({ target: { kind: 'obstacle', id: o.id }, polygon: o.points }) - 1;
      for (const s of polylineSegments(o.points, true)) {
        segs.push(s);
        owners.push(idx);
      }
    }
    this.grid = new SegmentGrid(segs);
    this.segOwner = Int32Array.from(owners);

    this.tracks = people.map(compilePerson);
    this.people = people.map((p) => ({ x: p.waypoints[0]!.x, y: p.waypoints[0]!.y, r: p.radiusM }));
    this.placePeople(0);

    robots.forEach((cfg, index) => {
      if (this.byId.has(cfg.id)) throw new Error(`duplicate robot id '${cfg.id}'`);
      const r: RobotRuntime = {
        cfg,
        index,
        rng: new Rng(deriveSeed(options.seed, `robot:${cfg.id}`)),
        lidar: new Lidar(cfg.lidar),
        drive: initialDriveState(cfg.start),
        battery: { percentage: cfg.battery.initialPercentage, onCharger: false, netPowerW: 0 },
        shape: placeFootprint(cfg.footprint, cfg.start),
        boundR: footprintRadius(cfg.footprint),
        cmd: ZERO,
        cmdAt: 0,
        estop: false,
        disabled: new Set(),
        contacts: new Set(),
        collisions: 0,
        minClearance: this.options.clearanceCapM,
        minClearanceAt: 0,
        distance: 0,
      };
      this.robots.push(r);
      this.byId.set(cfg.id, r);
    });
    // Anything already touching at t = 0 (a robot placed in a wall, a person standing on it) counts.
    for (const r of this.robots) this.updateContacts(r, new Set(), 0);
  }

  /** [s] current sim time. */
  get time(): number {
    return this.nowS;
  }

  /** Robot ids in configuration order. */
  get robotIds(): string[] {
    return this.robots.map((r) => r.cfg.id);
  }

  private robot(id: string): RobotRuntime {
    const r = this.byId.get(id);
    if (!r) throw new Error(`unknown robot id '${id}'`);
    return r;
  }

  /** Sets the commanded twist of robot `id` (held until replaced or until cmdTimeoutS passes). */
  setCommand(id: string, cmd: Twist2D): void {
    const r = this.robot(id);
    r.cmd = { linear: cmd.linear, angular: cmd.angular };
    r.cmdAt = this.nowS;
  }

  /** Presses (true) or releases (false) robot `id`'s e-stop. */
  setEstop(id: string, pressed: boolean): void {
    this.robot(id).estop = pressed;
  }

  /** Whether robot `id`'s e-stop is pressed. */
  estop(id: string): boolean {
    return this.robot(id).estop;
  }

  /** Withholds (false) or restores (true) one sensor's readings of robot `id` (sensor dropout). */
  setSensorEnabled(id: string, sensor: SensorName, enabled: boolean): void {
    const r = this.robot(id);
    if (enabled) r.disabled.delete(sensor);
    else r.disabled.add(sensor);
  }

  /** Sets robot `id`'s battery charge (0..1), e.g. a sudden battery drop. */
  setBatteryPercentage(id: string, percentage: number): void {
    this.robot(id).battery = { ...this.robot(id).battery, percentage: Math.min(1, Math.max(0, percentage)) };
  }

  /** People's current circles, in configuration order. */
  peopleCircles(): readonly Circle[] {
    return this.people;
  }

  /** Every collision so far, in order. */
  get collisions(): readonly CollisionRecord[] {
    return this.log;
  }

  /** Per-robot metrics so far. */
  metrics(): RobotMetrics[] {
    return this.robots.map((r) => ({
      robotId: r.cfg.id,
      collisions: r.collisions,
      minClearanceM: r.minClearance,
      minClearanceAtS: r.minClearanceAt,
      distanceM: r.distance,
    }));
  }

  /** Ground truth of every robot. */
  snapshot(): RobotSnapshot[] {
    return this.robots.map((r) => ({
      robotId: r.cfg.id,
      pose: { ...r.drive.pose },
      twist: { ...r.drive.twist },
      odomPose: { ...r.drive.odomPose },
      batteryPercentage: r.battery.percentage,
      estop: r.estop,
    }));
  }

  /**
   * Advances the world by one dt. `commands` (robot id → twist), when given, are set first (as with
   * setCommand); robots without one keep their last command until it times out.
   */
  step(commands?: Readonly<Record<string, Twist2D>>): StepReport {
    if (commands) for (const id of Object.keys(commands)) this.setCommand(id, commands[id]!);
    const dt = this.options.dtS;
    const t0 = this.nowS;
    this.stepIndex += 1;
    const t = this.stepIndex * dt;
    this.placePeople(t);
    const before = this.log.length;

    for (const r of this.robots) this.moveRobot(r, t0, dt);
    this.nowS = t;

    const readings: RobotReadings[] = [];
    let scene: LidarScene | undefined;
    for (const r of this.robots) {
      const out: RobotReadings = { robotId: r.cfg.id };
      let any = false;
      if (this.due(r.cfg.lidar.rateHz) && !r.disabled.has('scan')) {
        scene ??= this.lidarScene();
        out.scan = r.lidar.scan(t, composePose(r.drive.pose, r.cfg.lidar.mount), scene, r.index, r.rng);
        any = true;
      }
      if (this.due(r.cfg.odomRateHz) && !r.disabled.has('odom')) {
        out.odom = odometryReading(r.drive, t);
        any = true;
      }
      if (this.due(r.cfg.imuRateHz) && !r.disabled.has('imu')) {
        out.imu = imuReading(r.drive, t, r.cfg.noise, r.rng);
        any = true;
      }
      if (this.due(r.cfg.batteryRateHz) && !r.disabled.has('battery')) {
        out.battery = batteryReading(r.battery, r.cfg.battery, t);
        any = true;
      }
      if (any) readings.push(out);
    }
    return { t, readings, collisions: this.log.slice(before) };
  }

  /** True when a sensor at `rateHz` has a reading due at the current step (phase 0 at t = 0). */
  private due(rateHz: number): boolean {
    const dt = this.options.dtS;
    const n1 = Math.floor(this.stepIndex * dt * rateHz + 1e-9);
    const n0 = Math.floor((this.stepIndex - 1) * dt * rateHz + 1e-9);
    return n1 > n0;
  }

  private placePeople(t: number): void {
    this.tracks.forEach((track, i) => {
      const s = personAt(track, t);
      const c = this.people[i]!;
      c.x = s.x;
      c.y = s.y;
    });
  }

  private moveRobot(r: RobotRuntime, t0: number, dt: number): void {
    const cut =
      (r.estop && this.options.estopCutsDrive) || r.battery.percentage <= 0 || t0 - r.cmdAt > r.cfg.cmdTimeoutS;
    const motion = driveMotion(r.drive, cut ? ZERO : r.cmd, r.cfg.limits, dt);
    const speedBefore = Math.abs(r.drive.twist.linear);

    // Objects already touched at the start of the step do not block (the robot may move off them).
    const start = r.drive.pose;
    const already = this.overlapping(r, start);
    const at = (f: number): Pose => integrateArc(start, motion.distance * f, motion.dTheta * f);
    // Check enough poses along the step that the footprint cannot jump over a thin wall.
    const sweep = Math.max(Math.abs(motion.distance), r.boundR * Math.abs(motion.dTheta));
    const checks = Math.max(1, Math.ceil(sweep / (0.5 * r.boundR)));
    let fraction = 1;
    let blockers = new Set<string>();
    for (let k = 1; k <= checks; k++) {
      const hits = this.newOverlaps(r, k === checks ? motion.pose : at(k / checks), already);
      if (hits.size === 0) continue;
      blockers = hits;
      let lo = (k - 1) / checks;
      let hi = k / checks;
      for (let i = 0; i < BISECTION_STEPS; i++) {
        const mid = (lo + hi) / 2;
        const midHits = this.newOverlaps(r, at(mid), already);
        if (midHits.size > 0) {
          hi = mid;
          blockers = midHits;
        } else lo = mid;
      }
      fraction = lo;
      break;
    }
    r.drive = applyMotion(r.drive, motion, fraction, dt, r.cfg.noise, r.rng);
    r.shape = placeFootprint(r.cfg.footprint, r.drive.pose);
    r.distance += length(r.drive.pose.x - start.x, r.drive.pose.y - start.y);

    const docked = isDocked(
      r.drive.pose,
      r.drive.twist.linear,
      r.drive.twist.angular,
      this.map.docks,
      r.cfg.battery.dockRadiusM,
    );
    r.battery = batteryStep(
      r.battery,
      r.cfg.battery,
      { linearMps: r.drive.twist.linear, angularRadps: r.drive.twist.angular, docked },
      dt,
    );

    // The contact began somewhere inside the step; report the time it was reached.
    this.updateContacts(r, blockers, t0 + fraction * dt, speedBefore);
  }

  /** Keys of objects the shape overlaps (distance 0). */
  private overlapping(r: RobotRuntime, pose: Pose): Set<string> {
    const out = new Set<string>();
    this.forNearby(r, placeFootprint(r.cfg.footprint, pose), pose, 0, (key, d) => {
      if (d === 0) out.add(key);
    });
    return out;
  }

  private newOverlaps(r: RobotRuntime, pose: Pose, already: Set<string>): Set<string> {
    const out = new Set<string>();
    this.forNearby(r, placeFootprint(r.cfg.footprint, pose), pose, 0, (key, d) => {
      if (d === 0 && !already.has(key)) out.add(key);
    });
    return out;
  }

  /**
   * Calls `visit(key, distance, target, where)` for every object within `margin` of the shape placed
   * with its base_link origin at `centre`: static objects (min over their segments), people, other robots. Keys are
   * stable strings (`wall:<id>`), distances >= 0.
   */
  private forNearby(
    r: RobotRuntime,
    shape: PlacedShape,
    centre: Vec2,
    margin: number,
    visit: (key: string, d: number, target: CollisionTarget, where: () => Vec2) => void,
  ): void {
    // `centre` is the base_link origin the shape was placed at; boundR around it covers the shape.
    const reach = r.boundR + margin;
    const best = new Map<number, { d: number; seg: Segment }>();
    this.grid.query(centre.x - reach, centre.y - reach, centre.x + reach, centre.y + reach, (i) => {
      const seg = this.grid.segments[i]!;
      const d = shapeSegmentDistance(shape, seg);
      const owner = this.segOwner[i]!;
      const prev = best.get(owner);
      if (!prev || d < prev.d) best.set(owner, { d, seg });
    });
    // A robot wholly inside an obstacle touches none of its edges: check containment of the centre.
    this.statics.forEach((s, owner) => {
      if (!s.polygon || best.get(owner)?.d === 0) return;
      if (pointInPolygon(centre.x, centre.y, s.polygon))
        best.set(owner, { d: 0, seg: polylineSegments(s.polygon, true)[0]! });
    });
    for (const [owner, { d, seg }] of best) {
      if (d > margin) continue;
      const target = this.statics[owner]!.target;
      visit(`${target.kind}:${target.id}`, d, target, () => closestPointOnSegment(centre.x, centre.y, seg));
    }
    this.people.forEach((c, i) => {
      if (length(c.x - centre.x, c.y - centre.y) - c.r - r.boundR > margin) return;
      const d = shapeCircleDistance(shape, c);
      if (d > margin) return;
      const id = this.tracks[i]!.config.id;
      visit(`person:${id}`, d, { kind: 'person', id }, () => towards(c, centre));
    });
    for (const o of this.robots) {
      if (o === r) continue;
      const oc = o.drive.pose;
      if (length(oc.x - centre.x, oc.y - centre.y) - o.boundR - r.boundR > margin) continue;
      const d = shapeShapeDistance(shape, o.shape);
      if (d > margin) continue;
      visit(`robot:${o.cfg.id}`, d, { kind: 'robot', id: o.cfg.id }, () =>
        o.shape.kind === 'circle' ? towards(o.shape.circle, centre) : { x: oc.x, y: oc.y },
      );
    }
  }

  /** Updates clearance and contact episodes of `r` at its current pose; records new collisions. */
  private updateContacts(r: RobotRuntime, blockers: Set<string>, t: number, speed = 0): void {
    const cap = this.options.clearanceCapM;
    const release = this.options.contactReleaseM;
    let clearance = cap;
    const still = new Set<string>();
    this.forNearby(r, r.shape, r.drive.pose, Math.max(cap, release), (key, d, target, where) => {
      const inContact = d === 0 || blockers.has(key);
      // A robot stopped at contact sits a hair's breadth away: that is clearance 0.
      if (inContact) clearance = 0;
      else if (d < clearance) clearance = d;
      if (inContact && !r.contacts.has(key)) {
        const rec: CollisionRecord = {
          t,
          robotId: r.cfg.id,
          with: target,
          where: where(),
          pose: { ...r.drive.pose },
          robotSpeedMps: speed,
        };
        this.log.push(rec);
        r.collisions += 1;
      }
      if (inContact || (r.contacts.has(key) && d <= release)) still.add(key);
    });
    r.contacts = still;
    if (clearance < r.minClearance) {
      r.minClearance = clearance;
      r.minClearanceAt = t;
    }
  }

  /** Bodies the lidars see besides the walls: people and every robot's footprint, with owners. */
  private lidarScene(): LidarScene {
    const circles: Circle[] = [...this.people];
    const circleOwner: number[] = this.people.map(() => -1);
    const segments: Segment[] = [];
    const segmentOwner: number[] = [];
    for (const r of this.robots) {
      if (r.shape.kind === 'circle') {
        circles.push(r.shape.circle);
        circleOwner.push(r.index);
      } else {
        for (const e of r.shape.edges) {
          segments.push(e);
          segmentOwner.push(r.index);
        }
      }
    }
    return { grid: this.grid, circles, circleOwner, segments, segmentOwner };
  }
}

/** The point of circle `c`'s boundary facing `p`. */
function towards(c: Circle, p: Vec2): Vec2 {
  const d = length(p.x - c.x, p.y - c.y);
  if (d === 0) return { x: c.x, y: c.y };
  return { x: c.x + ((p.x - c.x) / d) * c.r, y: c.y + ((p.y - c.y) / d) * c.r };
}
