/** The scenario's `people[]`: scripted walkers. */
import { z } from 'zod';
import { coord, name, nonNegative, positive } from './common';

// ---------------------------------------------------------------------------------------------
// People

export const waypointSchema = z.strictObject({
  x: coord,
  y: coord,
  pause_s: nonNegative.optional(),
  speed_mps: positive.max(10).optional().describe('[m/s] speed of the walk from this waypoint to the next'),
});

/** How a person reacts to a robot near them (people do not avoid robots unless told to). */
export const reactSchema = z.strictObject({
  within_m: positive.max(20).describe('[m] a robot footprint this close (or closer) triggers the reaction'),
  action: z.enum(['stop', 'step_aside']).describe('stop: stand until it is farther; step_aside: move sideways'),
  aside_m: positive.max(5).default(0.8).describe('[m] how far a person steps aside'),
});

export const personSchema = z.strictObject({
  id: name,
  radius_m: positive.max(2).default(0.3),
  speed_mps: positive.max(5).default(1),
  pause_s: nonNegative.default(0),
  mode: z.enum(['once', 'loop']).default('once'),
  start_s: nonNegative.default(0),
  waypoints: z.array(waypointSchema).min(1),
  react: reactSchema.optional(),
});
