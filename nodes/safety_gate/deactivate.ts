/**
 * Whether the safety gate may leave active (lifecycle deactivate) now. Leaving active sends one zero
 * velocity and then silences cmd_vel; while the base still moves, that would leave it coasting on one
 * message, so the gate stays active (the transition fails) and keeps braking until the base is still.
 * Shutdown is the forced way out (it always proceeds, with the zero velocity). Pure: no ROS, no clock.
 */

/** The last odometry the gate accepted. Speeds in m/s and rad/s, time in seconds. */
export interface OdomSample {
  vx: number;
  vy: number;
  wz: number;
  atSec: number;
}

export interface DeactivateLimits {
  /** [m/s] above this linear speed the base counts as moving. */
  deactivate_max_linear_mps: number;
  /** [rad/s] above this turn rate the base counts as moving. */
  deactivate_max_angular_rps: number;
  /** [s] odometry older than this says nothing about the speed now. */
  source_timeout_s: number;
}

export type DeactivateDecision = { allow: true; why: string } | { allow: false; why: string };

/** Allows deactivate unless the latest fresh odometry shows the base moving; `why` says which and by how much. */
export function mayDeactivate(
  odom: OdomSample | undefined,
  nowSec: number,
  limits: DeactivateLimits,
): DeactivateDecision {
  // Without fresh odometry the gate is already holding zero (odometry is one of its timed-out sources).
  if (odom === undefined) return { allow: true, why: 'no odometry yet: the gate holds zero velocity' };
  const age = nowSec - odom.atSec;
  if (age > limits.source_timeout_s) {
    return { allow: true, why: `odometry ${age.toFixed(2)} s old: the gate holds zero velocity` };
  }
  const linear = Math.hypot(odom.vx, odom.vy);
  const angular = Math.abs(odom.wz);
  if (linear > limits.deactivate_max_linear_mps) {
    return {
      allow: false,
      why: `base moving at ${linear.toFixed(3)} m/s (above deactivate_max_linear_mps ${limits.deactivate_max_linear_mps})`,
    };
  }
  if (angular > limits.deactivate_max_angular_rps) {
    return {
      allow: false,
      why: `base turning at ${angular.toFixed(3)} rad/s (above deactivate_max_angular_rps ${limits.deactivate_max_angular_rps})`,
    };
  }
  return { allow: true, why: `base still (${linear.toFixed(3)} m/s, ${angular.toFixed(3)} rad/s)` };
}
