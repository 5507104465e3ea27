/**
 * Behaviours as plans: every decision the executive runs becomes a list of primitive steps (navigate,
 * wait, charge). Profile tasks from nodes/core/profiles.ts are built here from those primitives. Pure.
 */
import type { Pose2D, ProfileName } from '../core/profiles';
import type { Params } from './params';

/** One primitive. Poses in the goal frame [m, m, rad]; speeds [m/s]; durations [s]. */
export type Step =
  | {
      kind: 'navigate';
      goal: Pose2D;
      speedCap?: number;
      label: string;
      escort?: boolean;
      detour?: 1 | -1;
      /** [m] and [rad] this goal's own tolerances (a NAVIGATE_TO's task_args); absent: the parameters'. */
      goalToleranceM?: number;
      yawToleranceRad?: number;
    }
  | { kind: 'wait'; seconds: number; label: string }
  | { kind: 'charge'; timeout: number; label: string };

type TaskBuilder = (args: Record<string, unknown>, p: Params) => Step[];

const nav = (goal: Pose2D, label: string, speedCap?: number): Step =>
  speedCap === undefined ? { kind: 'navigate', goal, label } : { kind: 'navigate', goal, label, speedCap };
const wait = (seconds: number, label: string): Step => ({ kind: 'wait', seconds, label });

/**
 * Plans of every task in TASKS, by profile and task name. A test checks that each task of
 * nodes/core/profiles.ts has one.
 */
export const TASK_PLANS: Record<ProfileName, Record<string, TaskBuilder>> = {
  care: {
    // Walk the person to the destination at walking pace, waiting whenever no one is near (escort).
    accompany: (a, p) => [
      {
        ...nav(
          a.destination as Pose2D,
          'walk to destination',
          (a.max_speed as number | undefined) ?? p.accompany_speed_mps,
        ),
        escort: true,
      } as Step,
    ],
    remind_medication: (a, p) => [nav(a.room as Pose2D, 'go to room'), wait(p.reminder_wait_s, 'give reminder')],
  },
  delivery: {
    deliver_package: (a, p) => [
      nav(a.pickup as Pose2D, 'go to pickup'),
      wait(p.load_wait_s, 'load package'),
      nav(a.dropoff as Pose2D, 'go to dropoff'),
      wait(p.load_wait_s, 'hand over package'),
    ],
  },
  factory: {
    move_material: (a, p) => [
      nav(a.from as Pose2D, 'go to load station'),
      wait(p.load_wait_s, 'load'),
      nav(a.to as Pose2D, 'go to unload station'),
      wait(p.load_wait_s, 'unload'),
    ],
  },
  farm: {
    water_row: (a, p) => [
      nav(a.row_start as Pose2D, 'go to row start'),
      nav(a.row_end as Pose2D, 'water along the row', p.watering_speed_mps),
    ],
  },
  construction: {
    survey_area: (a, p) =>
      (a.waypoints as Pose2D[]).flatMap((w, i) => [
        nav(w, `go to waypoint ${i + 1}`),
        wait(p.survey_dwell_s, `survey at waypoint ${i + 1}`),
      ]),
  },
};

/** Steps of a dock: reach the approach pose, then wait for charging. */
export function dockPlan(goal: Pose2D, p: Params): Step[] {
  return [nav(goal, 'go to dock'), { kind: 'charge', timeout: p.dock_charge_timeout_s, label: 'wait for charging' }];
}

/** Every goal pose a plan visits. */
export function planGoals(steps: ReadonlyArray<Step>): Pose2D[] {
  return steps.flatMap((s) => (s.kind === 'navigate' ? [s.goal] : []));
}

export { insideGeofence } from '../core/geofence';

/** Yaw [rad] of a unit quaternion about z. */
export function yawOf(q: { x: number; y: number; z: number; w: number }): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}

/** Angle wrapped to (-pi, pi]. */
export function wrapAngle(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
