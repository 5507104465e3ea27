/** Building blocks of the scenario schema: coordinates, ids, names, points, polygons, times. */
import { z } from 'zod';
import { pose2dSchema } from '../../nodes/core/profiles';
import { polygonArea } from '../geometry';

// ---------------------------------------------------------------------------------------------
// Building blocks

/** [m] a coordinate in the map frame: within 1,000 km of the origin (keeps the world's grids finite). */
export const coord = z.number().min(-1e6).max(1e6);
export const positive = z.number().positive();
export const nonNegative = z.number().nonnegative();
export const ratio = z.number().min(0).max(1);

/** Robot ids become ROS namespaces and MQTT topic levels: letters, digits and `_`, starting with a letter. */
export const robotId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'expected a robot id: a letter, then letters, digits or _ (at most 64)');
export const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a name: letters, digits, _ . - (at most 64)');

/** A point [x, y] in metres. */
export const point = z.tuple([coord, coord]).describe('[m] [x, y] in the map frame');
export const pose = pose2dSchema;

export const polygon = z
  .array(point)
  .min(3)
  .refine((pts) => Math.abs(polygonArea(pts.map(([x, y]) => ({ x, y })))) > 1e-9, 'polygon has zero area');

export const at = nonNegative.describe('[s] sim time');
