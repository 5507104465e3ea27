/**
 * The executive's state machine: validated decisions in, behaviours out. Pure — every call takes the
 * time [s], effects go to an outbox the node drains (statuses, decision requests, fallback decisions,
 * Nav2 goals) and the velocity command is returned by `tick`. No ROS, no clock reads, no random ids
 * (an id source is injected).
 *
 * One decision is active at a time (a running behaviour or a HOLD); a HOLD keeps the behaviour it
 * paused. A decision of lower priority than the active one is rejected; equal or higher replaces it.
 * An e-stop abandons the running decision and only a new deliberate one moves the robot again
 * (start-guard.ts); a person's local pause holds it and refuses the cloud (local-pause.ts). Seams: this
 * file takes decisions in and runs the job state machine; drive.ts drives the current step (controller,
 * giving way, back-off, arcs; yield.ts, blocked.ts, controller.ts); link-watch.ts runs the local
 * fallback; reports.ts writes statuses and requests; job.ts is the job record; admit.ts and plan.ts
 * judge and plan a decision.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Pose2D } from '../core/profiles';
import type { Params } from './params';
import type { DecisionIn, Outbox } from './outbox';
import { NO_SAFETY, type SafetyView } from './safety-view';
import { LocalPauseView, type PauseChange } from './local-pause';
import { StartGuard } from './start-guard';
import { newJob, stepLabel, type Job } from './job';
import { StepDriver } from './drive';
import { Reports } from './reports';
import { SeenIds, SpeedLimit } from './admit';
import { invalidReason, planDecision } from './admit';
import { LinkWatch } from './link-watch';

export type { DecisionIn, FallbackDecisionOut, NavCommand, Outbox, RequestOut, StatusOut } from './outbox';
export { MAX_TEXT } from './outbox';

export const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
export const ST = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
export const RQ = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionRequest'];

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
  private readonly drive: StepDriver;
  private readonly reports: Reports;
  private personNear = false;
  private readonly limit: SpeedLimit;
  private readonly seen = new SeenIds(1024);
  private readonly link: LinkWatch;

  constructor(
    private readonly p: Params,
    startSec: number,
    private readonly newId: () => string,
  ) {
    this.reports = new Reports(this.out, newId);
    this.limit = new SpeedLimit(p.max_linear_speed_mps);
    this.link = new LinkWatch(p, startSec, newId, this.out, this.reports, {
      battery: () => this.battery,
      mayMoveOnItsOwn: () => this.guard.mayMoveOnItsOwn,
      active: () => this.active,
      paused: () => this.paused,
      take: (d, now) => this.onDecision(d, now),
    });
    this.drive = new StepDriver(p, {
      pose: () => this.pose,
      speed: () => this.speed,
      safety: () => this.safety,
      personNear: () => this.personNear,
      charging: () => this.charging,
      out: this.out,
      nextStep: (job, now) => this.nextStep(job, now),
      finish: (job, state, code, message, now) => this.finish(job, state, code, message, now),
      emitJob: (job, state, code, message, now) => this.reports.emitJob(job, state, code, message, now),
    });
  }

  /** The active decision's id and kind, for tests and logs. */
  get activeDecision(): { id: string; kind: number; priority: number; paused?: string } | undefined {
    const a = this.active;
    return a && { id: a.id, kind: a.kind, priority: a.priority, ...(this.paused ? { paused: this.paused.id } : {}) };
  }

  /** Whether the local fallback is running. */
  get inFallback(): boolean {
    return this.link.state.active;
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
      this.drive.cancelNav(a);
      this.reports.emitJob(a, ST.STATE_ACTIVE, 'LOCAL_PAUSE', `paused by a person on site (${c.source})`, now);
      return;
    }
    a.bestDist = Number.POSITIVE_INFINITY;
    a.lastProgressSec = now;
    this.drive.resetMonitors();
    this.reports.emitJob(
      a,
      ST.STATE_ACTIVE,
      'LOCAL_RESUME',
      `resumed by a person on site (${c.source}) after ${c.pausedS.toFixed(1)} s`,
      now,
    );
  }

  onBridge(connected: boolean, now: number): void {
    this.link.onBridge(connected, now);
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
    if (!this.seen.add(d.decision_id)) {
      if (!this.link.ownIds.has(d.decision_id))
        this.reject(d, 'DUPLICATE', `decision id '${d.decision_id}' was already received`);
      return;
    }
    const invalid = invalidReason(d, this.p, now);
    if (invalid) {
      this.reject(d, invalid[0], invalid[1]);
      return;
    }
    const paused = this.localPause.refusal(d.kind, d.source, now);
    if (paused) {
      this.reject(d, 'LOCAL_PAUSE', paused);
      return;
    }
    const expiresAt = d.expires_at.sec + d.expires_at.nanosec / 1e9;

    if (d.kind === K.KIND_SET_SPEED_LIMIT) {
      const r = this.limit.set(d.speed_limit);
      this.reports.emitFor(d, ST.STATE_ACCEPTED, '', '');
      this.reports.emitFor(d, ST.STATE_SUCCEEDED, r.code, r.message, 1);
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
        this.reports.emitFor(d, ST.STATE_ACCEPTED, '', '');
        this.endAll(ST.STATE_CANCELED, 'STOP', `stopped by decision '${d.decision_id}'`, '', now);
        this.reports.emitFor(d, ST.STATE_SUCCEEDED, '', 'stopped', 1);
        return;
      }
      case K.KIND_RESUME: {
        if (!current || !current.isHold) {
          this.reject(d, 'NOTHING_TO_RESUME', 'no HOLD is active');
          return;
        }
        if (this.paused && !this.mayStart(d, now)) return;
        this.reports.emitFor(d, ST.STATE_ACCEPTED, '', '');
        this.finish(current, ST.STATE_SUCCEEDED, '', `resumed by '${d.decision_id}'`, now);
        this.reports.emitFor(
          d,
          ST.STATE_SUCCEEDED,
          '',
          this.active ? `resumed '${this.active.id}'` : 'nothing was paused',
          1,
        );
        return;
      }
      case K.KIND_HOLD: {
        this.reports.emitFor(d, ST.STATE_ACCEPTED, '', '');
        const hold = newJob(d, [], expiresAt, true);
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
        this.reports.emitFor(d, ST.STATE_ACCEPTED, '', '');
        this.endAll(ST.STATE_PREEMPTED, 'PREEMPTED', `replaced by '${d.decision_id}'`, d.decision_id, now);
        const job = newJob(d, steps, expiresAt, false);
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
    this.link.check(now);
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
      const cmd = this.drive.run(a, now);
      v = cmd.v;
      w = cmd.w;
    }
    const cur = this.active;
    if (cur && now - cur.lastStatusSec >= this.p.status_period_s) {
      if (held)
        this.reports.emitJob(
          cur,
          ST.STATE_ACTIVE,
          'LOCAL_PAUSE',
          `paused by a person on site (${this.localPause.by})`,
          now,
        );
      else this.reports.emitJob(cur, ST.STATE_ACTIVE, '', cur.isHold ? 'holding' : stepLabel(cur), now);
    }
    if (!cur && !held && now - this.reports.lastRequestSec >= this.p.request_period_s) {
      this.reports.request(RQ.REASON_IDLE, '', 0, 'idle', now);
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

  private start(job: Job, now: number): void {
    this.active = job;
    this.beginStep(job, now);
    this.reports.emitJob(job, ST.STATE_ACTIVE, '', job.isHold ? 'holding' : stepLabel(job), now);
  }

  private pause(job: Job): void {
    this.drive.cancelNav(job);
    this.paused = job;
  }

  private beginStep(job: Job, now: number): void {
    this.drive.beginStep(job);
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
    this.reports.emitJob(job, ST.STATE_ACTIVE, '', stepLabel(job), now);
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
        this.reports.emitJob(p, ST.STATE_ACTIVE, '', `resumed: ${stepLabel(p)}`, now);
        return;
      }
    }
    this.afterOutcome(job, state, now);
  }

  private finishQuiet(job: Job, state: number, code: string, message: string, by: string, now: number): void {
    this.drive.cancelNav(job);
    if (this.active === job) this.active = undefined;
    if (this.paused === job) this.paused = undefined;
    this.reports.emitJob(job, state, code, message, now, by);
    this.link.onEnded(state, code, job.isHold, ST.STATE_FAILED, ST.STATE_SUCCEEDED);
  }

  /** Ends the active decision and whatever it paused. */
  private endAll(state: number, code: string, message: string, by: string, now: number): void {
    const ended: Job[] = [];
    if (this.active) ended.push(this.active);
    if (this.paused) ended.push(this.paused);
    for (const j of ended) this.finishQuiet(j, state, code, message, by, now);
  }

  private afterOutcome(job: Job, state: number, now: number): void {
    if (this.link.holdOwed(now)) return;
    if (!this.active) this.reports.request(RQ.REASON_OUTCOME, job.id, state, '', now);
  }

  private reject(d: DecisionIn, code: string, message: string): void {
    this.reports.emitFor(d, ST.STATE_REJECTED, code, message);
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

  private updateSpeedLimit(): void {
    const v = this.limit.update(this.active);
    if (v !== undefined) this.out.speedLimit = v;
  }
}
