/** The scenario's `robots[]`: profile, start, footprint, limits, sensors and their rates. */
import { z } from 'zod';
import { PROFILE_NAMES, type ProfileName } from '../../nodes/core/profiles';
import type { Footprint } from '../geometry';
import { PROFILE_DEFAULTS } from '../profile-defaults';
import { nonNegative, polygon, pose, positive, ratio, robotId } from './common';

// ---------------------------------------------------------------------------------------------
// Robots

export const footprintSchema = z.union([
  z.strictObject({ radius_m: positive.max(5) }),
  z.strictObject({ polygon: polygon.describe('[m] vertices in base_link') }),
]);

export const limitsSchema = z.strictObject({
  max_linear_mps: positive.max(20).optional(),
  max_reverse_mps: nonNegative.max(20).optional(),
  max_angular_radps: positive.max(20).optional(),
  linear_accel_mps2: positive.max(100).optional(),
  linear_decel_mps2: positive.max(100).optional(),
  angular_accel_radps2: positive.max(100).optional(),
});

export const lidarSchema = z.strictObject({
  beams: z.number().int().min(2).max(8192).default(180),
  angle_min_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
  angle_max_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
  range_min_m: nonNegative.default(0.12),
  range_max_m: positive.max(200).default(12),
  rate_hz: positive.max(100).default(10),
  noise_std_m: nonNegative.max(1).default(0.01),
});

/** A relative or absolute ROS 2 topic name (the robot's namespace applies to relative ones). */
const topicName = z
  .string()
  .regex(/^\/?[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)*$/, 'expected a ROS 2 topic name such as scan_front');

export const lidarLayoutSchema = z.strictObject({
  topic: topicName,
  frame: z.string().regex(/^[A-Za-z][A-Za-z0-9_/]{0,127}$/, 'expected a frame id such as laser_front'),
  mount: pose.describe('the laser frame in base_link'),
  angle_min_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
  angle_max_rad: z.number().min(-Math.PI).max(Math.PI).optional(),
});

export const odomSchema = z.strictObject({
  rate_hz: positive.max(1000).default(20),
  linear_noise_ratio: nonNegative.max(1).default(0.01),
  angular_noise_ratio: nonNegative.max(1).default(0.01),
});

export const imuSchema = z.strictObject({
  rate_hz: positive.max(1000).default(20),
  gyro_noise_std_radps: nonNegative.max(1).default(0.002),
  accel_noise_std_mps2: nonNegative.max(10).default(0.02),
});

export const batterySchema = z.strictObject({
  initial_percentage: ratio.default(1),
  rate_hz: positive.max(100).default(1),
  capacity_wh: positive.optional(),
  full_voltage_v: positive.optional(),
  empty_voltage_v: positive.optional(),
  idle_power_w: nonNegative.optional(),
  drive_power_w_per_mps: nonNegative.optional(),
  turn_power_w_per_radps: nonNegative.optional(),
  charge_power_w: nonNegative.optional(),
  dock_radius_m: positive.optional(),
});

export const robotSchema = z.strictObject({
  id: robotId,
  profile: z.enum(PROFILE_NAMES),
  start: pose,
  footprint: footprintSchema.optional(),
  limits: limitsSchema.default({}),
  lidar: lidarSchema.default(lidarSchema.parse({})),
  lidars: z.array(lidarLayoutSchema).min(1).max(8).optional(),
  odom: odomSchema.default(odomSchema.parse({})),
  imu: imuSchema.default(imuSchema.parse({})),
  battery: batterySchema.default(batterySchema.parse({})),
  cmd_timeout_s: positive.max(10).default(0.5),
  estop_rate_hz: positive.max(100).default(10).describe('[Hz] e-stop state reports (std_msgs/Bool)'),
});

export function footprintOf(fp: z.infer<typeof footprintSchema> | undefined, profile: ProfileName): Footprint {
  if (!fp) return PROFILE_DEFAULTS[profile].footprint;
  if ('radius_m' in fp) return { kind: 'circle', radius: fp.radius_m };
  return { kind: 'polygon', points: fp.polygon.map(([x, y]) => ({ x, y })) };
}
