/**
 * The VDA 5050 bridge's side toward kizuna's own nodes: the agent's commands as kizuna_msgs/Decision
 * (SOURCE_CLOUD, for the executive to judge like any decision), DecisionStatus states as the agent's
 * outcomes, and logReport's request to black_box (`~/capture`, std_srvs/Trigger). Wiring helpers for bridge.ts.
 */
import type { ServiceClient } from '../../core/graph/types';
import type { MessageOf } from '../../core/interfaces';
import { MESSAGE_CONSTANTS } from '../../core/interfaces/generated';
import { parseCaptureReply } from '../../core/black-box-capture';
import { encodeGoalTolerance } from '../../core/goal-tolerance';
import type { Command, Outcome } from './agent';

const D = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const ZERO_TIME = { sec: 0, nanosec: 0 };

/** DecisionStatus state → the agent's outcome. */
export const OUTCOMES: Record<number, Outcome> = {
  [DS.STATE_ACCEPTED]: 'accepted',
  [DS.STATE_REJECTED]: 'rejected',
  [DS.STATE_ACTIVE]: 'active',
  [DS.STATE_SUCCEEDED]: 'succeeded',
  [DS.STATE_FAILED]: 'failed',
  [DS.STATE_CANCELED]: 'canceled',
  [DS.STATE_EXPIRED]: 'expired',
  [DS.STATE_PREEMPTED]: 'preempted',
};
const KINDS: Record<Command['kind'], number> = {
  navigate: D.KIND_NAVIGATE_TO,
  dock: D.KIND_DOCK,
  hold: D.KIND_HOLD,
  resume: D.KIND_RESUME,
  stop: D.KIND_STOP,
};

/**
 * The Decision for command `c` at `stamp`: a pose in `map` for a drive or dock, the edge's speed cap, and a
 * drive's own goal tolerances (the node's allowed deviations) in task_args; no expiry.
 */
export function decisionOf(
  c: Command,
  stamp: { sec: number; nanosec: number },
  priority: number,
): MessageOf<'kizuna_msgs/msg/Decision'> {
  const pose = c.kind === 'navigate' || c.kind === 'dock' ? c : undefined;
  const yaw = pose?.yaw ?? 0;
  return {
    header: { stamp, frame_id: '' },
    decision_id: c.id,
    request_id: '',
    kind: KINDS[c.kind],
    source: D.SOURCE_CLOUD,
    priority,
    target: {
      header: { stamp, frame_id: pose ? 'map' : '' },
      pose: {
        position: { x: pose?.x ?? 0, y: pose?.y ?? 0, z: 0 },
        orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
      },
    },
    speed_limit: c.kind === 'navigate' ? c.speedLimit : 0,
    task_name: '',
    task_args: c.kind === 'navigate' ? encodeGoalTolerance(c) : [],
    issued_at: stamp,
    expires_at: ZERO_TIME,
  };
}

/**
 * logReport: asks black_box for a capture (the seconds around now, into an incident file on the robot:
 * nothing is uploaded). Resolves with the action's outcome: ok and the file, or why not (black_box absent
 * within `timeoutS` [s], refusing, or not answering). Never rejects.
 */
export async function askBlackBox(
  client: ServiceClient<'std_srvs/srv/Trigger'>,
  timeoutS: number,
): Promise<{ ok: boolean; text: string }> {
  try {
    if (!(await client.waitForService(timeoutS)))
      return { ok: false, text: `no black_box on this robot: ${client.name} not offered within ${timeoutS} s` };
    const r = await client.call({}, { timeoutSec: timeoutS });
    if (!r.success) return { ok: false, text: `black_box refused: ${r.message}` };
    const f = parseCaptureReply(r.message);
    return {
      ok: true,
      text: f ? `black_box incident ${f.id}: ${f.path} (kept on the robot)` : `black_box: ${r.message}`,
    };
  } catch (err) {
    return { ok: false, text: `black_box did not answer: ${(err as Error).message}` };
  }
}
