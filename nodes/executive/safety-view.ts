/**
 * What the executive reads from the safety gate's SafetyState: whether an e-stop latch holds the robot,
 * whether something in the stop zone (or a person inside the separation distance) blocks it, and where
 * the nearest obstacle is. Pure.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];

/** The subset of kizuna_msgs/SafetyState read here. */
export interface SafetyIn {
  state: number;
  limiting_reason: number;
  linear_speed_cap: number;
  limiting_distance: number;
  limiting_bearing: number;
  path_clear_distance: number;
  estop_latched: boolean;
  local_pause?: boolean;
  local_pause_source?: string;
  obstacle_detected: boolean;
  nearest_obstacle_distance: number;
  nearest_obstacle_bearing: number;
  detail: string;
}

/** The gate's picture as the executive uses it. */
export interface SafetyView {
  /** An e-stop is active or latched (state ESTOP, or estop_latched): nothing moves until reset and a start. */
  latched: boolean;
  /** A person on site paused the robot through this input ('button', 'touch', ...); '' when not paused. */
  localPause: string;
  /** STOP because of an obstacle in the stop zone or a person inside the separation distance. */
  blocked: boolean;
  /** 'obstacle' or 'person' while blocked. */
  blockedBy: 'obstacle' | 'person' | '';
  /** 'obstacle' or 'person' while the gate's braking envelope limits speed (APPROACH) or stops (STOP) for one. */
  limitedBy: 'obstacle' | 'person' | '';
  /** [m/s] the gate's linear speed cap now (0 in STOP and ESTOP). */
  linearCap: number;
  /** [m], [rad] in base_link: what limits the speed (an obstacle or person, in any state); undefined otherwise. */
  limitDistance: number | undefined;
  limitBearing: number | undefined;
  /** [m] how far the robot could drive straight ahead (the gate's lookahead at most); Infinity unknown. */
  pathClear: number;
  /** [rad] bearing of the nearest obstacle in base_link (0 ahead, counter-clockwise positive); undefined when none. */
  bearing: number | undefined;
  /** [m] distance of the nearest obstacle; undefined when none. */
  distance: number | undefined;
  /** The gate's own words, for reports. */
  detail: string;
}

/** Nothing known yet: not latched, not blocked. */
export const NO_SAFETY: SafetyView = {
  latched: false,
  localPause: '',
  blocked: false,
  blockedBy: '',
  limitedBy: '',
  linearCap: Number.POSITIVE_INFINITY,
  limitDistance: undefined,
  limitBearing: undefined,
  pathClear: Number.POSITIVE_INFINITY,
  bearing: undefined,
  distance: undefined,
  detail: '',
};

/** The executive's view of one SafetyState message. */
export function safetyView(s: SafetyIn): SafetyView {
  const latched = s.state === SS.STATE_ESTOP || s.estop_latched;
  // the braking envelope (APPROACH) or a stop; the slowdown and limit zones only say something is near
  const limiting =
    s.state !== SS.STATE_APPROACH && s.state !== SS.STATE_STOP
      ? ''
      : s.limiting_reason === SS.REASON_OBSTACLE
        ? 'obstacle'
        : s.limiting_reason === SS.REASON_PERSON
          ? 'person'
          : '';
  const blockedBy = s.state === SS.STATE_STOP ? limiting : '';
  // what limits the speed is named for every state with an obstacle or person as the reason (the slowdown
  // zone's trigger included); `limitedBy` says whether it is the braking envelope or a stop
  const limits =
    !latched &&
    (s.limiting_reason === SS.REASON_OBSTACLE || s.limiting_reason === SS.REASON_PERSON) &&
    s.limiting_distance > 0 &&
    Number.isFinite(s.limiting_distance) &&
    Number.isFinite(s.limiting_bearing);
  const seen =
    s.obstacle_detected && Number.isFinite(s.nearest_obstacle_bearing) && Number.isFinite(s.nearest_obstacle_distance);
  return {
    latched,
    localPause: s.local_pause ? s.local_pause_source || 'unknown' : '',
    blocked: !latched && blockedBy !== '',
    blockedBy: latched ? '' : blockedBy,
    limitedBy: latched ? '' : limiting,
    linearCap: Number.isFinite(s.linear_speed_cap) ? s.linear_speed_cap : 0,
    ...(limits
      ? { limitDistance: s.limiting_distance, limitBearing: s.limiting_bearing }
      : { limitDistance: undefined, limitBearing: undefined }),
    pathClear:
      Number.isFinite(s.path_clear_distance) && s.path_clear_distance >= 0
        ? s.path_clear_distance
        : Number.POSITIVE_INFINITY,
    bearing: seen ? s.nearest_obstacle_bearing : undefined,
    distance: seen ? s.nearest_obstacle_distance : undefined,
    detail: s.detail,
  };
}
