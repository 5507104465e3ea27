/**
 * Data minimisation: what may leave the robot, per profile. Applied to every outbound payload
 * (state, events, decision requests) before it is validated and published. Pure.
 */
import type { ProfileName } from '../core/profiles';
import type { DecisionRequest, RobotEventDraft, State } from '../core/contract';

export interface DataPolicy {
  /** [m] pose in state is rounded to this; 0 withholds the pose entirely. */
  posePrecisionM: number;
  /** Send velocity in state. */
  velocity: boolean;
  /** Send the people count in state. */
  peopleCount: boolean;
  /** Send the nearest obstacle distance in state. */
  obstacle: boolean;
  /** Send free text (event `message`, request `detail`): it may carry names. */
  freeText: boolean;
  /**
   * Local pause events carry where, which input and which decision; false keeps only their count and
   * duration (a care home: where and when a resident stopped the robot is theirs).
   */
  pauseDetail: boolean;
}

/** What a profile without special care sends: everything but the pose is at full detail. */
const OPEN: Omit<DataPolicy, 'posePrecisionM'> = {
  velocity: true,
  peopleCount: true,
  obstacle: true,
  freeText: true,
  pauseDetail: true,
};

/** Built-in policies by profile (docs/contract.md "Data minimisation"); params can tighten them. */
export const PROFILE_POLICIES: Readonly<Record<ProfileName, DataPolicy>> = {
  // a care home: no free text (names), local pauses as counts and durations only
  care: { ...OPEN, posePrecisionM: 1, freeText: false, pauseDetail: false },
  factory: { ...OPEN, posePrecisionM: 0.01 },
  delivery: { ...OPEN, posePrecisionM: 0.1 },
  farm: { ...OPEN, posePrecisionM: 0.01 },
  construction: { ...OPEN, posePrecisionM: 0.01 },
};

/** `v` rounded to a multiple of `step` (> 0), without binary noise in the JSON. */
export function roundTo(v: number, step: number): number {
  const r = Math.round(v / step) * step;
  const decimals = Math.max(0, Math.ceil(-Math.log10(step)));
  return Number(r.toFixed(decimals));
}

/** The state with what `policy` withholds removed and the pose rounded. */
export function applyStatePolicy(s: State, policy: DataPolicy): State {
  const out: State = { ...s };
  if (out.pose) {
    if (policy.posePrecisionM <= 0) delete out.pose;
    else
      out.pose = [
        roundTo(out.pose[0], policy.posePrecisionM),
        roundTo(out.pose[1], policy.posePrecisionM),
        roundTo(out.pose[2], 0.001),
      ];
  }
  if (!policy.velocity) delete out.vel;
  if (!policy.peopleCount) delete out.ppl;
  if (!policy.obstacle) delete out.obs;
  return out;
}

/** The event without free text when `policy` withholds it, and a local pause event cut to what it allows. */
export function applyEventPolicy(e: RobotEventDraft, policy: DataPolicy): RobotEventDraft {
  if (e.type === 'paused_by_person' || e.type === 'resumed_by_person') {
    const { input, decisionId, pose, ...rest } = e;
    if (!policy.pauseDetail || policy.posePrecisionM <= 0 || pose === undefined)
      return policy.pauseDetail
        ? { ...rest, ...(input ? { input } : {}), ...(decisionId ? { decisionId } : {}) }
        : rest;
    const p = policy.posePrecisionM;
    return {
      ...rest,
      ...(input ? { input } : {}),
      ...(decisionId ? { decisionId } : {}),
      pose: [roundTo(pose[0], p), roundTo(pose[1], p)],
    };
  }
  if (policy.freeText || !('message' in e) || e.message === undefined) return e;
  const { message: _m, ...rest } = e;
  return rest as RobotEventDraft;
}

/** The request without free text when `policy` withholds it. */
export function applyRequestPolicy(r: DecisionRequest, policy: DataPolicy): DecisionRequest {
  if (policy.freeText || r.detail === undefined) return r;
  const { detail: _d, ...rest } = r;
  return rest;
}
