/**
 * A small kinematic world for the autonomy tests: a base that follows cmd_vel exactly (integrated on
 * the graph's clock), odometry, laser scans ray-cast against circles and wall segments, an e-stop
 * publisher, a battery that charges on the dock and people as geometry_msgs/PoseArray. It talks to the
 * nodes under test only through ROS topics, on any RosGraph.
 */
import type { RosGraph, RosNode, Publisher } from '../../nodes/core/graph/types';
import type { MessageOf } from '../../nodes/core/interfaces';
import { TOPICS } from '../../nodes/core/topics';

export interface Circle {
  x: number;
  y: number;
  r: number;
}
export interface Segment {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}
export interface Pose2 {
  x: number;
  y: number;
  yaw: number;
}

export interface WorldOptions {
  /** Start pose in the odom frame. */
  pose?: Pose2;
  /** Laser pose in base_link (matches the gate's scan_poses). */
  laser?: Pose2;
  laserFrame?: string;
  beams?: number;
  /** [rad] field of view, centred ahead. */
  fov?: number;
  rangeMin?: number;
  rangeMax?: number;
  /** [Hz] integration, odometry and scan rates. */
  physicsHz?: number;
  scanHz?: number;
  /** Publish e-stop false at this rate; 0 to leave the e-stop topic silent. */
  estopHz?: number;
  /** Battery: start fraction, drain [1/s] while away from the dock, charge [1/s] on it. */
  battery?: { start: number; drainPerSec?: number; chargePerSec?: number };
  /** Dock pose in odom: within 0.15 m the battery charges. */
  dock?: Pose2;
  namespace?: string;
  /**
   * [m/s^2] how hard the base brakes: a commanded slow-down of the linear velocity is followed at most
   * this fast (speeding up and turning follow cmd_vel at once). Default: at once (Infinity).
   */
  decel?: number;
}

const twistZero = (): MessageOf<'geometry_msgs/msg/Twist'> => ({
  linear: { x: 0, y: 0, z: 0 },
  angular: { x: 0, y: 0, z: 0 },
});

/** A kinematic robot and its surroundings, as a node on `graph`. */
export class KinematicWorld {
  readonly node: RosNode;
  pose: Pose2;
  circles: Circle[] = [];
  walls: Segment[] = [];
  /** People positions in the odom frame. */
  people: Array<{ x: number; y: number }> = [];
  /** Every cmd_vel received, newest last. */
  readonly cmds: Array<MessageOf<'geometry_msgs/msg/Twist'>> = [];
  /** Scans, odometry, e-stop heartbeat: set false to make a source silent. */
  publishScans = true;
  publishOdom = true;
  publishEstop: boolean;
  /** Largest |linear.x| commanded so far [m/s]. */
  maxSpeedSeen = 0;
  battery: number;
  charging = false;
  private cmd = twistZero();
  private readonly scanPub: Publisher<'sensor_msgs/msg/LaserScan'>;
  private readonly odomPub: Publisher<'nav_msgs/msg/Odometry'>;
  private readonly estopPub: Publisher<'std_msgs/msg/Bool'>;
  private readonly batteryPub: Publisher<'sensor_msgs/msg/BatteryState'>;
  private readonly peoplePub: Publisher<'geometry_msgs/msg/PoseArray'>;
  /** Publish the people list (PoseArray on `people`) every 0.2 s: set false to make the detector silent. */
  publishPeople = true;
  /** [rad] added to every beam's angle of the scans (a lidar whose beams fall elsewhere from one scan to the next). */
  scanAngleOffset = 0;
  /** The velocity the base really has (cmd_vel, braked at most at `decel`), in base_link. */
  readonly velocity = twistZero();
  private readonly o: Required<Omit<WorldOptions, 'dock' | 'namespace' | 'battery'>> & Pick<WorldOptions, 'dock'>;
  private readonly drain: number;
  private readonly charge: number;

  constructor(graph: RosGraph, options: WorldOptions = {}) {
    this.o = {
      pose: options.pose ?? { x: 0, y: 0, yaw: 0 },
      laser: options.laser ?? { x: 0, y: 0, yaw: 0 },
      laserFrame: options.laserFrame ?? 'laser',
      beams: options.beams ?? 360,
      fov: options.fov ?? 2 * Math.PI - (2 * Math.PI) / (options.beams ?? 360),
      rangeMin: options.rangeMin ?? 0.05,
      rangeMax: options.rangeMax ?? 12,
      physicsHz: options.physicsHz ?? 50,
      scanHz: options.scanHz ?? 10,
      estopHz: options.estopHz ?? 10,
      dock: options.dock,
      decel: options.decel ?? Number.POSITIVE_INFINITY,
    };
    this.pose = { ...this.o.pose };
    this.publishEstop = this.o.estopHz > 0;
    this.battery = options.battery?.start ?? 0.9;
    this.drain = options.battery?.drainPerSec ?? 0;
    this.charge = options.battery?.chargePerSec ?? 0.05;
    this.node = graph.createNode('kinematic_world', options.namespace ? { namespace: options.namespace } : {});
    const n = this.node;
    n.createSubscription('geometry_msgs/msg/Twist', TOPICS.cmdVel, (m) => {
      this.cmd = m;
      this.cmds.push(m);
      this.maxSpeedSeen = Math.max(this.maxSpeedSeen, Math.abs(m.linear.x));
    });
    this.scanPub = n.createPublisher('sensor_msgs/msg/LaserScan', TOPICS.scan, 'sensor_data');
    this.odomPub = n.createPublisher('nav_msgs/msg/Odometry', TOPICS.odom, 'sensor_data');
    this.estopPub = n.createPublisher('std_msgs/msg/Bool', TOPICS.estop, {
      reliability: 'reliable',
      durability: 'volatile',
      depth: 1,
    });
    this.batteryPub = n.createPublisher('sensor_msgs/msg/BatteryState', TOPICS.battery, 'sensor_data');
    this.peoplePub = n.createPublisher('geometry_msgs/msg/PoseArray', 'people', 'sensor_data');
    const dt = 1 / this.o.physicsHz;
    n.createTimer(dt, () => this.tick(dt));
    n.createTimer(1 / this.o.scanHz, () => {
      if (this.publishScans) this.scanPub.publish(this.scan());
    });
    if (this.o.estopHz > 0) {
      n.createTimer(1 / this.o.estopHz, () => {
        if (this.publishEstop) this.estopPub.publish({ data: false });
      });
    }
    n.createTimer(0.2, () => {
      this.batteryPub.publish(this.batteryMsg());
      if (this.publishPeople) this.peoplePub.publish(this.peopleMsg());
    });
  }

  /** Latest velocity the base got. */
  get lastCmd(): MessageOf<'geometry_msgs/msg/Twist'> | undefined {
    return this.cmds[this.cmds.length - 1];
  }

  /** Publishes the e-stop state once (true = asserted). */
  setEstop(asserted: boolean): void {
    this.estopPub.publish({ data: asserted });
  }

  /** Publishes one scan right now (outside the scan timer). */
  publishScanNow(): void {
    this.scanPub.publish(this.scan());
  }

  private tick(dt: number): void {
    const vel = this.velocity;
    const step = this.o.decel * dt;
    vel.linear.x = follow(vel.linear.x, this.cmd.linear.x, step);
    vel.linear.y = follow(vel.linear.y, this.cmd.linear.y, step);
    vel.angular.z = this.cmd.angular.z;
    const v = vel.linear.x;
    const vy = vel.linear.y;
    const w = vel.angular.z;
    const c = Math.cos(this.pose.yaw);
    const s = Math.sin(this.pose.yaw);
    this.pose.x += (v * c - vy * s) * dt;
    this.pose.y += (v * s + vy * c) * dt;
    this.pose.yaw = wrap(this.pose.yaw + w * dt);
    const dock = this.o.dock;
    this.charging = dock !== undefined && Math.hypot(this.pose.x - dock.x, this.pose.y - dock.y) < 0.15;
    this.battery = Math.min(1, Math.max(0, this.battery + (this.charging ? this.charge : -this.drain) * dt));
    if (this.publishOdom) this.odomPub.publish(this.odom());
  }

  private odom(): MessageOf<'nav_msgs/msg/Odometry'> {
    const stamp = this.node.now();
    return {
      header: { stamp, frame_id: 'odom' },
      child_frame_id: 'base_link',
      pose: {
        pose: {
          position: { x: this.pose.x, y: this.pose.y, z: 0 },
          orientation: { x: 0, y: 0, z: Math.sin(this.pose.yaw / 2), w: Math.cos(this.pose.yaw / 2) },
        },
        covariance: new Array(36).fill(0),
      },
      twist: {
        twist: { linear: { ...this.velocity.linear }, angular: { ...this.velocity.angular } },
        covariance: new Array(36).fill(0),
      },
    };
  }

  /** The scan the laser sees now (REP 117: -Inf below range_min, +Inf beyond range_max). */
  scan(): MessageOf<'sensor_msgs/msg/LaserScan'> {
    const { beams, fov, rangeMin, rangeMax, laser } = this.o;
    const c = Math.cos(this.pose.yaw);
    const s = Math.sin(this.pose.yaw);
    const lx = this.pose.x + laser.x * c - laser.y * s;
    const ly = this.pose.y + laser.x * s + laser.y * c;
    const a0 = -fov / 2 + this.scanAngleOffset;
    const da = beams > 1 ? fov / (beams - 1) : 0.01;
    const ranges = new Array<number>(beams);
    for (let i = 0; i < beams; i++) {
      const a = this.pose.yaw + laser.yaw + a0 + i * da;
      const t = this.raycast(lx, ly, Math.cos(a), Math.sin(a));
      ranges[i] = t < rangeMin ? Number.NEGATIVE_INFINITY : t > rangeMax ? Number.POSITIVE_INFINITY : t;
    }
    return {
      header: { stamp: this.node.now(), frame_id: this.o.laserFrame },
      angle_min: a0,
      angle_max: a0 + (beams - 1) * da,
      angle_increment: da,
      time_increment: 0,
      scan_time: 1 / this.o.scanHz,
      range_min: rangeMin,
      range_max: rangeMax,
      ranges,
      intensities: [],
    };
  }

  private raycast(ox: number, oy: number, dx: number, dy: number): number {
    let best = Number.POSITIVE_INFINITY;
    for (const k of this.circles) {
      const fx = ox - k.x;
      const fy = oy - k.y;
      const b = fx * dx + fy * dy;
      const cc = fx * fx + fy * fy - k.r * k.r;
      const disc = b * b - cc;
      if (disc < 0) continue;
      const sq = Math.sqrt(disc);
      const t = -b - sq >= 0 ? -b - sq : -b + sq >= 0 ? 0 : -1;
      if (t >= 0 && t < best) best = t;
    }
    for (const w of this.walls) {
      const ex = w.x2 - w.x1;
      const ey = w.y2 - w.y1;
      const den = dx * ey - dy * ex;
      if (Math.abs(den) < 1e-12) continue;
      const t = ((w.x1 - ox) * ey - (w.y1 - oy) * ex) / den;
      const u = ((w.x1 - ox) * dy - (w.y1 - oy) * dx) / den;
      if (t >= 0 && u >= 0 && u <= 1 && t < best) best = t;
    }
    return best;
  }

  private batteryMsg(): MessageOf<'sensor_msgs/msg/BatteryState'> {
    return {
      header: { stamp: this.node.now(), frame_id: 'base_link' },
      voltage: 24 + 4 * this.battery,
      temperature: 25,
      current: this.charging ? 5 : -2,
      charge: Number.NaN,
      capacity: Number.NaN,
      design_capacity: 40,
      percentage: this.battery,
      power_supply_status: this.charging ? 1 : 2,
      power_supply_health: 1,
      power_supply_technology: 2,
      present: true,
      cell_voltage: [],
      cell_temperature: [],
      location: 'main',
      serial_number: '',
    };
  }

  private peopleMsg(): MessageOf<'geometry_msgs/msg/PoseArray'> {
    // People are reported in base_link, as a detector on the robot would.
    const c = Math.cos(this.pose.yaw);
    const s = Math.sin(this.pose.yaw);
    return {
      header: { stamp: this.node.now(), frame_id: 'base_link' },
      poses: this.people.map((p) => {
        const dx = p.x - this.pose.x;
        const dy = p.y - this.pose.y;
        return {
          position: { x: c * dx + s * dy, y: -s * dx + c * dy, z: 0 },
          orientation: { x: 0, y: 0, z: 0, w: 1 },
        };
      }),
    };
  }
}

/** `to` at once when speeding up the same way; otherwise at most `step` closer to it. */
function follow(from: number, to: number, step: number): number {
  if (Math.abs(to) >= Math.abs(from) && Math.sign(to) * Math.sign(from) >= 0) return to;
  const d = to - from;
  return Math.abs(d) <= step ? to : from + Math.sign(d) * step;
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
