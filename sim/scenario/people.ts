/** The scenario's `people[]`: scripted walkers. */
import { z } from 'zod';
import { coord, name, nonNegative, positive } from './common';

// ---------------------------------------------------------------------------------------------
// People

export const waypointSchema = z.strictObject({ x: coord, y: coord, pause_s: nonNegative.optional() });

export const personSchema = z.strictObject({
  id: name,
  radius_m: positive.max(2).default(0.3),
  speed_mps: positive.max(5).default(1),
  pause_s: nonNegative.default(0),
  mode: z.enum(['once', 'loop']).default('once'),
  start_s: nonNegative.default(0),
  waypoints: z.array(waypointSchema).min(1),
});
