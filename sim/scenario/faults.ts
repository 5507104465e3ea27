/** The scenario's `faults[]`: what goes wrong and when; the timeline and the world's share of it. */
import { z } from 'zod';
import { REJECT_REASONS, type RejectReason } from '../../nodes/core/contract/schemas';
import { SENSORS, type World } from '../world';
import { at, positive, ratio, robotId } from './common';
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

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('broker_down'), at_s: at }),
  z.strictObject({ kind: z.literal('broker_up'), at_s: at }),
  z.strictObject({ kind: z.literal('link_down'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('link_up'), at_s: at, robot: robotId }),
  z.strictObject({
    kind: z.literal('sensor_dropout'),
    at_s: at,
    robot: robotId,
    sensor: z.enum(SENSORS),
    duration_s: positive.optional().describe('[s] restore after this long (default: until sensor_restore)'),
  }),
  z.strictObject({ kind: z.literal('sensor_restore'), at_s: at, robot: robotId, sensor: z.enum(SENSORS) }),
  z.strictObject({ kind: z.literal('estop_press'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('estop_release'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('battery_drop'), at_s: at, robot: robotId, percentage: ratio }),
  z.strictObject({
    kind: z.literal('inject_decision'),
    at_s: at,
    robot: robotId,
    attack: z.enum(DECISION_ATTACKS as [DecisionAttack, ...DecisionAttack[]]),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Faults over time

/** A fault at its time; a sensor dropout with a duration becomes a dropout and a restore. */
export type TimedFault =
  | Exclude<ScenarioFault, { kind: 'sensor_dropout' }>
  | (Extract<ScenarioFault, { kind: 'sensor_dropout' }> & { duration_s?: undefined });

/** Every fault in time order (stable for equal times), dropouts with a duration expanded. */
export function faultTimeline(s: Scenario): TimedFault[] {
  const out: TimedFault[] = [];
  for (const f of s.faults) {
    if (f.kind === 'sensor_dropout' && f.duration_s !== undefined) {
      out.push({ kind: 'sensor_dropout', at_s: f.at_s, robot: f.robot, sensor: f.sensor });
      out.push({ kind: 'sensor_restore', at_s: f.at_s + f.duration_s, robot: f.robot, sensor: f.sensor });
    } else out.push(f as TimedFault);
  }
  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => a.f.at_s - b.f.at_s || a.i - b.i)
    .map(({ f }) => f);
}

/**
 * Applies a fault that lives in the world (sensor dropout/restore, e-stop, battery drop) and returns
 * true; returns false for faults the runner owns (broker, link, injected decisions).
 */
export function applyWorldFault(world: World, f: TimedFault): boolean {
  switch (f.kind) {
    case 'sensor_dropout':
      world.setSensorEnabled(f.robot, f.sensor, false);
      return true;
    case 'sensor_restore':
      world.setSensorEnabled(f.robot, f.sensor, true);
      return true;
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
