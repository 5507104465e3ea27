/** Builders for the executive's pure-logic tests: parameters, decisions and SafetyState views. */
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';
import { paramsSchema, type Params } from '../../../nodes/executive/params';
import { Executive, K, type DecisionIn } from '../../../nodes/executive/logic';
import { safetyView, type SafetyView } from '../../../nodes/executive/safety-view';

export const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];

/** Executive parameters for the delivery profile with `over` applied. */
export function params(over: Record<string, unknown> = {}): Params {
  return paramsSchema.parse({ profile: 'delivery', ...over });
}

/** An executive at t = 0 s with the link up, at the origin facing +x, ids e1, e2, ... */
export function executive(over: Record<string, unknown> = {}): Executive {
  let n = 0;
  const e = new Executive(params(over), 0, () => `e${++n}`);
  e.onBridge(true, 0);
  e.onPose({ x: 0, y: 0, yaw: 0 });
  e.onSafety(gate(), 0);
  return e;
}

let seq = 0;
/** A decision from the cloud (priority 10, map frame) with `over` applied. */
export function decision(kind: number, over: Partial<DecisionIn> = {}, x = 5, y = 0): DecisionIn {
  return {
    decision_id: `d${++seq}`,
    kind,
    source: K.SOURCE_CLOUD,
    priority: 10,
    target: {
      header: { frame_id: 'map' },
      pose: { position: { x, y, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    },
    speed_limit: 0,
    task_name: '',
    task_args: [],
    expires_at: { sec: 0, nanosec: 0 },
    ...over,
  };
}

/**
 * The executive's view of a SafetyState (CLEAR unless told). `bearing` [rad] of an obstacle `distance` [m]
 * (0.4 unless told) away; `cap` [m/s] the linear cap (0 in STOP, else 1 unless told).
 */
export function gate(
  o: {
    state?: number;
    reason?: number;
    latched?: boolean;
    bearing?: number;
    distance?: number;
    cap?: number;
    pathClear?: number;
    detail?: string;
    /** paused by a person on site through this input */
    pausedBy?: string;
  } = {},
): SafetyView {
  const state = o.state ?? SS.STATE_CLEAR;
  return safetyView({
    state,
    limiting_reason: o.reason ?? SS.REASON_NONE,
    linear_speed_cap: o.cap ?? (state >= SS.STATE_STOP ? 0 : 1),
    limiting_distance: o.bearing !== undefined ? (o.distance ?? 0.4) : 0,
    limiting_bearing: o.bearing ?? 0,
    path_clear_distance: o.pathClear ?? 6,
    estop_latched: o.latched ?? false,
    obstacle_detected: o.bearing !== undefined,
    nearest_obstacle_distance: o.bearing !== undefined ? (o.distance ?? 0.4) : 0,
    nearest_obstacle_bearing: o.bearing ?? 0,
    detail: o.detail ?? '',
    local_pause: o.pausedBy !== undefined,
    local_pause_source: o.pausedBy ?? '',
  });
}

/** E-stop pressed: ESTOP, latched. */
export const ESTOP = (): SafetyView =>
  gate({ state: SS.STATE_ESTOP, reason: SS.REASON_ESTOP, latched: true, detail: 'e-stop asserted' });
/** Reset accepted by a gate that waits for a start (ISO 13850): still latched. */
export const WAITING_FOR_START = (): SafetyView =>
  gate({ state: SS.STATE_ESTOP, reason: SS.REASON_ESTOP, latched: true, detail: 'e-stop reset; waiting for a start' });
