/**
 * The local fallback's pure parts: its bookkeeping, the decisions it takes (HOLD, or DOCK at
 * `dock_pose`), and the report sent when the link returns. The policy itself runs in logic.ts.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Params } from './params';
import { MAX_TEXT, type DecisionIn, type FallbackDecisionOut } from './outbox';

const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];

/** What the fallback did since it started. */
export interface FallbackState {
  active: boolean;
  reason: string;
  /** [s] when it started. */
  since: number;
  ids: string[];
  pendingHold: boolean;
  dockIssued: boolean;
}

/** A fallback decision `kind` (HOLD or DOCK) with id `id`: as the executive takes it, and as it is published. */
export function fallbackDecision(
  kind: number,
  id: string,
  p: Params,
): { decision: DecisionIn; out: FallbackDecisionOut } {
  const dock = p.dock_pose;
  const target = kind === K.KIND_DOCK ? { x: dock[0]!, y: dock[1]!, yaw: dock[2]! } : undefined;
  const yaw = target?.yaw ?? 0;
  const decision: DecisionIn = {
    decision_id: id,
    kind,
    source: K.SOURCE_LOCAL_FALLBACK,
    priority: p.fallback_priority,
    target: {
      header: { frame_id: p.goal_frame },
      pose: {
        position: { x: target?.x ?? 0, y: target?.y ?? 0, z: 0 },
        orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
      },
    },
    speed_limit: 0,
    task_name: '',
    task_args: [],
    expires_at: { sec: 0, nanosec: 0 },
  };
  const out: FallbackDecisionOut = {
    decisionId: id,
    kind,
    priority: p.fallback_priority,
    ...(target ? { target } : {}),
    frameId: p.goal_frame,
  };
  return { decision, out };
}

/**
 * The request detail reporting a fallback that ran until `now` [s]: policy, start and end, cause, and
 * as many decision ids as fit the contract's text bound (MAX_TEXT), the rest counted.
 */
export function fallbackReport(policy: string, fb: FallbackState, now: number): string {
  const head =
    `local fallback '${policy}' ran from ${fb.since.toFixed(1)} s to ${now.toFixed(1)} s ` +
    `(${fb.reason}); decisions: `;
  let listed = '';
  let shown = 0;
  for (const id of fb.ids) {
    const next = listed ? `${listed}, ${id}` : id;
    const rest = fb.ids.length - shown - 1;
    if (head.length + next.length + (rest > 0 ? ` +${rest} more`.length : 0) > MAX_TEXT) break;
    listed = next;
    shown++;
  }
  const more = fb.ids.length - shown;
  return head + (fb.ids.length === 0 ? 'none' : listed + (more > 0 ? `${listed ? ' ' : ''}+${more} more` : ''));
}
