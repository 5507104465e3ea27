/** The scenario's `faults[]`: what goes wrong and when; the timeline and the world's share of it. */
import { z } from 'zod';
import { REJECT_REASONS, type RejectReason } from '../../nodes/core/contract/schemas';
import { FAULT_SENSORS, SENSOR_FAULT_MODES } from '../sensor-faults';
import { SENSORS, type SensorName, type World } from '../world';
import { at, nonNegative, point, positive, ratio, robotId } from './common';
import type { Scenario, ScenarioFault } from './index';

// ---------------------------------------------------------------------------------------------
// Faults

/**
 * Ways an injected decision is forged or malformed: one per reason code the bridge rejects with
 * (nodes/core/contract REJECT_REASONS, in lower case), so each attack names the rejection it must get.
 */
export const DECISION_ATTACKS = REJECT_REASONS.map((r) => r.toLowerCase() as Lowercase<RejectReason>);
export type DecisionAttack = Lowercase<RejectReason>;

/** The reason code the bridge must reject an injected decision with (the attack's name in upper case). */
export function expectedRejectReason(attack: DecisionAttack): RejectReason {
  return attack.toUpperCase() as RejectReason;
}

/** A position trigger: the fault happens when `robot`'s centre comes within `within_m` of `of`. */
export const whenSchema = z.strictObject({
  robot: robotId,
  within_m: positive.max(1000).describe('[m] distance from the point'),
  of: point.describe('[m] [x, y] in the map frame'),
});
export type FaultTrigger = z.infer<typeof whenSchema>;

/** Every fault happens at `at_s` or, instead, when its `when` trigger first holds (exactly one). */
const timing = {
  at_s: at.optional(),
  when: whenSchema.optional().describe('instead of at_s: when a robot comes near a point'),
};
const lidarTopic = z
  .string()
  .regex(/^\/?[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)*$/, "expected the topic of one of the robot's lidars")
  .optional()
  .describe('one lidar of the robot (its topic); default: every lidar');
const sensor = z.enum(FAULT_SENSORS);
const duration = positive.optional().describe('[s] restore after this long (default: until sensor_restore)');

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('broker_down'), ...timing }),
  z.strictObject({ kind: z.literal('broker_up'), ...timing }),
  z.strictObject({ kind: z.literal('link_down'), ...timing, robot: robotId }),
  z.strictObject({ kind: z.literal('link_up'), ...timing, robot: robotId }),
  z.strictObject({
    kind: z.literal('sensor_dropout'),
    ...timing,
    robot: robotId,
    sensor,
    lidar: lidarTopic,
    duration_s: duration,
  }),
  z.strictObject({ kind: z.literal('sensor_restore'), ...timing, robot: robotId, sensor, lidar: lidarTopic }),
  z.strictObject({
    kind: z.literal('sensor_fault'),
    ...timing,
    robot: robotId,
    sensor,
    lidar: lidarTopic,
    mode: z.enum(SENSOR_FAULT_MODES),
    delay_s: positive.max(60).optional().describe('[s] delay: how late every message arrives'),
    fraction: ratio.optional().describe('nan / inf: share of the values (default 1: all)'),
    length: z.number().int().min(0).max(100000).optional().describe('wrong_length: ranges per scan (default half)'),
    from_rad: z.number().min(-Math.PI).max(Math.PI).optional().describe('[rad] sector: start angle, laser frame'),
    to_rad: z.number().min(-Math.PI).max(Math.PI).optional().describe('[rad] sector: end angle, laser frame'),
    range_m: nonNegative.max(1000).optional().describe('[m] sector: what blocked beams read (default +Inf)'),
    duration_s: duration,
  }),
  z.strictObject({
    kind: z.literal('odom_jump'),
    ...timing,
    robot: robotId,
    dx_m: z.number().min(-1000).max(1000).default(0),
    dy_m: z.number().min(-1000).max(1000).default(0),
    dyaw_rad: z.number().min(-10).max(10).default(0),
  }),
  z.strictObject({ kind: z.literal('estop_press'), ...timing, robot: robotId }),
  z.strictObject({ kind: z.literal('estop_release'), ...timing, robot: robotId }),
  z.strictObject({
    kind: z.enum(['local_pause', 'local_resume']),
    ...timing,
    robot: robotId,
    input: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 letters, digits, _ and -')
      .default('touch')
      .describe(
        'a person on site: "button" presses the pause button (std_msgs/Bool); any other input sends a kizuna_msgs/LocalCommand from it',
      ),
  }),
  z.strictObject({ kind: z.literal('battery_drop'), ...timing, robot: robotId, percentage: ratio }),
  z.strictObject({
    kind: z.literal('inject_decision'),
    ...timing,
    robot: robotId,
    attack: z.enum(DECISION_ATTACKS as [DecisionAttack, ...DecisionAttack[]]),
  }),
]);

/** Mode-specific rules of a sensor_fault (issues as [path within the fault, message]). */
export function sensorFaultProblems(f: Extract<ScenarioFault, { kind: 'sensor_fault' }>): Array<[string[], string]> {
  const out: Array<[string[], string]> = [];
  const scanOnly = f.mode === 'wrong_length' || f.mode === 'sector';
  if (scanOnly && f.sensor !== 'scan') out.push([['mode'], `${f.mode} applies to sensor scan only`]);
  if ((f.mode === 'nan' || f.mode === 'inf') && f.sensor === 'estop')
    out.push([['mode'], 'an e-stop (std_msgs/Bool) has no number to corrupt; use freeze, delay or sensor_dropout']);
  if (f.mode === 'delay' && f.delay_s === undefined) out.push([['delay_s'], 'required with mode delay']);
  if (f.mode === 'sector') {
    if (f.from_rad === undefined || f.to_rad === undefined) out.push([[], 'mode sector needs from_rad and to_rad']);
    else if (f.to_rad <= f.from_rad) out.push([['to_rad'], 'must be greater than from_rad']);
  }
  if (f.lidar !== undefined && f.sensor !== 'scan') out.push([['lidar'], 'only with sensor scan']);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Faults over time

type Timed<F> = F extends unknown
  ? Omit<F, 'at_s' | 'when' | 'duration_s'> & { at_s: number; duration_s?: undefined }
  : never;

/** A fault at its time (triggers resolved); a dropout or sensor fault with a duration becomes it and a restore. */
export type TimedFault = Timed<ScenarioFault>;

/** The fault as it happens at `t` [s], with its restore when it has a duration (e.g. a fired trigger). */
export function expandFault(f: ScenarioFault, t: number): TimedFault[] {
  const { when: _w, duration_s, ...rest } = f as ScenarioFault & { duration_s?: number };
  const now = { ...rest, at_s: t } as TimedFault;
  if ((f.kind === 'sensor_dropout' || f.kind === 'sensor_fault') && duration_s !== undefined) {
    const restore: TimedFault = {
      kind: 'sensor_restore',
      at_s: t + duration_s,
      robot: f.robot,
      sensor: f.sensor,
      ...(f.lidar !== undefined ? { lidar: f.lidar } : {}),
    };
    return [now, restore];
  }
  return [now];
}

/** Every fault given an `at_s`, in time order (stable for equal times), durations expanded; `when` faults are left to the shards. */
export function faultTimeline(s: Scenario): TimedFault[] {
  const out: TimedFault[] = [];
  for (const f of s.faults) if (f.at_s !== undefined) out.push(...expandFault(f, f.at_s));
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.at_s - b.f.at_s || a.i - b.i)
    .map(({ f }) => f);
}

/** The faults with a position trigger, in file order. */
export function triggeredFaults(s: Scenario): ScenarioFault[] {
  return s.faults.filter((f) => f.when !== undefined);
}

/** True when `trigger` holds for a robot at (x, y) [m]. */
export function triggerHolds(trigger: FaultTrigger, x: number, y: number): boolean {
  return Math.hypot(x - trigger.of[0], y - trigger.of[1]) <= trigger.within_m;
}

/**
 * Applies a fault that lives in the world (sensor dropout/restore, e-stop, battery drop) and returns
 * true; returns false for faults the runner owns (broker, link, injected decisions).
 */
export function applyWorldFault(world: World, f: TimedFault): boolean {
  switch (f.kind) {
    case 'sensor_dropout':
      // One lidar of several, and the people detector, are the runner's (sim/sensor-faults.ts).
      if (f.lidar !== undefined || !isWorldSensor(f.sensor)) return false;
      world.setSensorEnabled(f.robot, f.sensor, false);
      return true;
    case 'sensor_restore':
      if (isWorldSensor(f.sensor)) world.setSensorEnabled(f.robot, f.sensor, true);
      return f.lidar === undefined && isWorldSensor(f.sensor);
    case 'estop_press':
      world.setEstop(f.robot, true);
      return true;
    case 'estop_release':
      world.setEstop(f.robot, false);
      return true;
    case 'battery_drop':
      world.setBatteryPercentage(f.robot, f.percentage);
      return true;
    default:
      return false;
  }
}

function isWorldSensor(s: string): s is SensorName {
  return (SENSORS as readonly string[]).includes(s);
}
