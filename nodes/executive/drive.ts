/**
 * Driving one step of a decision with the built-in controller (or handing it to Nav2): go to the goal,
 * give way, back off and retry when the gate keeps the robot blocked, turn through an arc where turning
 * on the spot is refused, wait for a person to accompany, charge at the dock. The executive's state
 * machine (logic.ts) owns the decisions; this owns the monitors of the step in progress. Pure: time in [s].
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Pose2D } from '../core/profiles';
import type { Params } from './params';
import { insideGeofence, type Step } from './plan';
import { ArcTurn, goToGoal, type ControllerConfig } from './controller';
import { minDefined, type Outbox } from './outbox';
import type { SafetyView } from './safety-view';
import { BlockedMonitor } from './blocked';
import { YieldMonitor } from './yield';
import { stepLabel, type Job } from './job';

const ST = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
/** [rad] something at least this far right of straight ahead is on the robot's right (giving way). */
const RIGHT_BEARING = 0.26;
/** [m] a detour ends when something on its side is this close. */
const DETOUR_SIDE_M = 1;

/** What the driver reads from, and calls back into, the executive. */
export interface DriveHost {
  pose(): Pose2D | undefined;
  /** [m/s] forward speed from odometry. */
  speed(): number;
  safety(): SafetyView;
  /** Someone is near enough to accompany. */
  personNear(): boolean;
  charging(): boolean;
  readonly out: Outbox;
  nextStep(job: Job, now: number): void;
  finish(job: Job, state: number, code: string, message: string, now: number): void;
  emitJob(job: Job, state: number, code: string, message: string, now: number): void;
}

export class StepDriver {
  private readonly blocked: BlockedMonitor;
  private readonly yielding: YieldMonitor;
  private readonly arc: ArcTurn;
  private readonly ctl: ControllerConfig;
  /** [s] since when an escort step has been waiting for its person; NaN while someone is near. */
  private escortWaitSince = Number.NaN;
  private navTokens = 0;

  constructor(
    private readonly p: Params,
    private readonly h: DriveHost,
  ) {
    this.ctl = {
      maxLinear: p.max_linear_speed_mps,
      maxAngular: p.max_angular_speed_rps,
      kLinear: p.k_linear,
      kAngular: p.k_angular,
      rotateInPlace: p.rotate_in_place_rad,
      goalTolerance: p.goal_tolerance_m,
      yawTolerance: p.yaw_tolerance_rad,
    };
    this.blocked = new BlockedMonitor({
      timeoutSec: p.blocked_timeout_s,
      backoffSec: p.backoff_s,
      maxRetries: p.max_blocked_retries,
      reverseSpeed: p.backoff_speed_mps,
      turnRate: p.backoff_turn_rps,
      allowReverse: p.backoff_reverse,
      clearance: p.backoff_clearance_m,
    });
    this.arc = new ArcTurn({
      radius: p.arc_turn_radius_m,
      minRadius: p.arc_turn_min_radius_m,
      speed: p.arc_turn_speed_mps,
      afterSec: p.arc_turn_after_s,
    });
    this.yielding = new YieldMonitor({
      distance: p.yield_distance_m,
      slowSpeed: p.yield_slow_share * p.max_linear_speed_mps,
      afterSec: p.yield_after_s,
      holdSec: p.yield_hold_s,
      maxHoldSec: p.yield_max_hold_s,
      maxSidesteps: p.yield_max_sidesteps,
      rightBearing: RIGHT_BEARING,
    });
  }

  /** A new step of `job` begins: the monitors start again (a detour and its step count as one for giving way). */
  beginStep(job: Job): void {
    this.escortWaitSince = Number.NaN;
    this.blocked.reset();
    this.arc.reset();
    const prev = job.steps[job.index - 1];
    const cur = job.steps[job.index];
    const detour = (s: Step | undefined): boolean => s?.kind === 'navigate' && s.detour !== undefined;
    if (!detour(prev) && !detour(cur)) this.yielding.reset();
  }

  /** The robot stood still for a while (a local pause): blocked, arc and give-way monitors start again. */
  resetMonitors(): void {
    this.blocked.reset();
    this.arc.reset();
    this.yielding.reset();
  }

  /** Runs the current step of `job` one control period at `now` [s]; the velocity for the gate. */
  run(job: Job, now: number): { v: number; w: number } {
    const step = job.steps[job.index];
    if (!step) return { v: 0, w: 0 };
    if (step.kind === 'wait') {
      job.stepFraction = step.seconds > 0 ? Math.min(1, (now - job.stepStart) / step.seconds) : 1;
      if (now - job.stepStart >= step.seconds) this.h.nextStep(job, now);
      return { v: 0, w: 0 };
    }
    if (step.kind === 'charge') {
      if (this.h.charging()) this.h.nextStep(job, now);
      else if (now - job.stepStart > step.timeout) {
        this.h.finish(job, ST.STATE_FAILED, 'NOT_CHARGING', `no charging within ${step.timeout} s at the dock`, now);
      }
      return { v: 0, w: 0 };
    }
    const cap = minDefined(step.speedCap, job.speedCap);
    const escape = this.escape(job, now, step.escort === true);
    if (escape) return escape;
    if (this.p.navigation_backend === 'nav2') {
      if (!job.navSent) {
        job.navSent = true;
        job.navToken = ++this.navTokens;
        this.h.out.nav.push({ type: 'goal', token: job.navToken, goal: step.goal });
      }
      return { v: 0, w: 0 };
    }
    const pose = this.h.pose();
    if (!pose) return { v: 0, w: 0 };
    if (step.escort) {
      if (!this.h.personNear()) {
        if (Number.isNaN(this.escortWaitSince)) this.escortWaitSince = now;
        job.lastProgressSec = now; // waiting for the person is not a stall
        if (now - this.escortWaitSince > this.p.accompany_lost_timeout_s) {
          this.escortWaitSince = Number.NaN;
          this.h.finish(
            job,
            ST.STATE_FAILED,
            'PERSON_LOST',
            `no one within ${this.p.accompany_max_gap_m} m for ${this.p.accompany_lost_timeout_s} s`,
            now,
          );
        }
        return { v: 0, w: 0 };
      }
      this.escortWaitSince = Number.NaN;
    }
    const goalTolerance = step.goalToleranceM ?? this.ctl.goalTolerance;
    const ctl =
      step.goalToleranceM === undefined && step.yawToleranceRad === undefined
        ? this.ctl
        : { ...this.ctl, goalTolerance, yawTolerance: step.yawToleranceRad ?? this.ctl.yawTolerance };
    const c = goToGoal(pose, step.goal, ctl, cap);
    // giving way is for a robot on its way, facing its goal (not one turning round to it)
    if (!step.escort && !this.blocked.backingOff && !this.arc.active && Math.abs(c.err) < this.p.rotate_in_place_rad) {
      const give = this.yielding.step(now, this.h.safety(), c.distance, this.h.speed());
      if (give.kind === 'hold') {
        job.lastProgressSec = now; // giving way is not a stall
        return { v: 0, w: 0 };
      }
      if (give.kind === 'sidestep' && this.insertDetour(job, 'keep right', this.p.yield_offset_m)) {
        job.startDist = 0;
        job.bestDist = Number.POSITIVE_INFINITY;
        job.lastProgressSec = now;
        this.h.emitJob(job, ST.STATE_ACTIVE, '', `giving way: ${stepLabel(job)}`, now);
        return { v: 0, w: 0 };
      }
    }
    if (step.detour !== undefined && this.besideDetour(step.detour)) {
      // as far aside as there is room: something on that side holds the robot slow
      this.h.nextStep(job, now);
      return { v: 0, w: 0 };
    }
    if (job.startDist <= 0) job.startDist = Math.max(c.distance, 1e-6);
    job.stepFraction = Math.min(1, Math.max(0, 1 - c.distance / job.startDist));
    if (c.done) {
      this.h.nextStep(job, now);
      return { v: 0, w: 0 };
    }
    if (c.distance < job.bestDist - 0.05 || c.distance <= goalTolerance || this.h.safety().latched) {
      job.bestDist = c.distance;
      job.lastProgressSec = now;
    } else if ((c.v === 0 && c.w !== 0) || this.arc.active) {
      job.lastProgressSec = now; // turning in place, or through an arc, is progress
    } else if (this.p.stall_timeout_s > 0 && now - job.lastProgressSec > this.p.stall_timeout_s) {
      this.h.finish(job, ST.STATE_FAILED, 'STALLED', `no progress for ${this.p.stall_timeout_s} s`, now);
      return { v: 0, w: 0 };
    }
    // an arc the gate lets through only at a crawl, for something in its way, counts as refused too
    const crawl =
      this.arc.active &&
      this.h.safety().limitedBy !== '' &&
      this.h.safety().linearCap < 0.25 * this.p.arc_turn_speed_mps;
    return this.arc.step(
      now,
      c,
      this.h.safety().blocked || crawl,
      this.h.safety().bearing,
      this.h.safety().limitBearing,
    );
  }

  /**
   * The blocked-step rule for a navigation step of `job` at `now`: the back-off command while one runs,
   * zero after giving up (the decision fails BLOCKED), undefined to drive normally. A Nav2 goal is
   * canceled for the back-off and sent again on the retry.
   */
  private escape(job: Job, now: number, escort: boolean): { v: number; w: number } | undefined {
    if (this.h.safety().latched) return undefined;
    const act = this.blocked.step(now, this.h.safety(), escort);
    switch (act.kind) {
      case 'drive':
        return undefined;
      case 'backoff':
        this.cancelNav(job);
        return act.cmd;
      case 'retry':
        // a fresh attempt at the step, around the right of what blocked it: the stall clock starts again
        this.insertDetour(job, 'detour', this.p.detour_offset_m);
        job.bestDist = Number.POSITIVE_INFINITY;
        job.lastProgressSec = now;
        this.h.emitJob(
          job,
          ST.STATE_ACTIVE,
          '',
          `retry after back-off ${this.blocked.retries}: ${stepLabel(job)}`,
          now,
        );
        return undefined;
      case 'give_up':
        this.h.finish(job, ST.STATE_FAILED, 'BLOCKED', act.reason, now);
        return { v: 0, w: 0 };
    }
  }

  /**
   * Before retrying a blocked navigation step, a waypoint `detour_offset_m` to the right and
   * `detour_ahead_m` ahead (to the left when the right lies outside the geofence): two robots that meet
   * head-on, or cross, both keep right and pass. The gate still judges every motion.
   */
  private insertDetour(job: Job, why: string, off: number): boolean {
    const step = job.steps[job.index];
    const pose = this.h.pose();
    if (!(off > 0) || !pose || !step || step.kind !== 'navigate' || step.detour) return false;
    const { x, y, yaw } = pose;
    const c = Math.cos(yaw);
    const s = Math.sin(yaw);
    const ahead = this.p.detour_ahead_m;
    for (const side of [1, -1]) {
      // right of the heading (c, s) is (s, -c)
      const gx = x + c * ahead + side * s * off;
      const gy = y + s * ahead - side * c * off;
      if (this.p.geofence.length > 0 && !insideGeofence(this.p.geofence, gx, gy)) continue;
      job.steps.splice(job.index, 0, {
        kind: 'navigate',
        goal: { x: gx, y: gy, yaw },
        label: `${why}: ${off} m to the ${side > 0 ? 'right' : 'left'}`,
        detour: side > 0 ? 1 : -1,
        ...(step.speedCap !== undefined ? { speedCap: step.speedCap } : {}),
      });
      return true;
    }
    return false;
  }

  /** On a detour to `side` (1 right, -1 left): something on that side holds the robot slow, or is close. */
  private besideDetour(side: 1 | -1): boolean {
    const s = this.h.safety();
    const b = s.limitBearing;
    const d = s.limitDistance;
    if (b === undefined || d === undefined || !(side * b < -RIGHT_BEARING)) return false;
    // held slow by it, or it is already close beside (a wall the sidestep is running into)
    const braking = s.limitedBy !== '' && s.linearCap < this.p.yield_slow_share * this.p.max_linear_speed_mps;
    return braking || d < DETOUR_SIDE_M;
  }

  /** Cancels the Nav2 goal of `job`, if one was sent. */
  cancelNav(job: Job): void {
    if (job.navSent) {
      this.h.out.nav.push({ type: 'cancel', token: job.navToken });
      job.navSent = false;
      job.navToken = 0;
    }
  }
}
