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

/**
 * One control output: forward speed [m/s], turn rate [rad/s], whether the goal is reached, distance left
 * [m], heading error [rad] (toward the goal, or to its yaw once there).
 */
export interface ControlOutput {
  v: number;
  w: number;
  done: boolean;
  distance: number;
  err: number;
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
    if (Math.abs(err) > c.rotateInPlace) return { v: 0, w, done: false, distance, err };
    const v = Math.min(vmax, c.kLinear * distance) * Math.cos(err);
    return { v: Math.max(0, v), w, done: false, distance, err };
  }
  const yawErr = wrapAngle(goal.yaw - pose.yaw);
  if (Math.abs(yawErr) > c.yawTolerance)
    return { v: 0, w: clamp(c.kAngular * yawErr, c.maxAngular), done: false, distance, err: yawErr };
  return { v: 0, w: 0, done: true, distance, err: yawErr };
}

/** [rad] a heading error beyond this (about 150°) puts the goal behind the robot. */
const BEHIND_RAD = 2.6;
/** An arc refused is tried twice as wide, up to this many times the configured radius. */
const MAX_WIDEN = 8;
/** [rad] what stops an arc within this of straight ahead is in its way (beyond it: beside the robot). */
const AHEAD_RAD = Math.PI / 4;
/** [s] an arc running this long unrefused is tried half as wide (at the configured radius: not at all). */
const NARROW_AFTER_S = 2;

export interface ArcTurnConfig {
  /** [m] radius of the forward arc; 0: never turn this way. */
  radius: number;
  /** [m] the tightest arc tried when something ahead stops a wider one (default: radius / 4). */
  minRadius?: number;
  /** [m/s] forward speed along it. */
  speed: number;
  /** [s] turning on the spot refused this long before turning through the arc. */
  afterSec: number;
}

/**
 * Turning on the spot (or tightly) refused: a robot whose sensors do not cover its rear may not swing its
 * rear through space nobody sees (the gate holds it at STOP), so it turns through a forward arc instead,
 * wide enough that the rear follows where the front has looked, until it faces the goal; the gate
 * judges the arc as it judges everything. Pure: time is passed in [s].
 */
export class ArcTurn {
  private since = Number.NaN;
  private freeSince = Number.NaN;
  private dir = 0;
  private radius = 0;

  constructor(private readonly c: ArcTurnConfig) {}

  /** Whether the robot is turning through an arc. */
  get active(): boolean {
    return this.dir !== 0;
  }

  reset(): void {
    this.since = Number.NaN;
    this.freeSince = Number.NaN;
    this.dir = 0;
  }

  /**
   * The command for one control period at `now`: `out` as the controller gave it, unless it turns on
   * the spot (or tighter than the arc; while refused, tighter than the widest arc) while the gate holds
   * the robot at STOP (`refused`), then the arc.
   * An arc refused too is tried twice as wide when what stops it is beside or behind (its rear would
   * swing into it), half as wide when it is ahead (the arc runs into it: a tighter turn faces away
   * sooner); one running freely for a while goes back toward the configured radius, and there the
   * controller's own turn is tried again. `obstacleBearing` [rad] of the nearest obstacle picks the side
   * when the goal lies right behind (turn away from it); `limitBearing` [rad] is where what stops the
   * arc is (the gate's limiting point).
   */
  step(
    now: number,
    out: ControlOutput,
    refused: boolean,
    obstacleBearing?: number,
    limitBearing?: number,
  ): { v: number; w: number } {
    const c = this.c;
    // turning on the spot or through a tighter arc than the configured one (or than the wider arc running);
    // while the gate refuses a turn, any turn tighter than the widest arc tried (a front-only robot's rear
    // swings out in any turn)
    const reach = refused ? c.radius * MAX_WIDEN : this.dir !== 0 ? Math.max(this.radius, c.radius) : c.radius;
    const spinning = !out.done && out.w !== 0 && Math.abs(out.v) < reach * Math.abs(out.w);
    if (!spinning || !(c.radius > 0)) {
      this.reset();
      return { v: out.v, w: out.w };
    }
    if (refused) {
      this.freeSince = Number.NaN;
      if (Number.isNaN(this.since)) this.since = now;
    } else {
      this.since = Number.NaN;
      if (Number.isNaN(this.freeSince)) this.freeSince = now;
    }
    const due = refused && now - this.since >= c.afterSec;
    if (this.dir === 0) {
      if (!due) return { v: out.v, w: out.w };
      // the goal right behind: either way round is as short, so away from the nearest obstacle
      const behind = Math.abs(out.err) > BEHIND_RAD && obstacleBearing !== undefined;
      this.dir = behind ? (obstacleBearing > 0 ? -1 : 1) : Math.sign(out.w);
      this.radius = c.radius;
      this.since = this.freeSince = Number.NaN;
    } else if (due) {
      const ahead = limitBearing !== undefined && Math.abs(limitBearing) < AHEAD_RAD;
      // the arc refused too: something ahead (a tighter arc turns the front away from it sooner), or
      // something close beside that its rear would swing toward (a wider one)
      this.radius = ahead
        ? Math.max(c.minRadius ?? c.radius / 4, this.radius / 2)
        : Math.min(this.radius * 2, c.radius * MAX_WIDEN);
      this.since = Number.NaN;
    } else if (!refused && now - this.freeSince >= NARROW_AFTER_S) {
      this.freeSince = now;
      if (this.radius > c.radius) this.radius = Math.max(c.radius, this.radius / 2);
      else if (this.radius < c.radius) this.radius = Math.min(c.radius, this.radius * 2);
      else {
        // the configured arc runs freely: the controller's own turn may pass by now
        this.dir = 0;
        return { v: out.v, w: out.w };
      }
    }
    return { v: c.speed, w: (this.dir * c.speed) / this.radius };
  }
}
