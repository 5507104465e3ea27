/**
 * The cloud link as the executive watches it, and the local fallback it runs when the link is lost (or
 * decisions keep failing): its own HOLD or DOCK decisions, reported again once the link is back, then
 * the robot is handed back to the cloud with a request. Pure: time in [s].
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Params } from './params';
import { clip, type DecisionIn, type Outbox } from './outbox';
import { fallbackDecision, fallbackReport, type FallbackState } from './fallback';
import type { Job } from './job';
import type { Reports } from './reports';

const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const RQ = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionRequest'];

/** What the fallback reads from, and hands to, the executive. */
export interface LinkHost {
  /** [0..1] state of charge; NaN unknown. */
  battery(): number;
  /** No e-stop latch and no start owed: the robot may move on its own. */
  mayMoveOnItsOwn(): boolean;
  active(): Job | undefined;
  paused(): Job | undefined;
  /** Takes a decision as the executive takes any. */
  take(d: DecisionIn, now: number): void;
}

export class LinkWatch {
  readonly state: FallbackState = {
    active: false,
    reason: '',
    since: 0,
    ids: [],
    pendingHold: false,
    dockIssued: false,
  };
  /** Decisions failed in a row (an e-stop does not count). */
  failures = 0;
  /** Ids of the fallback's own decisions (their echo on the decision topic is not a duplicate). */
  readonly ownIds = new Set<string>();
  private connected = false;
  private lastUpSec: number;

  constructor(
    private readonly p: Params,
    startSec: number,
    private readonly newId: () => string,
    private readonly out: Outbox,
    private readonly reports: Reports,
    private readonly h: LinkHost,
  ) {
    this.lastUpSec = startSec;
  }

  onBridge(connected: boolean, now: number): void {
    this.connected = connected;
    if (connected) this.lastUpSec = now;
  }

  /** A job ended in `state` with `code`: counts failures in a row. */
  onEnded(state: number, code: string, isHold: boolean, failed: number, succeeded: number): void {
    if (state === failed && code !== 'ESTOP') this.failures++; // an e-stop is not the plan's failure
    if (state === succeeded && !isHold) this.failures = 0;
  }

  /** After a decision's outcome: the HOLD that finish_then_hold owes, if any (true: taken). */
  holdOwed(now: number): boolean {
    if (!this.state.pendingHold) return false;
    this.state.pendingHold = false;
    this.issue(K.KIND_HOLD, now);
    return true;
  }

  /** Watches the link and the failures at `now`: starts the fallback, sends it home on a low battery, reports it when the link is back. */
  check(now: number): void {
    const linkDown = !this.connected || now - this.lastUpSec > this.p.cloud_timeout_s;
    const linkLost = now - this.lastUpSec > this.p.cloud_timeout_s;
    const failing = this.failures >= this.p.max_consecutive_failures;
    const fb = this.state;
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
      this.h.mayMoveOnItsOwn()
    ) {
      this.issue(K.KIND_DOCK, now);
    }
    if (fb.active && !linkDown) this.reportFallback(now);
  }

  private batteryLow(): boolean {
    return Number.isFinite(this.h.battery()) && this.h.battery() < this.p.low_battery_fraction;
  }

  private enterFallback(now: number): void {
    const policy = this.p.fallback_policy;
    if (policy === 'return_to_dock' && this.batteryLow() && this.h.mayMoveOnItsOwn()) this.issue(K.KIND_DOCK, now);
    else if (policy === 'finish_then_hold' && this.h.active()?.isHold === false) this.state.pendingHold = true;
    else this.issue(K.KIND_HOLD, now);
  }

  /** Takes a fallback decision `kind` (HOLD or DOCK) at `now`: published, and handed to the executive. */
  issue(kind: number, now: number): void {
    const id = `fallback-${this.newId()}`;
    if (kind === K.KIND_DOCK) this.state.dockIssued = true;
    const { decision: d, out } = fallbackDecision(kind, id, this.p);
    this.ownIds.add(id);
    this.state.ids.push(id);
    this.out.decisions.push(out);
    this.h.take(d, now);
  }

  /** The link is back: report what the fallback did, and hand the robot back to the cloud. */
  private reportFallback(now: number): void {
    const fb = this.state;
    fb.active = false;
    fb.pendingHold = false;
    for (const id of fb.ids) {
      const s = this.reports.fallbackStatuses.get(id);
      if (s) this.out.statuses.push({ ...s, message: clip(`${s.message} (reported after the link returned)`.trim()) });
    }
    // Fallback decisions no longer outrank the cloud's.
    for (const j of [this.h.active(), this.h.paused()]) if (j && j.source === K.SOURCE_LOCAL_FALLBACK) j.priority = 0;
    const detail = fallbackReport(this.p.fallback_policy, fb, now);
    this.reports.request(RQ.REASON_NODE_ASKED, '', 0, detail, now);
  }
}
