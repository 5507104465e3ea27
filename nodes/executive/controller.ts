/**
 * The built-in go-to-goal controller for a differential base: turn toward the goal, drive with speed
 * proportional to the distance, then turn to the goal's heading. Pure.
 */
import type { Pose2D } from '../core/profiles';
import { wrapAngle } from './plan';

export interface ControllerConfig {
  /** [m/s] */ maxLinear: number;
  /** [rad/s] */ maxAngular: number;
  /** [1/s] */ kLinear: number;
  /** [1/s] */ kAngular: number;
  /** [rad] heading error above which the base turns on the spot. */
  rotateInPlace: number;
  /** [m] */ goalTolerance: number;
  /** [rad] */ yawTolerance: number;
}

/** One control output: forward speed [m/s], turn rate [rad/s], whether the goal is reached, distance left [m]. */
export interface ControlOutput {
  v: number;
  w: number;
  done: boolean;
  distance: number;
}

const clamp = (v: number, lim: number): number => (v > lim ? lim : v < -lim ? -lim : v);

/** The command that drives `pose` toward `goal`, never faster than `speedCap` [m/s] when given. */
export function goToGoal(pose: Pose2D, goal: Pose2D, c: ControllerConfig, speedCap?: number): ControlOutput {
  const dx = goal.x - pose.x;
  const dy = goal.y - pose.y;
  const distance = Math.hypot(dx, dy);
  const vmax = speedCap !== undefined ? Math.min(speedCap, c.maxLinear) : c.maxLinear;
  if (distance > c.goalTolerance) {
    const err = wrapAngle(Math.atan2(dy, dx) - pose.yaw);
    const w = clamp(c.kAngular * err, c.maxAngular);
    if (Math.abs(err) > c.rotateInPlace) return { v: 0, w, done: false, distance };
    const v = Math.min(vmax, c.kLinear * distance) * Math.cos(err);
    return { v: Math.max(0, v), w, done: false, distance };
  }
  const yawErr = wrapAngle(goal.yaw - pose.yaw);
  if (Math.abs(yawErr) > c.yawTolerance)
    return { v: 0, w: clamp(c.kAngular * yawErr, c.maxAngular), done: false, distance };
  return { v: 0, w: 0, done: true, distance };
}
