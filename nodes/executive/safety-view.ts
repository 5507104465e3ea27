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
  estop_latched: boolean;
  obstacle_detected: boolean;
  nearest_obstacle_distance: number;
  nearest_obstacle_bearing: number;
  detail: string;
}

/** The gate's picture as the executive uses it. */
export interface SafetyView {
  /** An e-stop is active or latched (state ESTOP, or estop_latched): nothing moves until reset and a start. */
  latched: boolean;
  /** STOP because of an obstacle in the stop zone or a person inside the separation distance. */
  blocked: boolean;
  /** 'obstacle' or 'person' while blocked. */
  blockedBy: 'obstacle' | 'person' | '';
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
  blocked: false,
  blockedBy: '',
  bearing: undefined,
  distance: undefined,
  detail: '',
};

/** The executive's view of one SafetyState message. */
export function safetyView(s: SafetyIn): SafetyView {
  const latched = s.state === SS.STATE_ESTOP || s.estop_latched;
  const blockedBy =
    s.state !== SS.STATE_STOP
      ? ''
      : s.limiting_reason === SS.REASON_OBSTACLE
        ? 'obstacle'
        : s.limiting_reason === SS.REASON_PERSON
          ? 'person'
          : '';
  const seen =
    s.obstacle_detected && Number.isFinite(s.nearest_obstacle_bearing) && Number.isFinite(s.nearest_obstacle_distance);
  return {
    latched,
    blocked: !latched && blockedBy !== '',
    blockedBy: latched ? '' : blockedBy,
    bearing: seen ? s.nearest_obstacle_bearing : undefined,
    distance: seen ? s.nearest_obstacle_distance : undefined,
    detail: s.detail,
  };
}
