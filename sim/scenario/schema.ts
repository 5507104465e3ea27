/** The scenario file's top-level object (before the cross-field rules of check.ts). */
import { z } from 'zod';
import { name, positive } from './common';
import { faultSchema } from './faults';
import { passSchema } from './pass';
import { personSchema } from './people';
import { plannerSchema } from './planner';
import { robotSchema } from './robots';
import { worldSchema } from './world';

// ---------------------------------------------------------------------------------------------
// The file

export const scenarioObject = z.strictObject({
  name,
  description: z.string().max(2000).optional(),
  seed: z.number().int().min(0).max(0xffffffff).default(1),
  duration_s: positive.max(86400),
  dt_s: positive.max(0.5).default(0.05),
  world: worldSchema,
  robots: z.array(robotSchema).min(1).max(10000),
  people: z.array(personSchema).default([]),
  faults: z.array(faultSchema).default([]),
  planner: plannerSchema.default({ mode: 'reference' }),
  protocol: z
    .enum(['kizuna', 'vda5050'])
    .default('kizuna')
    .describe(
      "what the robots' cloud_bridge speaks: kizuna (the planner drives them) or vda5050 (VDA 5050 2.0 for an outside master control on the run's broker; planner mode none; docs/vda5050.md)",
    ),
  pass: passSchema.default({}),
  recording: z
    .strictObject({
      mcap: z
        .string()
        .min(1)
        .max(4096)
        .optional()
        .describe(
          'record every run of this scenario into this MCAP file (relative to the current folder); --mcap wins',
        ),
    })
    .optional()
    .describe('what a run records besides its report'),
});
