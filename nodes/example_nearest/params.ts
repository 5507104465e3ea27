/** Parameters of example_nearest, with units, defaults and ranges. */
import { z } from 'zod';

export const paramsSchema = z.object({
  scan_topic: z.string().min(1).default('scan').describe('sensor_msgs/msg/LaserScan input topic'),
  output_topic: z.string().min(1).default('~/nearest').describe('geometry_msgs/msg/PointStamped output topic'),
  max_age_s: z.number().positive().max(10).default(0.5).describe('[s] warn when no scan arrived for this long'),
  warn_every_s: z
    .number()
    .positive()
    .max(3600)
    .default(5)
    .describe('[s] at most one stale-scan warning this often (throttled, like RCLCPP_WARN_THROTTLE)'),
});

export type Params = z.infer<typeof paramsSchema>;
