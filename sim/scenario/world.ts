/** The scenario's `world`: walls, obstacles (fixed or timed), stations. */
import { z } from 'zod';
import { PROFILE_NAMES } from '../../nodes/core/profiles';
import { coord, name, nonNegative, point, polygon, pose, positive } from './common';

// ---------------------------------------------------------------------------------------------
// World

export const wallSchema = z.strictObject({
  id: name,
  points: z.array(point).min(2).describe('polyline vertices'),
  closed: z.boolean().default(false).describe('join the last point to the first'),
});

/** Sides of the polygon a circular obstacle becomes (circumscribed: the polygon holds the circle). */
export const CIRCLE_SIDES = 16;

/** The polygon [m] a circle obstacle is simulated as: CIRCLE_SIDES sides, circumscribed. */
export function circlePolygon(c: { x: number; y: number; radius_m: number }): Array<[number, number]> {
  const r = c.radius_m / Math.cos(Math.PI / CIRCLE_SIDES);
  return Array.from({ length: CIRCLE_SIDES }, (_, i): [number, number] => {
    const a = (2 * Math.PI * i) / CIRCLE_SIDES;
    return [c.x + r * Math.cos(a), c.y + r * Math.sin(a)];
  });
}

export const obstacleSchema = z
  .strictObject({
    id: name,
    points: polygon.optional().describe('closed polygon, solid inside'),
    circle: z
      .strictObject({ x: coord, y: coord, radius_m: positive.max(100).describe('[m] e.g. 0.015 for a 3 cm stake') })
      .optional()
      .describe('a round obstacle (a stake, a pole), instead of points'),
    appear_s: nonNegative.optional().describe('[s] sim time it appears (default: there from the start)'),
    vanish_s: positive.optional().describe('[s] sim time it vanishes (default: never)'),
  })
  .superRefine((o, ctx) => {
    if ((o.points === undefined) === (o.circle === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of points or circle' });
    }
    if (o.appear_s !== undefined && o.vanish_s !== undefined && o.vanish_s <= o.appear_s) {
      ctx.addIssue({ code: 'custom', path: ['vanish_s'], message: `must be after appear_s (${o.appear_s})` });
    }
  })
  .transform((o) => ({
    id: o.id,
    // (after a refinement issue zod may still run this; then the file is refused anyway)
    points: o.points ?? (o.circle ? circlePolygon(o.circle) : []),
    ...(o.appear_s !== undefined ? { appear_s: o.appear_s } : {}),
    ...(o.vanish_s !== undefined ? { vanish_s: o.vanish_s } : {}),
  }));

export const STATION_KINDS = [
  'dock',
  'pickup',
  'dropoff',
  'room',
  'row_start',
  'row_end',
  'survey',
  'waypoint',
] as const;

export const stationSchema = z.strictObject({
  name,
  kind: z.enum(STATION_KINDS),
  pose,
  profiles: z.array(z.enum(PROFILE_NAMES)).min(1).optional().describe('profiles that use it (default: all)'),
});

export const worldSchema = z.strictObject({
  walls: z.array(wallSchema).default([]),
  obstacles: z.array(obstacleSchema).default([]),
  stations: z.array(stationSchema).default([]),
  estop_cuts_drive: z.boolean().default(false),
});
