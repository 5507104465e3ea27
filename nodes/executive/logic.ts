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
import { clip, minDefined, type DecisionIn, type Outbox } from './outbox';
import { NO_SAFETY, type SafetyView } from './safety-view';
import { LocalPauseView, type PauseChange } from './local-pause';
import { StartGuard } from './start-guard';
import { newJob, stepLabel, type Job } from './job';
import { StepDriver } from './drive';
import { Reports } from './reports';
import { invalidReason, planDecision } from './admit';
import { fallbackDecision, fallbackReport, type FallbackState } from './fallback';

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
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private readonly ownIds = new Set<string>();

  constructor(
    private readonly p: Params,
    startSec: number,
    private readonly newId: () => string,
  ) {
    this.lastUpSec = startSec;
    this.reports = new Reports(this.out, newId);
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
      this.reports.emitFor(d, ST.STATE_ACCEPTED, '', '');
      this.reports.emitFor(
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
      const s = this.reports.fallbackStatuses.get(id);
      if (s) this.out.statuses.push({ ...s, message: clip(`${s.message} (reported after the link returned)`.trim()) });
    }
    // Fallback decisions no longer outrank the cloud's.
    for (const j of [this.active, this.paused]) if (j && j.source === K.SOURCE_LOCAL_FALLBACK) j.priority = 0;
    const detail = fallbackReport(this.p.fallback_policy, fb, now);
    this.reports.request(RQ.REASON_NODE_ASKED, '', 0, detail, now);
  }

  private remember(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 1024) this.seen.delete(this.seenOrder.shift()!);
  }
}
