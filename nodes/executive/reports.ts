/**
 * What the executive reports: DecisionStatus for decisions and jobs, and DecisionRequests, into the
 * outbox the node drains; local fallback statuses kept to report once the link is back. Pure.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import { clip, type DecisionIn, type Outbox, type StatusOut } from './outbox';
import { jobProgress, type Job } from './job';

const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const ST = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];

export class Reports {
  /** The local fallback's statuses by decision id (reported again when the link returns). */
  readonly fallbackStatuses = new Map<string, StatusOut>();
  /** [s] when a decision was last requested. */
  lastRequestSec = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: Outbox,
    private readonly newId: () => string,
  ) {}

  request(reason: number, lastId: string, lastState: number, detail: string, now: number): void {
    this.lastRequestSec = now;
    this.out.requests.push({
      requestId: this.newId(),
      reason,
      lastDecisionId: lastId,
      lastState,
      detail: clip(detail),
    });
  }

  /** A status of decision `d` (before, or without, a job). */
  emitFor(d: DecisionIn, state: number, code: string, message: string, progress = 0): void {
    this.push({
      decisionId: d.decision_id,
      kind: d.kind,
      source: d.source,
      state,
      reasonCode: code,
      message,
      progress,
      preemptedBy: '',
    });
  }

  /** A status of `job` at `now`; `by` names the decision that preempted it. */
  emitJob(job: Job, state: number, code: string, message: string, now: number, by = ''): void {
    job.lastStatusSec = now;
    const s: StatusOut = {
      decisionId: job.id,
      kind: job.kind,
      source: job.source,
      state,
      reasonCode: code,
      message,
      progress: state === ST.STATE_SUCCEEDED ? 1 : jobProgress(job),
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
}
