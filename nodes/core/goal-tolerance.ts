/**
 * A NAVIGATE_TO decision's own goal tolerances, carried in Decision.task_args (otherwise a TASK's field):
 * `goal_tolerance_m` and `yaw_tolerance_rad`, when the issuer asks for other ones than the executive's
 * `goal_tolerance_m` / `yaw_tolerance_rad` (a VDA 5050 node's allowedDeviationXY / allowedDeviationTheta).
 * Written by cloud_bridge, read by the executive: shared here because nodes never import each other.
 */

export const GOAL_TOLERANCE_KEY = 'goal_tolerance_m';
export const YAW_TOLERANCE_KEY = 'yaw_tolerance_rad';
/** [m] the largest position tolerance a decision may ask for (the executive parameter's own bound). */
export const MAX_GOAL_TOLERANCE_M = 5;
/** [rad] the largest heading tolerance a decision may ask for (any heading). */
export const MAX_YAW_TOLERANCE_RAD = Math.PI;

/** A goal's own tolerances; absent: the executive's. */
export interface GoalTolerance {
  /** [m] */ goalToleranceM?: number;
  /** [rad] */ yawToleranceRad?: number;
}

/** The task_args of `t` (keys sorted; none when `t` asks for nothing). */
export function encodeGoalTolerance(t: GoalTolerance): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  if (t.goalToleranceM !== undefined) out.push({ key: GOAL_TOLERANCE_KEY, value: String(t.goalToleranceM) });
  if (t.yawToleranceRad !== undefined) out.push({ key: YAW_TOLERANCE_KEY, value: String(t.yawToleranceRad) });
  return out;
}

/**
 * The tolerances a NAVIGATE_TO's task_args ask for, or why they are refused (an unknown key, a value that
 * is not a number in (0, MAX_*]).
 */
export function decodeGoalTolerance(
  args: ReadonlyArray<{ key: string; value: string }>,
): { ok: true; value: GoalTolerance } | { ok: false; error: string } {
  const value: GoalTolerance = {};
  for (const { key, value: text } of args) {
    const max =
      key === GOAL_TOLERANCE_KEY ? MAX_GOAL_TOLERANCE_M : key === YAW_TOLERANCE_KEY ? MAX_YAW_TOLERANCE_RAD : undefined;
    if (max === undefined)
      return {
        ok: false,
        error: `'${key}' is not a NAVIGATE_TO argument (${GOAL_TOLERANCE_KEY}, ${YAW_TOLERANCE_KEY})`,
      };
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max)
      return { ok: false, error: `${key} '${text}' is not a number in (0, ${max}]` };
    if (key === GOAL_TOLERANCE_KEY) value.goalToleranceM = n;
    else value.yawToleranceRad = n;
  }
  return { ok: true, value };
}
