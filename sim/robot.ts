/**
 * Differential-drive kinematics of a simulated robot: velocity and acceleration limits, exact arc
 * integration, and the odometry and IMU readings a real base would report (optionally noisy, from a
 * seeded Rng). Pure: time steps are passed in; nothing here reads a clock.
 *
 * Frames (REP 105): the true pose is in `map`; odometry is in `odom`, whose origin is where the
 * robot started (odom → base_link starts at identity and drifts when odometry noise is on).
 */
import { type Pose, wrapAngle } from './geometry';
import type { Rng } from './random';

/** Standard gravity [m/s²]; an accelerometer at rest reads +g on z (REP 145). */
export const GRAVITY_MPS2 = 9.80665;

/** A planar velocity command or measurement: linear.x [m/s] and angular.z [rad/s]. */
export interface Twist2D {
  linear: number;
  angular: number;
}

/** Velocity and acceleration limits of the base (what its motor controller enforces). */
export interface DriveLimits {
  /** [m/s] fastest forward speed. */
  maxLinearMps: number;
  /** [m/s] fastest reverse speed (a magnitude, >= 0; 0 = cannot reverse). */
  maxReverseMps: number;
  /** [rad/s] fastest turn rate either way. */
  maxAngularRadps: number;
  /** [m/s²] largest rate at which linear speed grows. */
  linearAccelMps2: number;
  /** [m/s²] largest rate at which linear speed falls (braking). */
  linearDecelMps2: number;
  /** [rad/s²] largest change of turn rate. */
  angularAccelRadps2: number;
}

/**
 * Noise of the base's sensors (all 0 = perfect). Odometry follows the classic odometry motion
 * model: errors grow with distance and turning, so a robot standing still does not drift.
 */
export interface DriveNoise {
  /** Std. dev. of the distance error as a fraction of the distance driven (0.01 = 1 %). */
  odomLinearRatio: number;
  /** Std. dev. of the heading error as a fraction of the angle turned. */
  odomAngularRatio: number;
  /** [rad/s] std. dev. of the gyro's z reading. */
  gyroStdRadps: number;
  /** [m/s²] std. dev. of each accelerometer axis. */
  accelStdMps2: number;
}

export const NO_NOISE: DriveNoise = { odomLinearRatio: 0, odomAngularRatio: 0, gyroStdRadps: 0, accelStdMps2: 0 };

/** The state of one simulated base. */
export interface DriveState {
  /** True pose in the map frame. */
  pose: Pose;
  /** [m/s], [rad/s] actual velocity at the end of the last step. */
  twist: Twist2D;
  /** Pose as odometry reports it, in the odom frame. */
  odomPose: Pose;
  /** Velocity as odometry reports it (the last step's measured average). */
  odomTwist: Twist2D;
  /** [m/s²] linear acceleration over the last step (tangential). */
  accelMps2: number;
  /** [rad/s] what the gyro read over the last step. */
  gyroRadps: number;
  /** [rad] heading integrated from the gyro since start (the IMU's orientation). */
  imuYaw: number;
}

/** The result of one velocity ramp: end velocity and the distance covered during the step. */
export interface Ramp {
  end: number;
  distance: number;
}

/** A fresh state at `start` (map frame), standing still; odometry starts at the odom origin. */
export function initialDriveState(start: Pose): DriveState {
  return {
    pose: { ...start },
    twist: { linear: 0, angular: 0 },
    odomPose: { x: 0, y: 0, yaw: 0 },
    odomTwist: { linear: 0, angular: 0 },
    accelMps2: 0,
    gyroRadps: 0,
    imuYaw: 0,
  };
}

/** The command clamped to the base's velocity limits; a non-finite component becomes 0. */
export function limitTwist(cmd: Twist2D, limits: DriveLimits): Twist2D {
  const lin = Number.isFinite(cmd.linear) ? cmd.linear : 0;
  const ang = Number.isFinite(cmd.angular) ? cmd.angular : 0;
  return {
    linear: Math.min(limits.maxLinearMps, Math.max(-limits.maxReverseMps, lin)),
    angular: Math.min(limits.maxAngularRadps, Math.max(-limits.maxAngularRadps, ang)),
  };
}

/**
 * Moves `current` towards `target` at most `accel` per second for `dt` seconds. Returns the end value
 * and the exact integral over the step (the distance [m] or angle [rad] covered), so a straight run
 * under constant acceleration lands exactly where the equations of motion say.
 */
export function ramp(current: number, target: number, accel: number, dt: number): Ramp {
  const gap = target - current;
  const tau = Math.min(dt, Math.abs(gap) / accel);
  const end = tau === dt ? current + Math.sign(gap) * accel * dt : target;
  return { end, distance: ((current + end) / 2) * tau + end * (dt - tau) };
}

/**
 * The pose after driving `distance` [m] along an arc that turns by `dTheta` [rad] (a straight line
 * when dTheta is 0): the exact solution for constant linear and angular velocity over the step.
 */
export function integrateArc(pose: Pose, distance: number, dTheta: number): Pose {
  const th = pose.yaw;
  if (Math.abs(dTheta) < 1e-12) {
    return { x: pose.x + distance * Math.cos(th), y: pose.y + distance * Math.sin(th), yaw: pose.yaw };
  }
  const r = distance / dTheta;
  return {
    x: pose.x + r * (Math.sin(th + dTheta) - Math.sin(th)),
    y: pose.y - r * (Math.cos(th + dTheta) - Math.cos(th)),
    yaw: wrapAngle(th + dTheta),
  };
}

/**
 * Like `ramp`, with separate limits for speeding up (`accel`) and slowing down (`decel`, braking). A
 * target on the other side of zero is reached by braking to a stop and then speeding up the other
 * way, each phase at its own limit; the integral stays exact.
 */
export function rampAsymmetric(current: number, target: number, accel: number, decel: number, dt: number): Ramp {
  if (current !== 0 && Math.sign(target) !== Math.sign(current)) {
    const stopIn = Math.abs(current) / decel;
    if (target === 0 || stopIn >= dt) return ramp(current, target, decel, dt);
    const rest = ramp(0, target, accel, dt - stopIn);
    return { end: rest.end, distance: (current / 2) * stopIn + rest.distance };
  }
  return ramp(current, target, Math.abs(target) > Math.abs(current) ? accel : decel, dt);
}

/** What one step of the base does, before collisions are resolved. */
export interface DriveMotion {
  /** Velocity at the end of the step. */
  twist: Twist2D;
  /** [m] distance along the path and [rad] heading change over the step. */
  distance: number;
  dTheta: number;
  /** The true pose at the end of the step if nothing is in the way. */
  pose: Pose;
}

/** The motion of one step of `dt` seconds towards `cmd` (already limited or not), from `state`. */
export function driveMotion(state: DriveState, cmd: Twist2D, limits: DriveLimits, dt: number): DriveMotion {
  const target = limitTwist(cmd, limits);
  const lin = rampAsymmetric(state.twist.linear, target.linear, limits.linearAccelMps2, limits.linearDecelMps2, dt);
  const ang = ramp(state.twist.angular, target.angular, limits.angularAccelRadps2, dt);
  return {
    twist: { linear: lin.end, angular: ang.end },
    distance: lin.distance,
    dTheta: ang.distance,
    pose: integrateArc(state.pose, lin.distance, ang.distance),
  };
}

/**
 * The state after a step in which the base covered `fraction` (0..1) of `motion` (less than 1 when a
 * collision stopped it; it then stands still). Odometry and IMU readings are updated from what the
 * wheels and gyro would measure, with noise drawn from `rng` when `noise` asks for it.
 */
export function applyMotion(
  state: DriveState,
  motion: DriveMotion,
  fraction: number,
  dt: number,
  noise: DriveNoise,
  rng: Rng,
): DriveState {
  const blocked = fraction < 1;
  const distance = motion.distance * fraction;
  const dTheta = motion.dTheta * fraction;
  const pose = blocked ? integrateArc(state.pose, distance, dTheta) : motion.pose;
  const twist = blocked ? { linear: 0, angular: 0 } : motion.twist;

  // Wheel odometry: the wheels turned as far as the base moved (no slip modelled).
  const mDist = distance * (1 + rng.gaussian(0, noise.odomLinearRatio));
  const mTheta = dTheta + rng.gaussian(0, noise.odomAngularRatio * Math.abs(dTheta));
  const odomPose = integrateArc(state.odomPose, mDist, mTheta);

  const gyro = dTheta / dt + rng.gaussian(0, noise.gyroStdRadps);
  return {
    pose,
    twist,
    odomPose,
    odomTwist: { linear: mDist / dt, angular: mTheta / dt },
    accelMps2: (twist.linear - state.twist.linear) / dt,
    gyroRadps: gyro,
    imuYaw: wrapAngle(state.imuYaw + gyro * dt),
  };
}

/** Odometry as plain data (odom → base_link), ready for sim/messages.ts. */
export interface OdometryData {
  /** [s] sim time of the reading. */
  t: number;
  pose: Pose;
  twist: Twist2D;
}

/** IMU readings as plain data (body frame), ready for sim/messages.ts. */
export interface ImuData {
  t: number;
  /** [rad] heading integrated from the gyro since start. */
  yaw: number;
  /** [rad/s] angular velocity about z. */
  angularVelocityZ: number;
  /** [m/s²] specific force: x tangential, y centripetal (v·ω), z +g. */
  linearAcceleration: { x: number; y: number; z: number };
}

/** The odometry reading of `state` at time `t`. */
export function odometryReading(state: DriveState, t: number): OdometryData {
  return { t, pose: { ...state.odomPose }, twist: { ...state.odomTwist } };
}

/** The IMU reading of `state` at time `t`; accelerometer noise drawn from `rng`. */
export function imuReading(state: DriveState, t: number, noise: DriveNoise, rng: Rng): ImuData {
  const sd = noise.accelStdMps2;
  return {
    t,
    yaw: state.imuYaw,
    angularVelocityZ: state.gyroRadps,
    linearAcceleration: {
      x: state.accelMps2 + rng.gaussian(0, sd),
      y: state.twist.linear * state.twist.angular + rng.gaussian(0, sd),
      z: GRAVITY_MPS2 + rng.gaussian(0, sd),
    },
  };
}
