/**
 * Sensor corruption as data, between the World's readings and the robot's topics: what a failing
 * driver or a dirty sensor really sends. Per robot, faults are switched on and off by the scenario's
 * `sensor_fault`, `sensor_dropout` (one lidar of several, or the people detector) and `sensor_restore`
 * faults, and `odom_jump` moves the odometry estimate. Modes:
 *
 * - `freeze`: the same data again and again with fresh stamps (a stuck driver);
 * - `delay`: every message arrives `delayS` late, with its original stamp;
 * - `nan` / `inf`: a share of the values is NaN / +Inf (scan ranges; odometry position; IMU rates;
 *   battery charge);
 * - `wrong_length`: scans whose `ranges` does not match their angles (`length` values);
 * - `sector`: a lidar blocked in an angular sector (laser frame): those beams read `rangeM` (a short
 *   range: dirt, a hand) or +Inf (nothing: a sector that no longer returns);
 * - `drop`: nothing at all (one lidar of several, the people detector).
 *
 * Pure: time comes in as an argument, nothing is random, messages are copied before they are changed.
 */
import type { MessageOf } from '../nodes/core/interfaces';

/** The sensors a fault can target (one lidar by its topic). */
export const FAULT_SENSORS = ['scan', 'odom', 'imu', 'battery', 'estop', 'people'] as const;
export type FaultSensor = (typeof FAULT_SENSORS)[number];

export const SENSOR_FAULT_MODES = ['freeze', 'delay', 'nan', 'inf', 'wrong_length', 'sector'] as const;
export type SensorFaultMode = (typeof SENSOR_FAULT_MODES)[number] | 'drop';

/** One active fault. */
export interface SensorFaultSpec {
  sensor: FaultSensor;
  /** Only this lidar (its topic); all the robot's lidars when absent. */
  lidar?: string;
  mode: SensorFaultMode;
  /** [s] for `delay`. */
  delayS?: number;
  /** Share of values made NaN / Inf, 0..1 (default 1: all). */
  fraction?: number;
  /** Number of ranges in a `wrong_length` scan (default: half the beams). */
  length?: number;
  /** [rad] the blocked sector, laser frame, for `sector`. */
  fromRad?: number;
  toRad?: number;
  /** [m] what a blocked beam reads (default: +Inf, no return). */
  rangeM?: number;
}

type Msg = MessageOf<
  | 'sensor_msgs/msg/LaserScan'
  | 'nav_msgs/msg/Odometry'
  | 'sensor_msgs/msg/Imu'
  | 'sensor_msgs/msg/BatteryState'
  | 'std_msgs/msg/Bool'
  | 'geometry_msgs/msg/PoseArray'
>;

interface Active {
  spec: SensorFaultSpec;
  /** freeze: the message frozen, per topic. */
  frozen: Map<string, Msg>;
}

/** One robot's sensor faults. */
export class SensorFaults {
  private active: Active[] = [];
  private readonly queue: Array<{ at: number; topic: string; msg: Msg }> = [];
  /** [m, m, rad] accumulated odometry jump. */
  readonly odomJump = { x: 0, y: 0, yaw: 0 };

  /** Switches a fault on (it adds to the ones already on). */
  add(spec: SensorFaultSpec): void {
    this.active.push({ spec, frozen: new Map() });
  }

  /** Switches every fault of `sensor` (of one lidar when given) off; delayed messages still arrive. */
  restore(sensor: FaultSensor, lidar?: string): void {
    this.active = this.active.filter(
      (a) => !(a.spec.sensor === sensor && (lidar === undefined || a.spec.lidar === lidar)),
    );
  }

  /** Adds a jump to the odometry estimate (the robot thinks it is elsewhere from now on). */
  jump(dx: number, dy: number, dyaw: number): void {
    this.odomJump.x += dx;
    this.odomJump.y += dy;
    this.odomJump.yaw += dyaw;
  }

  /** True when some fault is on. */
  get any(): boolean {
    return this.active.length > 0 || this.queue.length > 0;
  }

  /**
   * What to publish on `topic` now for the `sensor` message `msg` made at sim time `t` [s]: nothing
   * (dropped, delayed), the message as it is, or a corrupted copy.
   */
  pass<M extends Msg>(sensor: FaultSensor, topic: string, msg: M, t: number): M | undefined {
    let out: M = msg;
    for (const a of this.active) {
      const s = a.spec;
      if (s.sensor !== sensor || (s.lidar !== undefined && s.lidar !== topic)) continue;
      switch (s.mode) {
        case 'drop':
          return undefined;
        case 'freeze': {
          const f = a.frozen.get(topic);
          if (!f) a.frozen.set(topic, structuredClone(out));
          else out = withStamp(structuredClone(f) as M, out);
          break;
        }
        case 'delay':
          this.queue.push({ at: t + (s.delayS ?? 0), topic, msg: out });
          return undefined;
        default:
          out = corrupt(structuredClone(out), s);
      }
    }
    return out;
  }

  /** Delayed messages due at sim time `t` [s], in order, each with its topic. */
  due(t: number): Array<{ topic: string; msg: Msg }> {
    const out: Array<{ topic: string; msg: Msg }> = [];
    for (let i = 0; i < this.queue.length;) {
      const q = this.queue[i]!;
      if (q.at <= t + 1e-9) {
        out.push({ topic: q.topic, msg: q.msg });
        this.queue.splice(i, 1);
      } else i++;
    }
    return out;
  }
}

/** `frozen` with the header stamp of `fresh` (messages without a header are returned as they are). */
function withStamp<M extends Msg>(frozen: M, fresh: M): M {
  if ('header' in frozen && 'header' in fresh) frozen.header.stamp = { ...fresh.header.stamp };
  return frozen;
}

/** Every k-th index for a share `fraction` of `n` values (deterministic; all for 1). */
function pick(n: number, fraction = 1): number[] {
  if (fraction <= 0) return [];
  const step = Math.max(1, Math.round(1 / fraction));
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}

function corrupt<M extends Msg>(m: M, s: SensorFaultSpec): M {
  const bad = s.mode === 'nan' ? NaN : Infinity;
  if ('ranges' in m) {
    const scan = m as MessageOf<'sensor_msgs/msg/LaserScan'>;
    const ranges = Array.from(scan.ranges);
    if (s.mode === 'nan' || s.mode === 'inf') for (const i of pick(ranges.length, s.fraction)) ranges[i] = bad;
    else if (s.mode === 'wrong_length') ranges.length = s.length ?? Math.floor(ranges.length / 2);
    else if (s.mode === 'sector') {
      const lo = s.fromRad ?? 0;
      const hi = s.toRad ?? 0;
      ranges.forEach((_, i) => {
        const a = scan.angle_min + i * scan.angle_increment;
        if (a >= lo - 1e-9 && a <= hi + 1e-9) ranges[i] = s.rangeM ?? Infinity;
      });
    }
    scan.ranges = Float32Array.from(ranges) as typeof scan.ranges;
    if (s.mode === 'wrong_length' && scan.intensities.length > 0)
      scan.intensities = scan.intensities.slice(0, ranges.length);
    return m;
  }
  if (s.mode !== 'nan' && s.mode !== 'inf') return m;
  if ('child_frame_id' in m) {
    const o = m as MessageOf<'nav_msgs/msg/Odometry'>;
    o.pose.pose.position.x = bad;
    o.twist.twist.linear.x = bad;
  } else if ('angular_velocity' in m) {
    const imu = m as MessageOf<'sensor_msgs/msg/Imu'>;
    imu.angular_velocity.z = bad;
    imu.linear_acceleration.x = bad;
  } else if ('percentage' in m) {
    (m as MessageOf<'sensor_msgs/msg/BatteryState'>).percentage = bad;
  } else if ('poses' in m) {
    const p = m as MessageOf<'geometry_msgs/msg/PoseArray'>;
    for (const i of pick(p.poses.length, s.fraction)) p.poses[i]!.position.x = bad;
  }
  return m;
}
