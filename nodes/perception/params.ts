/** Parameters of perception, with units, defaults and ranges. */
import { z } from 'zod';
import { TOPICS } from '../core/topics';

const topic = (name: string, doc: string) => z.string().min(1).default(name).describe(doc);
const timeout = (def: number, what: string) =>
  z.number().min(0).max(60).default(def).describe(`[s] ${what} older than this is stale (a fault); 0: not used`);

export const paramsSchema = z
  .object({
    scan_topics: z
      .array(z.string().min(1))
      .min(1)
      .max(8)
      .default([TOPICS.scan])
      .describe('sensor_msgs/msg/LaserScan inputs'),
    scan_frames: z.array(z.string().min(1)).min(1).max(8).default(['laser']).describe('expected frame_id of each scan'),
    scan_poses: z
      .array(z.number())
      .default([0, 0, 0])
      .describe('[m, m, rad] x, y, yaw of each scan frame in base_link'),
    odom_topic: topic(TOPICS.odom, 'nav_msgs/msg/Odometry: pose and velocity'),
    battery_topic: topic(TOPICS.battery, 'sensor_msgs/msg/BatteryState'),
    imu_topic: topic(TOPICS.imu, 'sensor_msgs/msg/Imu: tilt'),
    people_topic: topic('people', 'geometry_msgs/msg/PoseArray: detected people, positions in base_link'),
    estop_topic: topic(TOPICS.estop, 'std_msgs/msg/Bool, true = e-stop asserted'),
    diagnostics_topic: topic('diagnostics', 'diagnostic_msgs/msg/DiagnosticArray: ERROR entries become faults'),
    world_summary_topic: topic(TOPICS.worldSummary, 'kizuna_msgs/msg/WorldSummary output'),
    heartbeat_topic: topic(TOPICS.heartbeat, 'std_msgs/msg/String heartbeat output'),
    base_frame: z.string().min(1).default('base_link').describe('frame of people positions'),

    rate_hz: z
      .number()
      .min(0.1)
      .max(50)
      .default(5)
      .describe('[Hz] summary rate (also published on significant change)'),
    min_interval_s: z
      .number()
      .min(0)
      .max(10)
      .default(0.05)
      .describe('[s] shortest gap between two summaries sent for significant changes'),
    obstacle_change_m: z
      .number()
      .positive()
      .max(10)
      .default(0.25)
      .describe('[m] nearest obstacle change that is significant'),
    person_change_m: z
      .number()
      .positive()
      .max(10)
      .default(0.25)
      .describe('[m] nearest person change that is significant'),
    people_radius_m: z.number().positive().max(50).default(5).describe('[m] people farther than this are not counted'),
    max_plausible_range_m: z
      .number()
      .positive()
      .max(1000)
      .default(100)
      .describe('[m] scans with a larger range_max are refused'),
    max_invalid_beam_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('[1] share of invalid beams that makes a scan blind'),
    battery_low_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('[1] state of charge below this: BATTERY_LOW (warn)'),
    battery_critical_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.08)
      .describe('[1] below this: BATTERY_CRITICAL (error)'),
    max_tilt_rad: z
      .number()
      .positive()
      .max(1.6)
      .default(0.35)
      .describe('[rad] roll or pitch beyond this: TILT (error)'),

    scan_timeout_s: timeout(0.5, 'a scan'),
    odom_timeout_s: timeout(0.5, 'odometry'),
    battery_timeout_s: timeout(5, 'battery state'),
    imu_timeout_s: timeout(0, 'IMU'),
    people_timeout_s: timeout(1, 'people detections'),
    estop_timeout_s: timeout(1, 'e-stop state'),
    heartbeat_period_s: z.number().positive().max(10).default(1.0).describe('[s] heartbeat period'),
  })
  .superRefine((p, ctx) => {
    if (p.scan_frames.length !== p.scan_topics.length) {
      ctx.addIssue({ code: 'custom', path: ['scan_frames'], message: 'needs one frame per scan topic' });
    }
    if (p.scan_poses.length !== 3 * p.scan_topics.length || !p.scan_poses.every(Number.isFinite)) {
      ctx.addIssue({ code: 'custom', path: ['scan_poses'], message: 'needs three finite numbers per scan topic' });
    }
    if (p.battery_critical_fraction > p.battery_low_fraction) {
      ctx.addIssue({ code: 'custom', path: ['battery_critical_fraction'], message: 'must be <= battery_low_fraction' });
    }
  });

export type Params = z.infer<typeof paramsSchema>;

/**
 * Parameters `ros2 param set` may change while perception runs: the summary rate (its timer is started
 * again), change thresholds, the people radius, battery and tilt limits. Everything else (topics, scan
 * geometry, source timeouts) is read-only until a restart.
 */
export const RUNTIME_SETTABLE = [
  'rate_hz',
  'min_interval_s',
  'obstacle_change_m',
  'person_change_m',
  'people_radius_m',
  'battery_low_fraction',
  'battery_critical_fraction',
  'max_tilt_rad',
] as const satisfies ReadonlyArray<keyof Params>;
