/**
 * Plain sim readings → ROS 2 message objects (typed from the real definitions), so a node can
 * publish them as they are. Pure functions. Frames follow REP 105: odometry is odom → base_link,
 * each lidar is in its own frame (named in the robot's lidar layout, `laser` by default, as the
 * nodes' profile parameters expect), the IMU in imu_link. Frames are not prefixed unless asked
 * (`robotFrames('robot1')` → `robot1/odom`); the map frame is shared.
 */
import type {
  builtin_interfaces,
  geometry_msgs,
  nav_msgs,
  rosgraph_msgs,
  sensor_msgs,
  std_msgs,
} from '../nodes/core/interfaces/generated';
import { TOPICS } from '../nodes/core/topics';
import type { BatteryData } from './battery';
import type { LaserScanData } from './lidar';
import type { ImuData, OdometryData, Twist2D } from './robot';

/** The TF frame names of one robot. */
export interface RobotFrames {
  map: string;
  odom: string;
  base: string;
  imu: string;
}

/** `frame` with `prefix/` in front (unchanged for an empty prefix). */
export function prefixFrame(prefix: string, frame: string): string {
  return prefix === '' ? frame : `${prefix}/${frame}`;
}

/** Frame names for a robot; `prefix` (e.g. the robot id) is prepended as `prefix/` to all but map. */
export function robotFrames(prefix = ''): RobotFrames {
  return {
    map: 'map',
    odom: prefixFrame(prefix, 'odom'),
    base: prefixFrame(prefix, 'base_link'),
    imu: prefixFrame(prefix, 'imu_link'),
  };
}

/** builtin_interfaces/Time from seconds (>= 0), nanoseconds rounded. */
export function stampFromSeconds(t: number): builtin_interfaces.msg.Time {
  let sec = Math.floor(t);
  let nanosec = Math.round((t - sec) * 1e9);
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  return { sec, nanosec };
}

/** Quaternion of a rotation by `yaw` [rad] about z. */
export function yawToQuaternion(yaw: number): geometry_msgs.msg.Quaternion {
  return { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
}

/** Variance used for what a planar robot does not measure (z, roll, pitch): "ignore this". */
export const UNMEASURED_VARIANCE = 1e6;
/** Smallest variance written: all-zero covariances mean "unknown" to consumers. */
export const MIN_VARIANCE = 1e-9;

function diag6(d: readonly number[]): number[] {
  const m = new Array<number>(36).fill(0);
  for (let i = 0; i < 6; i++) m[i * 7] = d[i]!;
  return m;
}

function diag3(d: readonly number[]): number[] {
  const m = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) m[i * 4] = d[i]!;
  return m;
}

/** Variances [m², m², rad², (m/s)², (rad/s)²] of odometry. */
export interface OdometryVariances {
  x: number;
  y: number;
  yaw: number;
  linear: number;
  angular: number;
}

/** nav_msgs/Odometry: pose in odom, twist in base_link (child frame). */
export function odometryMessage(
  d: OdometryData,
  frames: RobotFrames,
  v: OdometryVariances = {
    x: MIN_VARIANCE,
    y: MIN_VARIANCE,
    yaw: MIN_VARIANCE,
    linear: MIN_VARIANCE,
    angular: MIN_VARIANCE,
  },
): nav_msgs.msg.Odometry {
  const U = UNMEASURED_VARIANCE;
  const f = (x: number) => Math.max(MIN_VARIANCE, x);
  return {
    header: { stamp: stampFromSeconds(d.t), frame_id: frames.odom },
    child_frame_id: frames.base,
    pose: {
      pose: { position: { x: d.pose.x, y: d.pose.y, z: 0 }, orientation: yawToQuaternion(d.pose.yaw) },
      covariance: diag6([f(v.x), f(v.y), U, U, U, f(v.yaw)]),
    },
    twist: {
      twist: { linear: { x: d.twist.linear, y: 0, z: 0 }, angular: { x: 0, y: 0, z: d.twist.angular } },
      covariance: diag6([f(v.linear), MIN_VARIANCE, U, U, U, f(v.angular)]),
    },
  };
}

/**
 * sensor_msgs/Imu in the IMU frame; std. devs. [rad/s] and [m/s²] become diagonal covariances. The
 * yaw is the gyro integrated every `integrationDtS` seconds since t = 0, so its variance grows as
 * gyroStd² · integrationDtS · t (a random walk); roll and pitch of a planar robot are 0 and known.
 */
export function imuMessage(
  d: ImuData,
  frames: RobotFrames,
  gyroStd = 0,
  accelStd = 0,
  integrationDtS = 0.05,
): sensor_msgs.msg.Imu {
  const g = Math.max(MIN_VARIANCE, gyroStd * gyroStd);
  const a = Math.max(MIN_VARIANCE, accelStd * accelStd);
  const yawVariance = Math.max(MIN_VARIANCE, gyroStd * gyroStd * integrationDtS * d.t);
  return {
    header: { stamp: stampFromSeconds(d.t), frame_id: frames.imu },
    orientation: yawToQuaternion(d.yaw),
    orientation_covariance: diag3([MIN_VARIANCE, MIN_VARIANCE, yawVariance]),
    angular_velocity: { x: 0, y: 0, z: d.angularVelocityZ },
    angular_velocity_covariance: diag3([g, g, g]),
    linear_acceleration: { ...d.linearAcceleration },
    linear_acceleration_covariance: diag3([a, a, a]),
  };
}

/** sensor_msgs/LaserScan in the lidar's frame `frameId`; `ranges` is shared (not copied); no intensities. */
export function laserScanMessage(d: LaserScanData, frameId: string): sensor_msgs.msg.LaserScan {
  return {
    header: { stamp: stampFromSeconds(d.t), frame_id: frameId },
    angle_min: d.angleMin,
    angle_max: d.angleMax,
    angle_increment: d.angleIncrement,
    time_increment: d.timeIncrement,
    scan_time: d.scanTime,
    range_min: d.rangeMin,
    range_max: d.rangeMax,
    ranges: d.ranges,
    intensities: new Float32Array(0),
  };
}

/** sensor_msgs/BatteryState (unmeasured fields NaN, as the definition asks), frame base_link. */
export function batteryStateMessage(d: BatteryData, frames: RobotFrames): sensor_msgs.msg.BatteryState {
  return {
    header: { stamp: stampFromSeconds(d.t), frame_id: frames.base },
    voltage: d.voltage,
    temperature: Number.NaN,
    current: d.currentA,
    charge: d.chargeAh,
    capacity: d.capacityAh,
    design_capacity: d.capacityAh,
    percentage: d.percentage,
    power_supply_status: d.status,
    power_supply_health: 1, // POWER_SUPPLY_HEALTH_GOOD
    power_supply_technology: 2, // POWER_SUPPLY_TECHNOLOGY_LION
    present: true,
    cell_voltage: [],
    cell_temperature: [],
    location: '',
    serial_number: '',
  };
}

/**
 * The planar command in a geometry_msgs/Twist for a differential drive: linear.x and angular.z. The
 * other components cannot be driven and are ignored, as a diff-drive controller ignores them.
 */
export function commandFromTwist(msg: geometry_msgs.msg.Twist): Twist2D {
  return { linear: msg.linear.x, angular: msg.angular.z };
}

/** geometry_msgs/PoseArray of people positions [m] in `frameId` (base_link), for a `people` topic. */
export function peopleMessage(
  t: number,
  people: readonly { x: number; y: number }[],
  frameId: string,
): geometry_msgs.msg.PoseArray {
  return {
    header: { stamp: stampFromSeconds(t), frame_id: frameId },
    poses: people.map((p) => ({ position: { x: p.x, y: p.y, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } })),
  };
}

/** rosgraph_msgs/Clock for `/clock` at sim time `t` [s] (what nodes with use_sim_time follow). */
export function clockMessage(t: number): rosgraph_msgs.msg.Clock {
  return { clock: stampFromSeconds(t) };
}

/** std_msgs/Bool for the `estop` topic: true while the e-stop is pressed. */
export function estopMessage(pressed: boolean): std_msgs.msg.Bool {
  return { data: pressed };
}

/** A topic a simulated robot publishes (`out`) or reads (`in`), relative to its namespace unless absolute. */
export interface SimTopic {
  topic: string;
  type: string;
  direction: 'out' | 'in';
  /** header.frame_id of what is published, when it has a header. */
  frame?: string;
}

/**
 * Every topic the sim carries for a robot with these lidars: what it publishes (scans, odometry, IMU,
 * battery, e-stop, people, /clock) and what it reads (cmd_vel), with types and frames. Names are the
 * nodes' defaults (nodes/core/topics.ts), so the same list serves the sim's wiring and a cross-check
 * against a Gazebo bridge configuration.
 */
export function robotTopics(lidars: readonly { topic: string; frame: string }[], frames = robotFrames()): SimTopic[] {
  return [
    ...lidars.map((l): SimTopic => ({
      topic: l.topic,
      type: 'sensor_msgs/msg/LaserScan',
      direction: 'out',
      frame: l.frame,
    })),
    { topic: TOPICS.odom, type: 'nav_msgs/msg/Odometry', direction: 'out', frame: frames.odom },
    { topic: TOPICS.imu, type: 'sensor_msgs/msg/Imu', direction: 'out', frame: frames.imu },
    { topic: TOPICS.battery, type: 'sensor_msgs/msg/BatteryState', direction: 'out', frame: frames.base },
    { topic: TOPICS.estop, type: 'std_msgs/msg/Bool', direction: 'out' },
    { topic: PEOPLE_TOPIC, type: 'geometry_msgs/msg/PoseArray', direction: 'out', frame: frames.base },
    { topic: '/clock', type: 'rosgraph_msgs/msg/Clock', direction: 'out' },
    { topic: TOPICS.cmdVel, type: 'geometry_msgs/msg/Twist', direction: 'in' },
  ];
}

/** The topic of detected people perception reads by default. */
export const PEOPLE_TOPIC = 'people';
