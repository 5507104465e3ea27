/**
 * What the executive's state machine takes in and hands out: the decision fields it reads, and the
 * outbox of statuses, requests, fallback decisions, Nav2 commands, speed limits and motion starts
 * the node publishes. Pure data and small helpers.
 */
import type { Pose2D } from '../core/profiles';

/** The subset of kizuna_msgs/Decision read here (times as ROS time). */
export interface DecisionIn {
  decision_id: string;
  kind: number;
  source: number;
  priority: number;
  target: {
    header: { frame_id: string };
    pose: {
      position: { x: number; y: number; z: number };
      orientation: { x: number; y: number; z: number; w: number };
    };
  };
  speed_limit: number;
  task_name: string;
  task_args: ReadonlyArray<{ key: string; value: string }>;
  expires_at: { sec: number; nanosec: number };
}

export interface StatusOut {
  decisionId: string;
  kind: number;
  source: number;
  state: number;
  reasonCode: string;
  message: string;
  progress: number;
  preemptedBy: string;
}

export interface RequestOut {
  requestId: string;
  reason: number;
  lastDecisionId: string;
  lastState: number;
  detail: string;
}

/** A decision the executive takes itself (local fallback), to publish on the decision topic. */
export interface FallbackDecisionOut {
  decisionId: string;
  kind: number;
  priority: number;
  target?: Pose2D;
  frameId: string;
}

export type NavCommand = { type: 'goal'; token: number; goal: Pose2D } | { type: 'cancel'; token: number };

export interface Outbox {
  statuses: StatusOut[];
  requests: RequestOut[];
  decisions: FallbackDecisionOut[];
  nav: NavCommand[];
  /** How many std_msgs/Empty to publish on the motion start topic (a deliberate start after a latch). */
  motionStarts: number;
  /** Set when the speed limit to publish changed [m/s]; 0 = none. */
  speedLimit?: number;
}

/** Longest status message or request detail [characters]; the MQTT contract's free-text bound. */
export const MAX_TEXT = 256;

/** `text` cut to MAX_TEXT characters, marked with an ellipsis when cut. */
export function clip(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`;
}

/** The smaller of two optional numbers; undefined when both are. */
export function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
