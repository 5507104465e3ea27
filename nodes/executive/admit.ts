/**
 * Admission of a decision: the checks that refuse it before it starts (REJECTED with a reason code)
 * and the plan of steps it becomes. Pure.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import { decodeTaskArgs } from '../core/profiles';
import { decodeGoalTolerance } from '../core/goal-tolerance';
import type { Params } from './params';
import { minDefined, type DecisionIn } from './outbox';
import { TASK_PLANS, dockPlan, insideGeofence, planGoals, yawOf, type Step } from './plan';

const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];

/** Why decision `d` is refused at `now` [s] before planning ([reason_code, message]), or undefined. */
export function invalidReason(d: DecisionIn, p: Params, now: number): [string, string] | undefined {
  if (d.decision_id.length === 0) return ['INVALID', 'decision_id is empty'];
  if (!(d.kind >= K.KIND_NAVIGATE_TO && d.kind <= K.KIND_TASK)) return ['INVALID', `kind ${d.kind} is not a KIND_*`];
  if (!(d.source >= K.SOURCE_CLOUD && d.source <= K.SOURCE_OPERATOR))
    return ['INVALID', `source ${d.source} is not a SOURCE_*`];
  if (!Number.isFinite(d.speed_limit) || d.speed_limit < 0)
    return ['INVALID', `speed_limit ${d.speed_limit} is not >= 0`];
  const exp = d.expires_at.sec + d.expires_at.nanosec / 1e9;
  if (exp > 0 && exp <= now)
    return ['EXPIRED', `expired at ${exp.toFixed(3)} s, before it started (now ${now.toFixed(3)} s)`];
  if (d.kind === K.KIND_NAVIGATE_TO || d.kind === K.KIND_DOCK) {
    const { position: t, orientation: q } = d.target.pose;
    if (![t.x, t.y, t.z, q.x, q.y, q.z, q.w].every(Number.isFinite)) return ['INVALID', 'target has NaN or Inf'];
    if (Math.abs(Math.hypot(q.x, q.y, q.z, q.w) - 1) > 0.01)
      return ['INVALID', 'target orientation is not a unit quaternion'];
    if (d.target.header.frame_id !== p.goal_frame) {
      return ['FRAME', `target frame '${d.target.header.frame_id}' is not '${p.goal_frame}'`];
    }
  }
  return undefined;
}

/** Why a decision is refused: its DecisionStatus reason_code and message. */
export interface Refusal {
  code: string;
  message: string;
}

/** The steps of a NAVIGATE_TO, DOCK or TASK decision, or why it is refused. */
export function planDecision(d: DecisionIn, p: Params): Step[] | Refusal {
  let steps: Step[];
  if (d.kind === K.KIND_NAVIGATE_TO || d.kind === K.KIND_DOCK) {
    const t = d.target.pose;
    const goal = { x: t.position.x, y: t.position.y, yaw: yawOf(t.orientation) };
    if (d.kind === K.KIND_DOCK) steps = dockPlan(goal, p);
    else {
      // a NAVIGATE_TO's task_args may carry its own goal tolerances (a VDA 5050 node's allowed deviations)
      const tol = decodeGoalTolerance(d.task_args);
      if (!tol.ok) return { code: 'INVALID', message: `NAVIGATE_TO: ${tol.error}` };
      steps = [{ kind: 'navigate', goal, label: 'go to target', ...tol.value }];
    }
  } else {
    const builder = (TASK_PLANS[p.profile] as Record<string, (a: Record<string, unknown>, q: Params) => Step[]>)[
      d.task_name
    ];
    if (!builder || !Object.prototype.hasOwnProperty.call(TASK_PLANS[p.profile], d.task_name)) {
      return { code: 'UNKNOWN_TASK', message: `profile '${p.profile}' has no task '${d.task_name}'` };
    }
    const args = decodeTaskArgs(p.profile, d.task_name, d.task_args);
    if (!args.success) {
      return { code: 'TASK_ARGS', message: `task '${d.task_name}': ${args.error}` };
    }
    steps = builder(args.data, p);
  }
  for (const g of planGoals(steps)) {
    if (!insideGeofence(p.geofence, g.x, g.y)) {
      return { code: 'GEOFENCE', message: `goal (${g.x.toFixed(2)}, ${g.y.toFixed(2)}) lies outside the geofence` };
    }
  }
  return steps;
}

/** Decision ids already received, the last `max` of them (a repeat is a DUPLICATE). */
export class SeenIds {
  private readonly ids = new Set<string>();
  private readonly order: string[] = [];

  constructor(private readonly max: number) {}

  /** Records `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    this.order.push(id);
    if (this.order.length > this.max) this.ids.delete(this.order.shift()!);
    return true;
  }
}

/** The speed limit in force: from SET_SPEED_LIMIT decisions and the active step's own caps. */
export class SpeedLimit {
  private set_ = 0;
  private published = -1;

  constructor(private readonly maxMps: number) {}

  /** A SET_SPEED_LIMIT of `asked` [m/s] (0 clears): its status code and message. */
  set(asked: number): { code: string; message: string } {
    const capped = asked > this.maxMps;
    this.set_ = capped ? this.maxMps : asked;
    if (capped)
      return { code: 'CAPPED', message: `asked ${asked} m/s; capped at the profile maximum ${this.maxMps} m/s` };
    return { code: '', message: asked === 0 ? 'speed limit cleared' : `speed limit ${asked} m/s` };
  }

  /** The limit [m/s] to publish for the active job (0 = none), or undefined when it did not change. */
  update(
    active: { isHold: boolean; index: number; steps: readonly Step[]; speedCap?: number } | undefined,
  ): number | undefined {
    const step = active && !active.isHold ? active.steps[active.index] : undefined;
    const stepCap = step && step.kind === 'navigate' ? minDefined(step.speedCap, active!.speedCap) : undefined;
    let limit = this.set_ > 0 ? this.set_ : Number.POSITIVE_INFINITY;
    if (stepCap !== undefined) limit = Math.min(limit, stepCap);
    const value = Number.isFinite(limit) ? Math.min(limit, this.maxMps) : 0;
    if (value === this.published) return undefined;
    this.published = value;
    return value;
  }
}
