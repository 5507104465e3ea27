/**
 * The headless 2D world: walls and obstacles, robots driven by commanded twists, scripted people,
 * stepped at a fixed dt. It integrates each robot, resolves and COUNTS collisions (never hides
 * them), tracks minimum clearance and distance travelled, keeps e-stop and sensor-fault state as
 * data, and says after each step which readings are due (each lidar, odometry, IMU, battery, e-stop
 * state), as plain data for sim/messages.ts. Deterministic: the same seed and the same commands give the same
 * run; nothing here reads a clock or touches ROS or MQTT.
 *
 * Collision model: a robot moving into a wall, an obstacle, another robot or a person stops at the
 * point of contact (found by bisection along the step) and its velocity drops to zero, like a bumper
 * stop. A person walking into a robot overlaps it (people are not pushed). Either way the contact is
 * recorded once per contact episode: an episode starts when the robot is blocked by or overlaps an
 * object, and ends when it is more than `contactReleaseM` away from it again.
 */
import { KizunaError } from '../nodes/core/errors';
import {
  cellKey,
  pointSegmentDistance,
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
  segmentsIntersect,
  shapeCircleDistance,
  shapePolygonDistance,
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
import { type ClearanceByKind, type ContactKind, type SpeedNearPeople, robotCausedContact } from './contacts';
import { BodyIndex, type LaserScanData, type LidarConfig, type LidarScene, Lidar } from './lidar';
import { type PersonConfig, type PersonTrack, compilePerson, maxPersonSpeed, personAt } from './people';
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

/**
 * An obstacle: a closed polygon (solid inside). With `appearS` and/or `vanishS` it is there only from
 * `appearS` (default 0) until `vanishS` (default: the end): a thing dropped in the robot's way, a door
 * that closes, a stake knocked over.
 */
export interface ObstacleSpec {
  id: string;
  points: readonly Vec2[];
  /** [s] sim time it appears (default: there from the start). */
  appearS?: number;
  /** [s] sim time it vanishes (default: never). */
  vanishS?: number;
}

/** A timed obstacle at run time. */
interface TimedObstacle {
  id: string;
  points: readonly Vec2[];
  edges: Segment[];
  appear: number;
  vanish: number;
  active: boolean;
}

/** The static world. */
export interface WorldMap {
  walls: readonly WallSpec[];
  obstacles: readonly ObstacleSpec[];
  /** Poses where a robot charges (see BatteryConfig.dockRadiusM). */
  docks: readonly Pose[];
}

/**
 * The sensors a robot has (each can be withheld by a sensor-dropout fault). `estop` is the e-stop
 * state the robot publishes at a rate (the nodes treat a silent e-stop publisher as a fault).
 */
export const SENSORS = ['scan', 'odom', 'imu', 'battery', 'estop'] as const;
export type SensorName = (typeof SENSORS)[number];

/** A lidar on a robot: its settings, and the topic and frame_id its scans carry. */
export interface SimLidarConfig extends LidarConfig {
  topic: string;
  frame: string;
}

/** One scan due after a step: from the lidar publishing on `topic` in `frame`. */
export interface ScanReading {
  topic: string;
  frame: string;
  scan: LaserScanData;
}

/** One simulated robot (units in the names). */
export interface SimRobotConfig {
  id: string;
  /** Start pose in the map frame; also the odom frame's origin. */
  start: Pose;
  footprint: Footprint;
  limits: DriveLimits;
  noise: DriveNoise;
  /** One or more lidars, each publishing on its own topic in its own frame. */
  lidars: SimLidarConfig[];
  battery: BatteryConfig & { initialPercentage: number };
  /** [Hz] odometry, IMU and battery rates (each lidar has its own). */
  odomRateHz: number;
  imuRateHz: number;
  batteryRateHz: number;
  /** [Hz] how often the e-stop state is reported. */
  estopRateHz: number;
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
  /** [m] clearances above this are not looked for (reported as this value; default 2). */
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
  /** [rad/s] the robot's turn rate just before contact. */
  robotTurnRadps: number;
  /** The robot's own motion (driving or turning) brought it into contact (false: it was hit, or it started so). */
  movedInto: boolean;
  /** The contact is the robot's doing (rules in contacts.ts). */
  robotCaused: boolean;
}

/** The sensor readings due after a step, for one robot. */
export interface RobotReadings {
  robotId: string;
  /** Scans due now, one per lidar that is due (a 'scan' dropout withholds all of them). */
  scans?: ScanReading[];
  odom?: OdometryData;
  imu?: ImuData;
  battery?: BatteryData;
  /** The e-stop state (true = pressed), when its report is due. */
  estop?: boolean;
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
  /** Commands refused for a non-finite component (the base stopped instead). */
  invalidCommands: number;
  /** Contacts the robot caused (rules in contacts.ts). */
  robotCausedContacts: number;
  /** [m] minimum clearance per kind of object, capped at clearanceCapM. */
  minClearanceByKindM: ClearanceByKind;
  /** [m/s] highest speed with a person near the footprint. */
  speedNearPeopleMps: SpeedNearPeople;
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
  lidars: Lidar[];
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
  /** Keys of walls and obstacles the footprint overlapped at the end of the last step. */
  staticOverlaps: Set<string>;
  collisions: number;
  minClearance: number;
  minClearanceAt: number;
  /** Per kind (CONTACT_KINDS order). */
  minByKind: Float64Array;
  robotCaused: number;
  maxSpeedNear1: number;
  maxSpeedNear2: number;
  distance: number;
  invalidCommands: number;
  /** [m] the clearance at the last measurement, or a lower bound on it carried forward since. */
  lastClearance: number;
  /** Sensor phase, a fraction of each period (see due()). */
  phase: number;
}

const BISECTION_STEPS = 24;
/** forNearby masks and kinds. */
const STATIC = 1;
const DYNAMIC = 2;
const STATIC_KIND = 0;
const PERSON_KIND = 1;
const ROBOT_KIND = 2;
const TIMED_KIND = 3;
/** [m] cell size of the robot–robot broad phase. */
const ROBOT_CELL_M = 4;
const ZERO: Twist2D = { linear: 0, angular: 0 };
const KIND_INDEX: Record<ContactKind, number> = { wall: 0, obstacle: 1, person: 2, robot: 3 };

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
  private readonly timed: TimedObstacle[] = [];
  /** Per person: own script clock [s], sideways offset [m] and side (±1, 0 = none) for reactions. */
  private readonly reactions: Array<{ clock: number; offset: number; side: number }>;
  private readonly timedKeys: string[] = [];
  private stepIndex = 0;
  private nowS = 0;
  // Broad-phase scratch: per static object, the best distance and segment of the current query.
  private readonly ownerBest: Float64Array;
  private readonly ownerSeg: Int32Array;
  private readonly ownerStamp: Uint32Array;
  private ownerEpoch = 0;
  private readonly touched: number[] = [];
  private readonly staticKeys: string[];
  private readonly robotKeys: string[] = [];
  private readonly personKeys: string[];
  private readonly robotCells = new Map<number, number[]>();
  private maxBoundR = 0;
  private maxStepM = 0;
  /** [m] farthest any point of a person or another robot can move in one step. */
  private maxDynamicStepM = 0;

  constructor(
    map: WorldMap,
    robots: readonly SimRobotConfig[],
    people: readonly PersonConfig[],
    options: WorldOptions,
  ) {
    this.options = { estopCutsDrive: false, contactReleaseM: 0.01, clearanceCapM: 2, ...options };
    for (const k of ['dtS', 'contactReleaseM', 'clearanceCapM'] as const) {
      const v = this.options[k];
      if (!Number.isFinite(v) || v <= 0) {
        throw new KizunaError('KZ_ERR_SIM_INVALID', `world option ${k} must be a finite number > 0, got ${v}`, {
          entity: k,
        });
      }
    }
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
      if (o.appearS !== undefined || o.vanishS !== undefined) {
        this.timed.push({
          id: o.id,
          points: o.points,
          edges: polylineSegments(o.points, true),
          appear: o.appearS ?? 0,
          vanish: o.vanishS ?? Infinity,
          active: false,
        });
        this.timedKeys.push(`obstacle:${o.id}`);
        continue;
      }
      const idx = this.statics.push({ target: { kind: 'obstacle', id: o.id }, polygon: o.points }) - 1;
      for (const s of polylineSegments(o.points, true)) {
        segs.push(s);
        owners.push(idx);
      }
    }
    this.grid = new SegmentGrid(segs);
    this.segOwner = Int32Array.from(owners);
    this.ownerBest = new Float64Array(this.statics.length);
    this.ownerSeg = new Int32Array(this.statics.length);
    this.ownerStamp = new Uint32Array(this.statics.length);
    this.staticKeys = this.statics.map((s) => `${s.target.kind}:${s.target.id}`);

    this.tracks = people.map(compilePerson);
    this.reactions = people.map(() => ({ clock: 0, offset: 0, side: 0 }));
    this.personKeys = people.map((p) => `person:${p.id}`);
    this.people = people.map((p) => ({ x: p.waypoints[0]!.x, y: p.waypoints[0]!.y, r: p.radiusM }));
    this.placePeople(0);
    this.placeTimed(0);

    robots.forEach((cfg, index) => {
      if (this.byId.has(cfg.id)) {
        throw new KizunaError('KZ_ERR_SIM_INVALID', `duplicate robot id '${cfg.id}'`, { entity: cfg.id });
      }
      const r: RobotRuntime = {
        cfg,
        index,
        rng: new Rng(deriveSeed(options.seed, `robot:${cfg.id}`)),
        lidars: cfg.lidars.map((l) => new Lidar(l)),
        drive: initialDriveState(cfg.start),
        battery: { percentage: cfg.battery.initialPercentage, onCharger: false, netPowerW: 0 },
        shape: placeFootprint(cfg.footprint, cfg.start),
        boundR: footprintRadius(cfg.footprint),
        cmd: ZERO,
        cmdAt: 0,
        estop: false,
        disabled: new Set(),
        contacts: new Set(),
        staticOverlaps: new Set(),
        collisions: 0,
        minClearance: this.options.clearanceCapM,
        minClearanceAt: 0,
        minByKind: new Float64Array(4).fill(this.options.clearanceCapM),
        robotCaused: 0,
        maxSpeedNear1: 0,
        maxSpeedNear2: 0,
        distance: 0,
        invalidCommands: 0,
        lastClearance: 0,
        // Golden-ratio steps spread any number of robots evenly over the period.
        phase: (index * 0.6180339887498949) % 1,
      };
      this.robots.push(r);
      this.byId.set(cfg.id, r);
      this.robotKeys.push(`robot:${cfg.id}`);
      this.maxBoundR = Math.max(this.maxBoundR, r.boundR);
      this.maxStepM = Math.max(
        this.maxStepM,
        cfg.limits.maxLinearMps * options.dtS,
        cfg.limits.maxReverseMps * options.dtS,
      );
    });
    // A person stepping aside moves sideways at walking speed while walking on: at most √2 × as fast.
    const personSpeed = Math.max(0, ...people.map((p) => maxPersonSpeed(p) * (p.react ? Math.SQRT2 : 1)));
    const robotSpeed = Math.max(
      0,
      ...robots.map(
        (c) => Math.max(c.limits.maxLinearMps, c.limits.maxReverseMps) + this.maxBoundR * c.limits.maxAngularRadps,
      ),
    );
    this.maxDynamicStepM = Math.max(personSpeed, robotSpeed) * options.dtS;
    this.hashRobots();
    // Anything already touching at t = 0 (a robot placed in a wall, a person standing on it) counts.
    for (const r of this.robots) this.updateContacts(r, new Set(), 0, 0, 0, true);
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
    if (!r) throw new KizunaError('KZ_ERR_SIM_INVALID', `unknown robot id '${id}'`, { entity: id });
    return r;
  }

  /**
   * Sets the commanded twist of robot `id` (held until replaced or until cmdTimeoutS passes). A
   * command with a non-finite component is refused like Nav2 refuses it: the base stops, and the
   * refusal is counted in the robot's metrics (`invalidCommands`) rather than hidden.
   */
  setCommand(id: string, cmd: Twist2D): void {
    const r = this.robot(id);
    if (Number.isFinite(cmd.linear) && Number.isFinite(cmd.angular))
      r.cmd = { linear: cmd.linear, angular: cmd.angular };
    else {
      r.cmd = ZERO;
      r.invalidCommands += 1;
    }
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

  /** Whether robot `id`'s `sensor` reports (false while it is dropped out). */
  sensorEnabled(id: string, sensor: SensorName): boolean {
    return !this.robot(id).disabled.has(sensor);
  }

  /** Sets robot `id`'s battery charge (0..1, clamped), e.g. a sudden battery drop. */
  setBatteryPercentage(id: string, percentage: number): void {
    const r = this.robot(id);
    if (!Number.isFinite(percentage)) {
      throw new KizunaError('KZ_ERR_SIM_INVALID', `battery percentage must be a finite number, got ${percentage}`, {
        entity: id,
      });
    }
    r.battery = { ...r.battery, percentage: Math.min(1, Math.max(0, percentage)) };
  }

  /** People's current circles, in configuration order. */
  peopleCircles(): readonly Circle[] {
    return this.people;
  }

  /**
   * The people robot `id` can see: those whose centre is within `rangeM` of base_link with no wall
   * or obstacle edge on the straight line to it (ground truth for a people detector), as positions
   * [m] in base_link, nearest first.
   */
  peopleSeenBy(id: string, rangeM: number): Vec2[] {
    const pose = this.robot(id).drive.pose;
    const c = Math.cos(pose.yaw);
    const sn = Math.sin(pose.yaw);
    const seen: Array<{ d: number; p: Vec2 }> = [];
    for (const person of this.people) {
      const dx = person.x - pose.x;
      const dy = person.y - pose.y;
      const d = length(dx, dy);
      if (d > rangeM) continue;
      const sight = { ax: pose.x, ay: pose.y, bx: person.x, by: person.y };
      let blocked = false;
      const segs = this.grid.segments;
      this.grid.query(
        Math.min(pose.x, person.x),
        Math.min(pose.y, person.y),
        Math.max(pose.x, person.x),
        Math.max(pose.y, person.y),
        (i) => {
          if (!blocked && segmentsIntersect(sight, segs[i]!)) blocked = true;
        },
      );
      if (!blocked) seen.push({ d, p: { x: c * dx + sn * dy, y: -sn * dx + c * dy } });
    }
    return seen.sort((a, b) => a.d - b.d).map((x) => x.p);
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
      invalidCommands: r.invalidCommands,
      robotCausedContacts: r.robotCaused,
      minClearanceByKindM: {
        wall: r.minByKind[0]!,
        obstacle: r.minByKind[1]!,
        person: r.minByKind[2]!,
        robot: r.minByKind[3]!,
      },
      speedNearPeopleMps: { within1m: r.maxSpeedNear1, within2m: r.maxSpeedNear2 },
    }));
  }

  /** Ground truth of every robot. */
  snapshot(): RobotSnapshot[] {
    return this.robots.map(snapshotOf);
  }

  /** Ground truth of robot `id` (undefined when there is none). */
  snapshotOf(id: string): RobotSnapshot | undefined {
    const r = this.byId.get(id);
    return r ? snapshotOf(r) : undefined;
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
    this.placePeople(t, dt);
    this.placeTimed(t);
    const before = this.log.length;

    this.hashRobots();
    for (const r of this.robots) this.moveRobot(r, t0, dt);
    this.nowS = t;

    const readings: RobotReadings[] = [];
    let scene: LidarScene | undefined;
    for (const r of this.robots) {
      const out: RobotReadings = { robotId: r.cfg.id };
      let any = false;
      if (!r.disabled.has('scan')) {
        r.cfg.lidars.forEach((cfg, k) => {
          if (!this.due(cfg.rateHz, r.phase)) return;
          scene ??= this.lidarScene();
          const scan = r.lidars[k]!.scan(t, composePose(r.drive.pose, cfg.mount), scene, r.index, r.rng);
          (out.scans ??= []).push({ topic: cfg.topic, frame: cfg.frame, scan });
          any = true;
        });
      }
      if (this.due(r.cfg.odomRateHz, r.phase) && !r.disabled.has('odom')) {
        out.odom = odometryReading(r.drive, t);
        any = true;
      }
      if (this.due(r.cfg.imuRateHz, r.phase) && !r.disabled.has('imu')) {
        out.imu = imuReading(r.drive, t, r.cfg.noise, r.rng);
        any = true;
      }
      if (this.due(r.cfg.estopRateHz, r.phase) && !r.disabled.has('estop')) {
        out.estop = r.estop;
        any = true;
      }
      if (this.due(r.cfg.batteryRateHz, r.phase) && !r.disabled.has('battery')) {
        out.battery = batteryReading(r.battery, r.cfg.battery, t);
        any = true;
      }
      if (any) readings.push(out);
    }
    return { t, readings, collisions: this.log.slice(before) };
  }

  /** True when a sensor at `rateHz` has a reading due at the current step (phase 0 at t = 0). */
  /**
   * True when a sensor at `rateHz` has a reading due at the current step. `phase` (0..1, a fraction
   * of the period) staggers robots so that their sensors do not all fire on the same steps, as real
   * robots' do not; robot 0 has phase 0.
   */
  private due(rateHz: number, phase: number): boolean {
    const dt = this.options.dtS;
    const n1 = Math.floor(this.stepIndex * dt * rateHz + phase + 1e-9);
    const n0 = Math.floor((this.stepIndex - 1) * dt * rateHz + phase + 1e-9);
    return n1 > n0;
  }

  /**
   * Shows and hides timed obstacles at sim time `t`. One that appears can be anywhere, so every
   * robot's clearance bound is dropped and measured again (conservative advancement assumes that
   * nothing appears from nowhere).
   */
  private placeTimed(t: number): void {
    for (const o of this.timed) {
      const active = t + 1e-9 >= o.appear && t + 1e-9 < o.vanish;
      if (active && !o.active) for (const r of this.robots) r.lastClearance = 0;
      o.active = active;
    }
  }

  /** Ids of the timed obstacles present now. */
  activeTimedObstacles(): string[] {
    return this.timed.filter((o) => o.active).map((o) => o.id);
  }

  /**
   * Places people at sim time `t` (`dt` after the last placement). A person without a reaction is
   * where the script says at `t`. One with `react` keeps a script clock of their own: `stop` holds it
   * (the person stands) while a robot's footprint is within `withinM`; `step_aside` keeps walking and
   * moves sideways, away from that robot, by up to `asideM` at walking speed, and back once it is gone.
   */
  private placePeople(t: number, dt = 0): void {
    this.tracks.forEach((track, i) => {
      const c = this.people[i]!;
      const react = track.config.react;
      if (!react) {
        const s = personAt(track, t);
        c.x = s.x;
        c.y = s.y;
        return;
      }
      const st = this.reactions[i]!;
      const near = this.nearestRobot(c, react.withinM);
      if (!(near && react.action === 'stop')) st.clock += dt;
      const s = personAt(track, st.clock);
      if (react.action === 'step_aside') {
        const nx = -Math.sin(s.heading);
        const ny = Math.cos(s.heading);
        let target = 0;
        if (near) {
          if (st.side === 0) st.side = nx * (near.x - c.x) + ny * (near.y - c.y) > 0 ? -1 : 1;
          target = st.side * react.asideM;
        }
        const v = track.config.speedMps * dt;
        st.offset += Math.max(-v, Math.min(v, target - st.offset));
        if (st.offset === 0 && !near) st.side = 0;
        c.x = s.x + nx * st.offset;
        c.y = s.y + ny * st.offset;
      } else {
        c.x = s.x;
        c.y = s.y;
      }
    });
  }

  /** The centre of the nearest robot whose footprint (bounding circle) is within `withinM` of circle `c`. */
  private nearestRobot(c: Circle, withinM: number): Vec2 | undefined {
    let best: Vec2 | undefined;
    let bestD = withinM;
    for (const r of this.robots) {
      const p = r.drive.pose;
      const d = length(p.x - c.x, p.y - c.y) - r.boundR - c.r;
      if (d <= bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  }

  private moveRobot(r: RobotRuntime, t0: number, dt: number): void {
    const cut =
      (r.estop && this.options.estopCutsDrive) || r.battery.percentage <= 0 || t0 - r.cmdAt > r.cfg.cmdTimeoutS;
    const motion = driveMotion(r.drive, cut ? ZERO : r.cmd, r.cfg.limits, dt);
    const speedBefore = Math.abs(r.drive.twist.linear);
    const turnBefore = r.drive.twist.angular;

    const start = r.drive.pose;
    // Conservative advancement: no point of the footprint moves farther than `reach` during the
    // step, and nothing else farther than maxDynamicStepM since the last clearance was measured, so
    // while the last clearance exceeds both, nothing can be touched and the checks are skipped.
    const reach = Math.abs(motion.distance) + r.boundR * Math.abs(motion.dTheta);
    const free = r.lastClearance - this.maxDynamicStepM - reach > 0;
    // Objects already touched at the start of the step do not block (the robot may move off them).
    const already = free ? new Set<string>() : this.overlapping(r, r.shape, start, DYNAMIC);
    for (const key of r.staticOverlaps) already.add(key);
    const at = (f: number): Pose => integrateArc(start, motion.distance * f, motion.dTheta * f);
    // Check enough poses along the step that the footprint cannot jump over a thin wall.
    const sweep = Math.max(Math.abs(motion.distance), r.boundR * Math.abs(motion.dTheta));
    const checks = free ? 0 : Math.max(1, Math.ceil(sweep / (0.5 * r.boundR)));
    let fraction = 1;
    let blockers = new Set<string>();
    const endShape = placeFootprint(r.cfg.footprint, motion.pose);
    for (let k = 1; k <= checks; k++) {
      const pose = k === checks ? motion.pose : at(k / checks);
      const shape = k === checks ? endShape : placeFootprint(r.cfg.footprint, pose);
      const hits = this.newOverlaps(r, shape, pose, already);
      if (hits.size === 0) continue;
      blockers = hits;
      let lo = (k - 1) / checks;
      let hi = k / checks;
      for (let i = 0; i < BISECTION_STEPS; i++) {
        const mid = (lo + hi) / 2;
        const midPose = at(mid);
        const midHits = this.newOverlaps(r, placeFootprint(r.cfg.footprint, midPose), midPose, already);
        if (midHits.size > 0) {
          hi = mid;
          blockers = midHits;
        } else lo = mid;
      }
      fraction = lo;
      break;
    }
    r.drive = applyMotion(r.drive, motion, fraction, dt, r.cfg.noise, r.rng);
    r.shape = fraction === 1 ? endShape : placeFootprint(r.cfg.footprint, r.drive.pose);
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

    // A lower bound on the clearance now. When it can be neither a contact nor a new minimum, the
    // exact search is skipped and the bound carried forward; otherwise the clearance is measured.
    const bound = r.lastClearance - this.maxDynamicStepM - fraction * reach;
    const release = this.options.contactReleaseM;
    if (blockers.size === 0 && r.contacts.size === 0 && bound > release && bound > this.skipAbove(r)) {
      r.lastClearance = bound;
      r.staticOverlaps.clear();
      return;
    }
    // The contact began somewhere inside the step; report the time it was reached.
    this.updateContacts(r, blockers, t0 + fraction * dt, speedBefore, turnBefore);
  }

  /**
   * [m] a lower bound on the clearance above which measuring it exactly can change no metric: no
   * per-kind minimum can fall, and (with people in the world) no person can be within 2 m (speed near
   * people).
   */
  private skipAbove(r: RobotRuntime): number {
    if (this.people.length > 0) return Math.max(this.options.clearanceCapM, 2);
    let m = r.minClearance;
    if (this.map.walls.length > 0) m = Math.max(m, r.minByKind[0]!);
    if (this.statics.length > this.map.walls.length || this.timed.length > 0) m = Math.max(m, r.minByKind[1]!);
    if (this.robots.length > 1) m = Math.max(m, r.minByKind[3]!);
    return m;
  }

  /** Keys of objects (of the kinds in `mask`) that the footprint at `pose` overlaps (distance 0). */
  private overlapping(r: RobotRuntime, shape: PlacedShape, pose: Pose, mask: number): Set<string> {
    const out = new Set<string>();
    this.forNearby(
      r,
      shape,
      pose,
      0,
      (key, d) => {
        if (d === 0) out.add(key);
      },
      mask,
    );
    return out;
  }

  private newOverlaps(r: RobotRuntime, shape: PlacedShape, pose: Pose, already: Set<string>): Set<string> {
    const out = new Set<string>();
    this.forNearby(r, shape, pose, 0, (key, d) => {
      if (d === 0 && !already.has(key)) out.add(key);
    });
    return out;
  }

  /**
   * Calls `visit(key, distance, target, where)` for every object within `margin` of the shape placed
   * with its base_link origin at `centre`: static objects (min over their segments), people, other
   * robots. Keys are stable strings (`wall:<id>`), distances >= 0. `containment` also finds a robot
   * wholly inside an obstacle (touching none of its edges); that can only be so at the start, since
   * motion stops at contact, so it is checked only then.
   */
  private forNearby(
    r: RobotRuntime,
    shape: PlacedShape,
    centre: Vec2,
    margin: number,
    visit: (key: string, d: number, kind: number, index: number) => void,
    mask = STATIC | DYNAMIC,
    containment = false,
    floor = Infinity,
  ): void {
    // `centre` is the base_link origin the shape was placed at; boundR around it covers the shape.
    const reach = r.boundR + margin;
    // With a finite floor, the margin shrinks to max(floor, nearest distance so far): objects farther
    // than that can be neither the nearest nor within the floor, so their exact distance is skipped.
    const shrink = floor < margin;
    const epoch = (this.ownerEpoch = (this.ownerEpoch + 1) >>> 0);
    const touched = this.touched;
    touched.length = 0;
    const segs = this.grid.segments;
    if (mask & STATIC)
      this.grid.query(centre.x - reach, centre.y - reach, centre.x + reach, centre.y + reach, (i) => {
        const seg = segs[i]!;
        // Cheap cull on the bounding circle before the footprint's exact distance.
        if (pointSegmentDistance(centre.x, centre.y, seg) - r.boundR > margin) return;
        const d = shapeSegmentDistance(shape, seg);
        if (shrink && d < margin) margin = Math.max(floor, d);
        const owner = this.segOwner[i]!;
        if (this.ownerStamp[owner] !== epoch) {
          this.ownerStamp[owner] = epoch;
          this.ownerBest[owner] = d;
          this.ownerSeg[owner] = i;
          touched.push(owner);
        } else if (d < this.ownerBest[owner]!) {
          this.ownerBest[owner] = d;
          this.ownerSeg[owner] = i;
        }
      });
    if (containment) {
      this.statics.forEach((s, owner) => {
        if (!s.polygon || !pointInPolygon(centre.x, centre.y, s.polygon)) return;
        if (this.ownerStamp[owner] !== epoch) {
          this.ownerStamp[owner] = epoch;
          this.ownerSeg[owner] = this.segOwner.indexOf(owner);
          touched.push(owner);
        }
        this.ownerBest[owner] = 0;
      });
    }
    for (const owner of touched) {
      const d = this.ownerBest[owner]!;
      if (d <= margin) visit(this.staticKeys[owner]!, d, STATIC_KIND, owner);
    }
    if (!(mask & DYNAMIC)) return;
    for (let i = 0; i < this.timed.length; i++) {
      const o = this.timed[i]!;
      if (!o.active) continue;
      const d = shapePolygonDistance(shape, o.points, o.edges);
      if (d <= margin) visit(this.timedKeys[i]!, d, TIMED_KIND, i);
    }
    for (let i = 0; i < this.people.length; i++) {
      const c = this.people[i]!;
      if (length(c.x - centre.x, c.y - centre.y) - c.r - r.boundR > margin) continue;
      const d = shapeCircleDistance(shape, c);
      if (shrink && d < margin) margin = Math.max(floor, d);
      if (d <= margin) visit(this.personKeys[i]!, d, PERSON_KIND, i);
    }
    // Other robots through the hash built at the start of the step; they may since have moved by up
    // to one step, so the query reaches that much further.
    const rr = reach + this.maxBoundR + this.maxStepM;
    const x0 = Math.floor((centre.x - rr) / ROBOT_CELL_M);
    const x1 = Math.floor((centre.x + rr) / ROBOT_CELL_M);
    const y0 = Math.floor((centre.y - rr) / ROBOT_CELL_M);
    const y1 = Math.floor((centre.y + rr) / ROBOT_CELL_M);
    for (let gx = x0; gx <= x1; gx++) {
      for (let gy = y0; gy <= y1; gy++) {
        const list = this.robotCells.get(cellKey(gx, gy));
        if (!list) continue;
        for (const j of list) {
          const o = this.robots[j]!;
          if (o === r) continue;
          const oc = o.drive.pose;
          if (length(oc.x - centre.x, oc.y - centre.y) - o.boundR - r.boundR > margin) continue;
          const d = shapeShapeDistance(shape, o.shape);
          if (shrink && d < margin) margin = Math.max(floor, d);
          if (d <= margin) visit(this.robotKeys[j]!, d, ROBOT_KIND, j);
        }
      }
    }
  }

  /** What a (kind, index) pair from forNearby is. */
  private targetOf(kind: number, index: number): CollisionTarget {
    if (kind === STATIC_KIND) return this.statics[index]!.target;
    if (kind === PERSON_KIND) return { kind: 'person', id: this.tracks[index]!.config.id };
    if (kind === TIMED_KIND) return { kind: 'obstacle', id: this.timed[index]!.id };
    return { kind: 'robot', id: this.robots[index]!.cfg.id };
  }

  /** The point of object (kind, index) nearest to `centre` (a point on its boundary). */
  private whereOf(kind: number, index: number, centre: Vec2): Vec2 {
    if (kind === STATIC_KIND) {
      // The owner's nearest segment was found by the forNearby call that reported it.
      return closestPointOnSegment(centre.x, centre.y, this.grid.segments[this.ownerSeg[index]!]!);
    }
    if (kind === PERSON_KIND) return towards(this.people[index]!, centre);
    if (kind === TIMED_KIND) {
      let best = centre;
      let bestD = Infinity;
      for (const e of this.timed[index]!.edges) {
        const p = closestPointOnSegment(centre.x, centre.y, e);
        const d = length(p.x - centre.x, p.y - centre.y);
        if (d < bestD) {
          bestD = d;
          best = p;
        }
      }
      return best;
    }
    const o = this.robots[index]!;
    if (o.shape.kind === 'circle') return towards(o.shape.circle, centre);
    let best = { x: o.drive.pose.x, y: o.drive.pose.y };
    let bestD = Infinity;
    for (const e of o.shape.edges) {
      const p = closestPointOnSegment(centre.x, centre.y, e);
      const d = length(p.x - centre.x, p.y - centre.y);
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  }

  /** Buckets robots by position (cells of ROBOT_CELL_M) for the robot–robot broad phase. */
  private hashRobots(): void {
    this.robotCells.clear();
    this.robots.forEach((r, j) => {
      const k = cellKey(Math.floor(r.drive.pose.x / ROBOT_CELL_M), Math.floor(r.drive.pose.y / ROBOT_CELL_M));
      let list = this.robotCells.get(k);
      if (!list) this.robotCells.set(k, (list = []));
      list.push(j);
    });
  }

  /** Updates clearance and contact episodes of `r` at its current pose; records new collisions. */
  private updateContacts(
    r: RobotRuntime,
    blockers: Set<string>,
    t: number,
    speed = 0,
    turn = 0,
    containment = false,
  ): void {
    const cap = this.options.clearanceCapM;
    const release = this.options.contactReleaseM;
    let clearance = cap;
    let personD = Infinity;
    const byKind = r.minByKind;
    const still = new Set<string>();
    const centre = r.drive.pose;
    r.staticOverlaps.clear();
    this.forNearby(
      r,
      r.shape,
      centre,
      Math.max(cap, release),
      (key, d, kind, index) => {
        if (d === 0 && kind === STATIC_KIND) r.staticOverlaps.add(key);
        const inContact = d === 0 || blockers.has(key);
        // A robot stopped at contact sits a hair's breadth away: that is clearance 0.
        const dd = inContact ? 0 : d;
        if (dd < clearance) clearance = dd;
        const target = this.targetOf(kind, index);
        const k = KIND_INDEX[target.kind];
        if (dd < byKind[k]!) byKind[k] = dd;
        if (kind === PERSON_KIND && dd < personD) personD = dd;
        if (inContact && !r.contacts.has(key)) {
          const movedInto = blockers.has(key);
          const robotCaused = robotCausedContact(target.kind, movedInto, speed, turn);
          this.log.push({
            t,
            robotId: r.cfg.id,
            with: target,
            where: this.whereOf(kind, index, centre),
            pose: { ...r.drive.pose },
            robotSpeedMps: speed,
            robotTurnRadps: turn,
            movedInto,
            robotCaused,
          });
          r.collisions += 1;
          if (robotCaused) r.robotCaused += 1;
        }
        if (inContact || (r.contacts.has(key) && d <= release)) still.add(key);
      },
      STATIC | DYNAMIC,
      containment,
      release,
    );
    r.contacts = still;
    r.lastClearance = clearance;
    const v = Math.abs(r.drive.twist.linear);
    if (personD <= 1 && v > r.maxSpeedNear1) r.maxSpeedNear1 = v;
    if (personD <= 2 && v > r.maxSpeedNear2) r.maxSpeedNear2 = v;
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
    for (const o of this.timed) {
      if (!o.active) continue;
      for (const e of o.edges) {
        segments.push(e);
        segmentOwner.push(-1);
      }
    }
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
    return { grid: this.grid, circles, circleOwner, segments, segmentOwner, bodies: new BodyIndex(circles, segments) };
  }
}

/** The point of circle `c`'s boundary facing `p`. */
function towards(c: Circle, p: Vec2): Vec2 {
  const d = length(p.x - c.x, p.y - c.y);
  if (d === 0) return { x: c.x, y: c.y };
  return { x: c.x + ((p.x - c.x) / d) * c.r, y: c.y + ((p.y - c.y) / d) * c.r };
}

function snapshotOf(r: RobotRuntime): RobotSnapshot {
  return {
    robotId: r.cfg.id,
    pose: { ...r.drive.pose },
    twist: { ...r.drive.twist },
    odomPose: { ...r.drive.odomPose },
    batteryPercentage: r.battery.percentage,
    estop: r.estop,
  };
}
