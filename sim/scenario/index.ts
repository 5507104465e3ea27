/**
 * The scenario file format: one YAML file describes a run of the built-in simulation — the world,
 * the robots, scripted people, faults at given times or places, the planner and the pass criteria.
 * The zod schemas in this folder are the format (sim/README.md documents every field with an
 * example): `world.ts`, `robots.ts`, `people.ts`, `faults.ts`, `planner.ts`, `pass.ts`, put together
 * in `schema.ts`, with the cross-field rules in `check.ts`. Objects are strict, so a misspelled key
 * is an error, and every error names the path to the bad field
 * (`robots[2].start.yaw: expected number, received string`) and its line in the file (`errors.ts`,
 * `load.ts`).
 *
 * `scenarioWorld()` turns a validated scenario into the World's inputs (profile defaults filled in);
 * `faultTimeline()` and `applyWorldFault()` schedule faults; `evaluatePass()` checks the criteria.
 */
import type { z } from 'zod';
import { crossCheck, parseTaskArgs } from './check';
import { scenarioObject } from './schema';

/** The scenario schema (zod), cross-field rules included. */
export const scenarioSchema = scenarioObject.superRefine(crossCheck).transform(parseTaskArgs);

/** A validated scenario, defaults filled in. */
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioFault = Scenario['faults'][number];
export type ScenarioDecision = NonNullable<Scenario['planner']['decisions']>[number];
export type { PassCriteria, RunMetrics, CriterionResult } from './pass';

export { STATION_KINDS } from './world';
export { SCENARIO_DECISION_KINDS, PLANNER_KEY_PREFIX } from './planner';
export {
  DECISION_ATTACKS,
  expectedRejectReason,
  faultTimeline,
  applyWorldFault,
  expandFault,
  triggeredFaults,
  triggerHolds,
} from './faults';
export type { DecisionAttack, TimedFault, FaultTrigger } from './faults';
export { evaluatePass } from './pass';
export { formatPath, type ScenarioProblem } from './errors';
export { parseScenario, parseScenarioYaml, loadScenario } from './load';
export { scenarioWorld } from './convert';
