/** The scenario's `planner`: reference, scripted decisions, or none. */
import { z } from 'zod';
import { at, name, nonNegative, pose, positive, robotId } from './common';

// ---------------------------------------------------------------------------------------------
// Planner

const target = {
  station: name.optional().describe('a station name from world.stations'),
  pose: pose.optional(),
};

export const decisionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('navigate_to'),
    at_s: at,
    robot: robotId,
    ...target,
    max_speed_mps: positive.max(20).optional().describe('[m/s] speed cap for this trip'),
  }),
  z.strictObject({
    kind: z.literal('dock'),
    at_s: at,
    robot: robotId,
    station: name.optional().describe('a dock station (default: the nearest dock for the robot)'),
  }),
  z.strictObject({
    kind: z.literal('hold'),
    at_s: at,
    robot: robotId,
    duration_s: positive.optional().describe('[s] then resume (default: hold until a resume)'),
  }),
  z.strictObject({ kind: z.literal('stop'), at_s: at, robot: robotId }),
  z.strictObject({ kind: z.literal('resume'), at_s: at, robot: robotId }),
  z.strictObject({
    kind: z.literal('set_speed_limit'),
    at_s: at,
    robot: robotId,
    speed_mps: nonNegative.max(20).describe('[m/s] max linear speed until changed; 0 clears the limit'),
  }),
  z.strictObject({
    kind: z.literal('perform_task'),
    at_s: at,
    robot: robotId,
    task: z.string().min(1),
    args: z.record(z.string(), z.unknown()).default({}),
  }),
]);

/** The decision kinds a scripted planner can send (the contract's kinds, checked by a test). */
export const SCENARIO_DECISION_KINDS = decisionSchema.options.map((o) => o.shape.kind.value);

/** Key ids starting with this belong to the built-in planner's per-run key. */
export const PLANNER_KEY_PREFIX = 'sim-planner-';

/**
 * A public key every robot of the run trusts besides the built-in planner's: an outside national
 * side signs decisions with the matching private key (docs/contract.md, "Signing"). The fields are
 * the trusted keys file's `keyId` / `publicKey` in the scenario's snake_case.
 */
export const trustedKeySchema = z.strictObject({
  key_id: z
    .string()
    .min(1)
    .max(64)
    .refine((k) => !k.startsWith(PLANNER_KEY_PREFIX), `'${PLANNER_KEY_PREFIX}…' is reserved for the built-in planner`)
    .describe('the keyId decisions signed with this key name (1 to 64 characters)'),
  public_key: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'expected a raw 32-byte Ed25519 public key in base64 (44 characters ending in =)')
    .describe('raw 32-byte Ed25519 public key, base64'),
});

export const plannerSchema = z.strictObject({
  mode: z.enum(['reference', 'scripted', 'none']).default('reference'),
  decisions: z.array(decisionSchema).optional().describe('only with mode scripted'),
  trusted_keys: z
    .array(trustedKeySchema)
    .superRefine((keys, ctx) => {
      const seen = new Set<string>();
      keys.forEach((k, i) => {
        if (seen.has(k.key_id)) {
          ctx.addIssue({ code: 'custom', path: [i, 'key_id'], message: `duplicate key_id '${k.key_id}'` });
        }
        seen.add(k.key_id);
      });
    })
    .optional()
    .describe("outside keys every robot trusts besides the planner's (any mode)"),
});
