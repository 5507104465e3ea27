/**
 * The executive's state machine: validated decisions in, behaviours out. Pure — every call takes the
 * time [s], effects go to an outbox the node drains (statuses, decision requests, fallback decisions,
 * Nav2 goals) and the velocity command is returned by `tick`. No ROS, no clock reads, no random ids
 * (an id source is injected).
 *
 * One decision is active at a time (a running behaviour or a HOLD); a HOLD keeps the behaviour it
 * paused. A decision of lower priority than the active one is rejected; equal or higher replaces it.
 * An e-stop abandons the running decision and only a new deliberate one moves the robot again
 * (start-guard.ts); a step held slow by something ahead gives way early (yield.ts); a step the gate keeps
 * blocked backs off, retries, then fails (blocked.ts).
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Pose2D } from '../core/profiles';
import type { Params } from './params';
import type { Step } from './plan';
import { ArcTurn, goToGoal, type ControllerConfig } from './controller';
import { clip, minDefined, type DecisionIn, type Outbox, type StatusOut } from './outbox';
import { NO_SAFETY, type SafetyView } from './safety-view';
import { LocalPauseView, type PauseChange } from './local-pause';
import { StartGuard } from './start-guard';
import { BlockedMonitor } from './blocked';
import { YieldMonitor } from './yield';
import { insideGeofence } from './plan';
import { invalidReason, planDecision } from './admit';
import { fallbackDecision, fallbackReport, type FallbackState } from './fallback';

export type { DecisionIn, FallbackDecisionOut, NavCommand, Outbox, RequestOut, StatusOut } from './outbox';
export { MAX_TEXT } from './outbox';

/** [rad] something at a bearing below minus this (about 15°) is on the robot's right when giving way. */
const RIGHT_BEARING = 0.26;
/** [m] something this near (from base_link) on the side a detour goes to ends the detour: no room. */
const DETOUR_SIDE_M = 1;

export const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
export const ST = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
export const RQ = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionRequest'];

interface Job {
  id: string;
  kind: number;
  source: number;
  priority: number;
  /** [s], 0 = never. */
  expiresAt: number;
  steps: Step[];
  index: number;
  stepStart: number;
  /** Decision-wide speed cap [m/s] (NAVIGATE_TO speed_limit), undefined for none. */
  speedCap?: number;
  isHold: boolean;
  /** Navigation bookkeeping of the current step. */
  startDist: number;
  bestDist: number;
  lastProgressSec: number;
  stepFraction: number;
  navToken: number;
  navSent: boolean;
  lastStatusSec: number;
  lastStatus?: StatusOut;
}

export class Executive {
  readonly out: Outbox = { statuses: [], requests: [], decisions: [], nav: [], motionStarts: 0 };
  private active: Job | undefined;
  private paused: Job | undefined;
  private pose: Pose2D | undefined;
  /** [m/s] forward speed from odometry. */
  private speed = 0;
  private battery = Number.NaN;
  private charging = false;
  private safety: SafetyView = NO_SAFETY;
  private readonly localPause = new LocalPauseView();
  private readonly guard = new StartGuard();
  private readonly blocked: BlockedMonitor;
  private readonly yielding: YieldMonitor;
  private readonly arc: ArcTurn;
  private personNear = false;
  /** [s] since when an escort step has been waiting for its person; NaN while someone is near. */
  private escortWaitSince = Number.NaN;
  private limitSet = 0;
  private limitPublished = -1;
  private lastUpSec: number;
  private connected = false;
  private failures = 0;
  private fallback: FallbackState = {
    active: false,
    reason: '',
    since: 0,
    ids: [],
    pendingHold: false,
    dockIssued: false,
  };
  private readonly fallbackStatuses = new Map<string, StatusOut>();
  private lastRequestSec = Number.NEGATIVE_INFINITY;
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private readonly ownIds = new Set<string>();
  private navTokens = 0;
  private readonly ctl: ControllerConfig;

  constructor(
    private readonly p: Params,
    startSec: number,
    private readonly newId: () => string,
  ) {
    this.lastUpSec = startSec;
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

  /** The active decision's id and kind, for tests and logs. */
  get activeDecision(): { id: string; kind: number; priority: number; paused?: string } | undefined {
    const a = this.active;
    return a && { id: a.id, kind: a.kind, priority: a.priority, ...(this.paused ? { paused: this.paused.id } : {}) };
  }

  /** Whether the local fallback is running. */
  get inFallback(): boolean {
    return this.fallback.active;
  }

  /** Whether an e-stop happened and no new deliberate decision has started motion since. */
  get startNeeded(): boolean {
    return this.guard.startNeeded;
  }

  /** The odometry pose, and its forward speed [m/s] when known (giving way tells oncoming traffic by it). */
  onPose(pose: Pose2D, speed?: number): void {
    this.pose = pose;
    if (speed !== undefined) this.speed = speed;
  }

  /** Battery, charging and people from WorldSummary. `personDistance` [m] counts only when `peopleCount` > 0. */
  onWorld(batteryValid: boolean, battery: number, charging: boolean, peopleCount = 0, personDistance = 0): void {
    this.battery = batteryValid ? battery : Number.NaN;
    this.charging = charging;
    this.personNear =
      peopleCount > 0 && Number.isFinite(personDistance) && personDistance <= this.p.accompany_max_gap_m;
  }

  /**
   * The safety gate's state at `now` [s]. When an e-stop latches, the running decision is abandoned
   * (FAILED, `ESTOP`): a reset of the e-stop must not carry it on. While latched, a navigation step
   * does not count as stalled.
   */
  onSafety(s: SafetyView, now: number): void {
    this.safety = s;
    const change = this.localPause.update(s.localPause, now);
    if (change) this.onLocalPause(change, now);
    if (!this.guard.onLatch(s.latched)) return;
    const a = this.active;
    if (a && !a.isHold) {
      this.finish(
        a,
        ST.STATE_FAILED,
        'ESTOP',
        `abandoned: emergency stop (${s.detail || 'e-stop latched'}); after the reset a new decision is needed to move`,
        now,
      );
    }
  }

  /**
   * A person on site paused or resumed the robot (through the gate). The running decision is held, not
   * ended: its Nav2 goal is canceled and sent again on resume, and its stall and blocked clocks start
   * again then. Its status says so (ACTIVE, `LOCAL_PAUSE` / `LOCAL_RESUME`), so the cloud learns which
   * decision a person held and for how long.
   */
  private onLocalPause(c: PauseChange, now: number): void {
    const a = this.active;
    if (!a) return;
    if (c.kind === 'paused') {
      this.cancelNav(a);
      this.emitJob(a, ST.STATE_ACTIVE, 'LOCAL_PAUSE', `paused by a person on site (${c.source})`, now);
      return;
    }
    a.bestDist = Number.POSITIVE_INFINITY;
    a.lastProgressSec = now;
    this.blocked.reset();
    this.arc.reset();
    this.yielding.reset();
    this.emitJob(
      a,
      ST.STATE_ACTIVE,
      'LOCAL_RESUME',
      `resumed by a person on site (${c.source}) after ${c.pausedS.toFixed(1)} s`,
      now,
    );
  }

  onBridge(connected: boolean, now: number): void {
    this.connected = connected;
    if (connected) this.lastUpSec = now;
  }

  /** A Nav2 goal ended. Stale tokens (a goal already replaced or canceled) are ignored. */
  onNavResult(token: number, ok: boolean, why: string, now: number): void {
    const a = this.active;
    if (!a || a.isHold || a.navToken !== token) return;
    if (ok) this.nextStep(a, now);
    else this.finish(a, ST.STATE_FAILED, 'NAVIGATION_FAILED', why, now);
  }

  /** Nav2 feedback: distance remaining [m] of the current goal. */
  onNavFeedback(token: number, distanceRemaining: number): void {
    const a = this.active;
    if (!a || a.navToken !== token || !Number.isFinite(distanceRemaining)) return;
    if (a.startDist <= 0) a.startDist = Math.max(distanceRemaining, 1e-6);
    a.stepFraction = Math.min(1, Math.max(0, 1 - distanceRemaining / a.startDist));
  }

  /** A decision arrived (from the bridge, an operator, or our own fallback). */
  onDecision(d: DecisionIn, now: number): void {
    if (this.seen.has(d.decision_id)) {
      if (!this.ownIds.has(d.decision_id))
        this.reject(d, 'DUPLICATE', `decision id '${d.decision_id}' was already received`);
      return;
    }
    this.remember(d.decision_id);
    const invalid = invalidReason(d, this.p, now);
    if (invalid) {
      this.reject(d, invalid[0], invalid[1]);
      return;
    }
    // A person on site paused the robot: nothing but a local resume ends that. What only lowers motion
    // (stop, a speed limit, the robot's own fallback hold) is still taken; everything else is refused.
    const lowers =
      d.kind === K.KIND_STOP ||
      d.kind === K.KIND_SET_SPEED_LIMIT ||
      (d.kind === K.KIND_HOLD && d.source === K.SOURCE_LOCAL_FALLBACK);
    if (this.localPause.paused && !lowers) {
      this.reject(
        d,
        'LOCAL_PAUSE',
        `paused by a person on site (${this.localPause.by}) for ${this.localPause.pausedFor(now).toFixed(1)} s; ` +
          'only a local resume releases it',
      );
      return;
    }
    const expiresAt = d.expires_at.sec + d.expires_at.nanosec / 1e9;

    if (d.kind === K.KIND_SET_SPEED_LIMIT) {
      const max = this.p.max_linear_speed_mps;
      const capped = d.speed_limit > max;
      this.limitSet = capped ? max : d.speed_limit;
      this.emitFor(d, ST.STATE_ACCEPTED, '', '');
      this.emitFor(
        d,
        ST.STATE_SUCCEEDED,
        capped ? 'CAPPED' : '',
        capped
          ? `asked ${d.speed_limit} m/s; capped at the profile maximum ${max} m/s`
          : d.speed_limit === 0
            ? 'speed limit cleared'
            : `speed limit ${d.speed_limit} m/s`,
        1,
      );
      this.updateSpeedLimit();
      return;
    }

    const current = this.active;
    if (current && d.priority < current.priority) {
      this.reject(
        d,
        'PRIORITY',
        `priority ${d.priority} is below the active decision '${current.id}' (${current.priority})`,
      );
      return;
    }

    switch (d.kind) {
      case K.KIND_STOP: {
        this.emitFor(d, ST.STATE_ACCEPTED, '', '');
        this.endAll(ST.STATE_CANCELED, 'STOP', `stopped by decision '${d.decision_id}'`, '', now);
        this.emitFor(d, ST.STATE_SUCCEEDED, '', 'stopped', 1);
        return;
      }
      case K.KIND_RESUME: {
        if (!current || !current.isHold) {
          this.reject(d, 'NOTHING_TO_RESUME', 'no HOLD is active');
          return;
        }
        if (this.paused && !this.mayStart(d, now)) return;
        this.emitFor(d, ST.STATE_ACCEPTED, '', '');
        this.finish(current, ST.STATE_SUCCEEDED, '', `resumed by '${d.decision_id}'`, now);
        this.emitFor(d, ST.STATE_SUCCEEDED, '', this.active ? `resumed '${this.active.id}'` : 'nothing was paused', 1);
        return;
      }
      case K.KIND_HOLD: {
        this.emitFor(d, ST.STATE_ACCEPTED, '', '');
        const hold = this.newJob(d, [], expiresAt, true);
        if (current && current.isHold) {
          this.finishQuiet(current, ST.STATE_PREEMPTED, 'HOLD', 'replaced by a newer HOLD', d.decision_id, now);
        } else if (current) {
          this.pause(current);
        }
        this.start(hold, now);
        return;
      }
      default: {
        const steps = planDecision(d, this.p);
        if (!Array.isArray(steps)) {
          this.reject(d, steps.code, steps.message);
          return;
        }
        if (!this.mayStart(d, now)) return;
        this.emitFor(d, ST.STATE_ACCEPTED, '', '');
        this.endAll(ST.STATE_PREEMPTED, 'PREEMPTED', `replaced by '${d.decision_id}'`, d.decision_id, now);
        const job = this.newJob(d, steps, expiresAt, false);
        if (d.kind === K.KIND_NAVIGATE_TO && d.speed_limit > 0) job.speedCap = d.speed_limit;
        this.start(job, now);
      }
    }
  }

  /**
   * Runs the active behaviour one control period at `now` [s] and returns the velocity for the safety
   * gate (v [m/s], w [rad/s]); zero when nothing drives.
   */
  tick(now: number): { v: number; w: number } {
    this.checkLink(now);
    let v = 0;
    let w = 0;
    const a = this.active;
    const held = this.localPause.paused;
    if (held) {
      // held for a person on site: no step runs, no expiry, no e-stop start timeout, no request
    } else if (a && a.expiresAt > 0 && now >= a.expiresAt) {
      this.finish(a, ST.STATE_EXPIRED, 'EXPIRED', 'expires_at passed while it ran', now);
    } else if (a && !a.isHold && this.guard.startRefused(now, this.p.motion_start_timeout_s)) {
      this.finish(
        a,
        ST.STATE_FAILED,
        'ESTOP',
        `the safety gate still holds its e-stop latch ${this.p.motion_start_timeout_s} s after the start ` +
          '(e-stop pressed or not reset); after the reset a new decision is needed to move',
        now,
      );
    } else if (a && !a.isHold) {
      const cmd = this.runStep(a, now);
      v = cmd.v;
      w = cmd.w;
    }
    const cur = this.active;
    if (cur && now - cur.lastStatusSec >= this.p.status_period_s) {
      if (held)
        this.emitJob(cur, ST.STATE_ACTIVE, 'LOCAL_PAUSE', `paused by a person on site (${this.localPause.by})`, now);
      else this.emitJob(cur, ST.STATE_ACTIVE, '', cur.isHold ? 'holding' : this.stepLabel(cur), now);
    }
    if (!cur && !held && now - this.lastRequestSec >= this.p.request_period_s) {
      this.request(RQ.REASON_IDLE, '', 0, 'idle', now);
    }
    this.updateSpeedLimit();
    return { v, w };
  }

  /** Empties the outbox (the node publishes what it held). */
  drain(): Outbox {
    const o = { ...this.out };
    this.out.statuses = [];
    this.out.requests = [];
    this.out.decisions = [];
    this.out.nav = [];
    this.out.motionStarts = 0;
    delete this.out.speedLimit;
    return o;
  }

  // ---- decisions

  private newJob(d: DecisionIn, steps: Step[], expiresAt: number, isHold: boolean): Job {
    return {
      id: d.decision_id,
      kind: d.kind,
      source: d.source,
      priority: d.priority,
      expiresAt,
      steps,
      index: 0,
      stepStart: 0,
      isHold,
      startDist: 0,
      bestDist: Number.POSITIVE_INFINITY,
      lastProgressSec: 0,
      stepFraction: 0,
      navToken: 0,
      navSent: false,
      lastStatusSec: Number.NEGATIVE_INFINITY,
    };
  }

  private start(job: Job, now: number): void {
    this.active = job;
    this.beginStep(job, now);
    this.emitJob(job, ST.STATE_ACTIVE, '', job.isHold ? 'holding' : this.stepLabel(job), now);
  }

  private pause(job: Job): void {
    this.cancelNav(job);
    this.paused = job;
  }

  private beginStep(job: Job, now: number): void {
    this.escortWaitSince = Number.NaN;
    this.blocked.reset();
    this.arc.reset();
    // a detour and the step it leads back to count as one step for giving way (no endless sidesteps)
    const prev = job.steps[job.index - 1];
    const cur = job.steps[job.index];
    const detour = (s: Step | undefined): boolean => s?.kind === 'navigate' && s.detour !== undefined;
    if (!detour(prev) && !detour(cur)) this.yielding.reset();
    job.stepStart = now;
    job.startDist = 0;
    job.bestDist = Number.POSITIVE_INFINITY;
    job.lastProgressSec = now;
    job.stepFraction = 0;
    job.navSent = false;
  }

  private nextStep(job: Job, now: number): void {
    job.index++;
    if (job.index >= job.steps.length) {
      this.finish(job, ST.STATE_SUCCEEDED, '', 'done', now);
      return;
    }
    this.beginStep(job, now);
    this.emitJob(job, ST.STATE_ACTIVE, '', this.stepLabel(job), now);
  }

  /** Ends `job` with a terminal state and reports it; resumes what a HOLD paused. */
  private finish(job: Job, state: number, code: string, message: string, now: number): void {
    this.finishQuiet(job, state, code, message, '', now);
    if (job.isHold && this.paused) {
      const p = this.paused;
      this.paused = undefined;
      if (p.expiresAt > 0 && now >= p.expiresAt) {
        this.finishQuiet(p, ST.STATE_EXPIRED, 'EXPIRED', 'expired while paused', '', now);
      } else if (this.guard.startNeeded) {
        this.finishQuiet(
          p,
          ST.STATE_FAILED,
          'ESTOP',
          'not resumed: an emergency stop happened while it was paused; a new decision is needed to move',
          '',
          now,
        );
      } else {
        this.active = p;
        this.beginStep(p, now);
        this.emitJob(p, ST.STATE_ACTIVE, '', `resumed: ${this.stepLabel(p)}`, now);
        return;
      }
    }
    this.afterOutcome(job, state, now);
  }

  private finishQuiet(job: Job, state: number, code: string, message: string, by: string, now: number): void {
    this.cancelNav(job);
    if (this.active === job) this.active = undefined;
    if (this.paused === job) this.paused = undefined;
    this.emitJob(job, state, code, message, now, by);
    if (state === ST.STATE_FAILED && code !== 'ESTOP') this.failures++; // an e-stop is not the plan's failure
    if (state === ST.STATE_SUCCEEDED && !job.isHold) this.failures = 0;
  }

  /** Ends the active decision and whatever it paused. */
  private endAll(state: number, code: string, message: string, by: string, now: number): void {
    const ended: Job[] = [];
    if (this.active) ended.push(this.active);
    if (this.paused) ended.push(this.paused);
    for (const j of ended) this.finishQuiet(j, state, code, message, by, now);
  }

  private afterOutcome(job: Job, state: number, now: number): void {
    if (this.fallback.pendingHold) {
      this.fallback.pendingHold = false;
      this.issueFallback(K.KIND_HOLD, now);
      return;
    }
    if (!this.active) this.request(RQ.REASON_OUTCOME, job.id, state, '', now);
  }

  private reject(d: DecisionIn, code: string, message: string): void {
    this.emitFor(d, ST.STATE_REJECTED, code, message);
  }

  /**
   * A decision `d` that needs motion is about to start. One from the cloud or an operator is the
   * deliberate start after an e-stop (one motion start goes out while the gate is latched); the local
   * fallback's own is refused after an e-stop (returns false, `ESTOP_LATCHED`).
   */
  private mayStart(d: DecisionIn, now: number): boolean {
    if (d.source === K.SOURCE_LOCAL_FALLBACK) {
      if (this.guard.mayMoveOnItsOwn) return true;
      this.reject(d, 'ESTOP_LATCHED', 'the local fallback does not start motion after an emergency stop');
      return false;
    }
    if (this.guard.deliberateStart(now)) this.out.motionStarts++;
    return true;
  }

  // ---- behaviours

  private runStep(job: Job, now: number): { v: number; w: number } {
    const step = job.steps[job.index];
    if (!step) return { v: 0, w: 0 };
    if (step.kind === 'wait') {
      job.stepFraction = step.seconds > 0 ? Math.min(1, (now - job.stepStart) / step.seconds) : 1;
      if (now - job.stepStart >= step.seconds) this.nextStep(job, now);
      return { v: 0, w: 0 };
    }
    if (step.kind === 'charge') {
      if (this.charging) this.nextStep(job, now);
      else if (now - job.stepStart > step.timeout) {
        this.finish(job, ST.STATE_FAILED, 'NOT_CHARGING', `no charging within ${step.timeout} s at the dock`, now);
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
        this.out.nav.push({ type: 'goal', token: job.navToken, goal: step.goal });
      }
      return { v: 0, w: 0 };
    }
    if (!this.pose) return { v: 0, w: 0 };
    if (step.escort) {
      if (!this.personNear) {
        if (Number.isNaN(this.escortWaitSince)) this.escortWaitSince = now;
        job.lastProgressSec = now; // waiting for the person is not a stall
        if (now - this.escortWaitSince > this.p.accompany_lost_timeout_s) {
          this.escortWaitSince = Number.NaN;
          this.finish(
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
    const c = goToGoal(this.pose, step.goal, this.ctl, cap);
    // giving way is for a robot on its way, facing its goal (not one turning round to it)
    if (!step.escort && !this.blocked.backingOff && !this.arc.active && Math.abs(c.err) < this.p.rotate_in_place_rad) {
      const give = this.yielding.step(now, this.safety, c.distance, this.speed);
      if (give.kind === 'hold') {
        job.lastProgressSec = now; // giving way is not a stall
        return { v: 0, w: 0 };
      }
      if (give.kind === 'sidestep' && this.insertDetour(job, 'keep right', this.p.yield_offset_m)) {
        job.startDist = 0;
        job.bestDist = Number.POSITIVE_INFINITY;
        job.lastProgressSec = now;
        this.emitJob(job, ST.STATE_ACTIVE, '', `giving way: ${this.stepLabel(job)}`, now);
        return { v: 0, w: 0 };
      }
    }
    if (step.detour !== undefined && this.besideDetour(step.detour)) {
      // as far aside as there is room: something on that side holds the robot slow
      this.nextStep(job, now);
      return { v: 0, w: 0 };
    }
    if (job.startDist <= 0) job.startDist = Math.max(c.distance, 1e-6);
    job.stepFraction = Math.min(1, Math.max(0, 1 - c.distance / job.startDist));
    if (c.done) {
      this.nextStep(job, now);
      return { v: 0, w: 0 };
    }
    if (c.distance < job.bestDist - 0.05 || c.distance <= this.p.goal_tolerance_m || this.safety.latched) {
      job.bestDist = c.distance;
      job.lastProgressSec = now;
    } else if ((c.v === 0 && c.w !== 0) || this.arc.active) {
      job.lastProgressSec = now; // turning in place, or through an arc, is progress
    } else if (this.p.stall_timeout_s > 0 && now - job.lastProgressSec > this.p.stall_timeout_s) {
      this.finish(job, ST.STATE_FAILED, 'STALLED', `no progress for ${this.p.stall_timeout_s} s`, now);
      return { v: 0, w: 0 };
    }
    // an arc the gate lets through only at a crawl, for something in its way, counts as refused too
    const crawl =
      this.arc.active && this.safety.limitedBy !== '' && this.safety.linearCap < 0.25 * this.p.arc_turn_speed_mps;
    return this.arc.step(now, c, this.safety.blocked || crawl, this.safety.bearing, this.safety.limitBearing);
  }

  /**
   * The blocked-step rule for a navigation step of `job` at `now`: the back-off command while one runs,
   * zero after giving up (the decision fails BLOCKED), undefined to drive normally. A Nav2 goal is
   * canceled for the back-off and sent again on the retry.
   */
  private escape(job: Job, now: number, escort: boolean): { v: number; w: number } | undefined {
    if (this.safety.latched) return undefined;
    const act = this.blocked.step(now, this.safety, escort);
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
        this.emitJob(
          job,
          ST.STATE_ACTIVE,
          '',
          `retry after back-off ${this.blocked.retries}: ${this.stepLabel(job)}`,
          now,
        );
        return undefined;
      case 'give_up':
        this.finish(job, ST.STATE_FAILED, 'BLOCKED', act.reason, now);
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
    if (!(off > 0) || !this.pose || !step || step.kind !== 'navigate' || step.detour) return false;
    const { x, y, yaw } = this.pose;
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
    const s = this.safety;
    const b = s.limitBearing;
    const d = s.limitDistance;
    if (b === undefined || d === undefined || !(side * b < -RIGHT_BEARING)) return false;
    // held slow by it, or it is already close beside (a wall the sidestep is running into)
    const braking = s.limitedBy !== '' && s.linearCap < this.p.yield_slow_share * this.p.max_linear_speed_mps;
    return braking || d < DETOUR_SIDE_M;
  }

  private cancelNav(job: Job): void {
    if (job.navSent) {
      this.out.nav.push({ type: 'cancel', token: job.navToken });
      job.navSent = false;
      job.navToken = 0;
    }
  }

  private stepLabel(job: Job): string {
    const s = job.steps[job.index];
    return s ? `step ${job.index + 1}/${job.steps.length}: ${s.label}` : '';
  }

  private progress(job: Job): number {
    if (job.isHold || job.steps.length === 0) return 0;
    return Math.min(1, (job.index + job.stepFraction) / job.steps.length);
  }

  private updateSpeedLimit(): void {
    const a = this.active;
    const step = a && !a.isHold ? a.steps[a.index] : undefined;
    const stepCap = step && step.kind === 'navigate' ? minDefined(step.speedCap, a!.speedCap) : undefined;
    let limit = this.limitSet > 0 ? this.limitSet : Number.POSITIVE_INFINITY;
    if (stepCap !== undefined) limit = Math.min(limit, stepCap);
    const value = Number.isFinite(limit) ? Math.min(limit, this.p.max_linear_speed_mps) : 0;
    if (value !== this.limitPublished) {
      this.limitPublished = value;
      this.out.speedLimit = value;
    }
  }

  // ---- link and local fallback

  private checkLink(now: number): void {
    const linkDown = !this.connected || now - this.lastUpSec > this.p.cloud_timeout_s;
    const linkLost = now - this.lastUpSec > this.p.cloud_timeout_s;
    const failing = this.failures >= this.p.max_consecutive_failures;
    const fb = this.fallback;
    if (!fb.active && (linkLost || failing)) {
      fb.active = true;
      fb.reason = linkLost
        ? `cloud link down for more than ${this.p.cloud_timeout_s} s`
        : `${this.failures} decisions failed in a row`;
      fb.since = now;
      fb.ids = [];
      fb.dockIssued = false;
      this.failures = 0;
      this.enterFallback(now);
    }
    if (
      fb.active &&
      this.p.fallback_policy === 'return_to_dock' &&
      this.batteryLow() &&
      !fb.dockIssued &&
      this.guard.mayMoveOnItsOwn
    ) {
      this.issueFallback(K.KIND_DOCK, now);
    }
    if (fb.active && !linkDown) this.reportFallback(now);
  }

  private batteryLow(): boolean {
    return Number.isFinite(this.battery) && this.battery < this.p.low_battery_fraction;
  }

  private enterFallback(now: number): void {
    const policy = this.p.fallback_policy;
    if (policy === 'return_to_dock' && this.batteryLow() && this.guard.mayMoveOnItsOwn)
      this.issueFallback(K.KIND_DOCK, now);
    else if (policy === 'finish_then_hold' && this.active && !this.active.isHold) this.fallback.pendingHold = true;
    else this.issueFallback(K.KIND_HOLD, now);
  }

  private issueFallback(kind: number, now: number): void {
    const id = `fallback-${this.newId()}`;
    if (kind === K.KIND_DOCK) this.fallback.dockIssued = true;
    const { decision: d, out } = fallbackDecision(kind, id, this.p);
    this.ownIds.add(id);
    this.fallback.ids.push(id);
    this.out.decisions.push(out);
    this.onDecision(d, now);
  }

  /** The link is back: report what the fallback did, and hand the robot back to the cloud. */
  private reportFallback(now: number): void {
    const fb = this.fallback;
    fb.active = false;
    fb.pendingHold = false;
    for (const id of fb.ids) {
      const s = this.fallbackStatuses.get(id);
      if (s) this.out.statuses.push({ ...s, message: clip(`${s.message} (reported after the link returned)`.trim()) });
    }
    // Fallback decisions no longer outrank the cloud's.
    for (const j of [this.active, this.paused]) if (j && j.source === K.SOURCE_LOCAL_FALLBACK) j.priority = 0;
    const detail = fallbackReport(this.p.fallback_policy, fb, now);
    this.request(RQ.REASON_NODE_ASKED, '', 0, detail, now);
  }

  // ---- output

  private request(reason: number, lastId: string, lastState: number, detail: string, now: number): void {
    this.lastRequestSec = now;
    this.out.requests.push({
      requestId: this.newId(),
      reason,
      lastDecisionId: lastId,
      lastState,
      detail: clip(detail),
    });
  }

  private emitFor(d: DecisionIn, state: number, code: string, message: string, progress = 0): void {
    const s: StatusOut = {
      decisionId: d.decision_id,
      kind: d.kind,
      source: d.source,
      state,
      reasonCode: code,
      message,
      progress,
      preemptedBy: '',
    };
    this.push(s);
  }

  private emitJob(job: Job, state: number, code: string, message: string, now: number, by = ''): void {
    job.lastStatusSec = now;
    const s: StatusOut = {
      decisionId: job.id,
      kind: job.kind,
      source: job.source,
      state,
      reasonCode: code,
      message,
      progress: state === ST.STATE_SUCCEEDED ? 1 : this.progress(job),
      preemptedBy: state === ST.STATE_PREEMPTED ? by : '',
    };
    job.lastStatus = s;
    this.push(s);
  }

  private push(s: StatusOut): void {
    s.message = clip(s.message);
    this.out.statuses.push(s);
    if (s.source === K.SOURCE_LOCAL_FALLBACK) this.fallbackStatuses.set(s.decisionId, s);
  }

  private remember(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 1024) this.seen.delete(this.seenOrder.shift()!);
  }
}
