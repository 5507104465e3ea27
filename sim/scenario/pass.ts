/** The scenario's `pass` criteria and their evaluation against what a run measured. */
import { z } from 'zod';
import { nonNegative } from './common';

// ---------------------------------------------------------------------------------------------
// Pass criteria

export const passSchema = z.strictObject({
  no_collisions: z.boolean().optional(),
  robot_caused_contacts_max: z.number().int().nonnegative().optional(),
  min_clearance_m: nonNegative.optional(),
  tasks_completed_at_least: z.number().int().nonnegative().optional(),
  tasks_failed_max: z.number().int().nonnegative().optional(),
  events_lost_max: z.number().int().nonnegative().optional(),
  injected_decisions_rejected: z.boolean().optional(),
  distance_travelled_at_least_m: nonNegative.optional(),
  moved_while_paused_max_m: nonNegative
    .optional()
    .describe(
      '[m] farthest any robot may move while a person holds it paused, from where it stood 1.5 s into the pause (its braking done)',
    ),
  stands_still: z
    .array(
      z.strictObject({
        robot: z.string().min(1),
        from_s: nonNegative.describe('[s] sim time'),
        to_s: nonNegative.describe('[s] sim time'),
        max_m: nonNegative.default(0.05).describe('[m] farthest it may move from where it was at from_s'),
      }),
    )
    .optional()
    .describe('the robot stays put over each window (e.g. after an e-stop reset until a new decision)'),
});

/** The pass criteria as validated. */
export type PassCriteria = z.infer<typeof passSchema>;

/** What a run measured; a criterion whose metric is missing fails as "not measured". */
export interface RunMetrics {
  collisions?: number;
  /** Contacts the robots caused (sim/contacts.ts). */
  robotCausedContacts?: number;
  minClearanceM?: number;
  tasksCompleted?: number;
  tasksFailed?: number;
  eventsLost?: number;
  injectedDecisions?: number;
  /** Injected decisions rejected with the reason their attack names (see expectedRejectReason). */
  injectedRejected?: number;
  distanceM?: number;
  /** [m] farthest a robot moved while paused (sim/local-pause.ts); undefined when no pause happened. */
  movedWhilePausedM?: number;
  /** [m] per stands_still window (same order): farthest the robot moved from its place at from_s. */
  movedInWindowsM?: Array<number | undefined>;
}

/** One criterion's verdict. */
export interface CriterionResult {
  criterion: keyof PassCriteria;
  expected: string;
  actual: string;
  pass: boolean;
}

/** Every criterion set in `pass`, checked against `m`; the run passes when all pass. */
export function evaluatePass(pass: PassCriteria, m: RunMetrics): CriterionResult[] {
  const out: CriterionResult[] = [];
  const check = (
    criterion: keyof PassCriteria,
    expected: string,
    value: number | undefined,
    ok: (v: number) => boolean,
  ) =>
    out.push({
      criterion,
      expected,
      actual: value === undefined ? 'not measured' : String(value),
      pass: value !== undefined && ok(value),
    });
  if (pass.no_collisions) check('no_collisions', '0 collisions', m.collisions, (v) => v === 0);
  if (pass.robot_caused_contacts_max !== undefined) {
    const lim = pass.robot_caused_contacts_max;
    check('robot_caused_contacts_max', `<= ${lim}`, m.robotCausedContacts, (v) => v <= lim);
  }
  if (pass.min_clearance_m !== undefined) {
    const lim = pass.min_clearance_m;
    check('min_clearance_m', `>= ${lim} m`, m.minClearanceM, (v) => v >= lim);
  }
  if (pass.tasks_completed_at_least !== undefined) {
    const lim = pass.tasks_completed_at_least;
    check('tasks_completed_at_least', `>= ${lim}`, m.tasksCompleted, (v) => v >= lim);
  }
  if (pass.tasks_failed_max !== undefined) {
    const lim = pass.tasks_failed_max;
    check('tasks_failed_max', `<= ${lim}`, m.tasksFailed, (v) => v <= lim);
  }
  if (pass.events_lost_max !== undefined) {
    const lim = pass.events_lost_max;
    check('events_lost_max', `<= ${lim}`, m.eventsLost, (v) => v <= lim);
  }
  if (pass.injected_decisions_rejected) {
    const total = m.injectedDecisions;
    check(
      'injected_decisions_rejected',
      `all ${total ?? '?'} rejected`,
      m.injectedRejected,
      (v) => total !== undefined && v === total,
    );
  }
  (pass.stands_still ?? []).forEach((w, i) => {
    check(
      'stands_still',
      `${w.robot} within ${w.max_m} m over ${w.from_s}..${w.to_s} s`,
      m.movedInWindowsM?.[i],
      (v) => v <= w.max_m,
    );
  });
  if (pass.moved_while_paused_max_m !== undefined) {
    const lim = pass.moved_while_paused_max_m;
    check('moved_while_paused_max_m', `<= ${lim} m`, m.movedWhilePausedM, (v) => v <= lim);
  }
  if (pass.distance_travelled_at_least_m !== undefined) {
    const lim = pass.distance_travelled_at_least_m;
    check('distance_travelled_at_least_m', `>= ${lim} m`, m.distanceM, (v) => v >= lim);
  }
  return out;
}
