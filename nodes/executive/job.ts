/** One decision being carried out, as the executive's state machine keeps it. Pure data and helpers. */
import type { DecisionIn, StatusOut } from './outbox';
import type { Step } from './plan';

export interface Job {
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

/** A job for decision `d`, at its first step. */
export function newJob(d: DecisionIn, steps: Step[], expiresAt: number, isHold: boolean): Job {
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

/** `step i/n: label` of the current step ('' past the end). */
export function stepLabel(job: Job): string {
  const s = job.steps[job.index];
  return s ? `step ${job.index + 1}/${job.steps.length}: ${s.label}` : '';
}

/** [0..1] how far the job is (0 for a HOLD). */
export function jobProgress(job: Job): number {
  if (job.isHold || job.steps.length === 0) return 0;
  return Math.min(1, (job.index + job.stepFraction) / job.steps.length);
}
