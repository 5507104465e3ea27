/** The scenario's `world`: walls, obstacles (fixed or timed), stations. */
import { z } from 'zod';
import { PROFILE_NAMES } from '../../nodes/core/profiles';
import { name, point, polygon, pose } from './common';

// ---------------------------------------------------------------------------------------------
// World

export const wallSchema = z.strictObject({
  id: name,
  points: z.array(point).min(2).describe('polyline vertices'),
  closed: z.boolean().default(false).describe('join the last point to the first'),
});

export const obstacleSchema = z.strictObject({
  id: name,
  points: polygon.describe('closed polygon, solid inside'),
});

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
