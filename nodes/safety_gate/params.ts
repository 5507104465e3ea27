/** Parameters of safety_gate, with units, defaults and ranges. Values per robot kind live in launch/params/*.yaml. */
import { z } from 'zod';
import { TOPICS } from '../core/topics';

const topic = (name: string, doc: string) => z.string().min(1).default(name).describe(doc);
const metres = (max: number) => z.number().min(0).max(max);

export const paramsSchema = z
  .object({
    // topics
    cmd_in_topic: topic(TOPICS.cmdVelNav, 'geometry_msgs/msg/Twist from the executive (lower priority)'),
    teleop_topic: topic(TOPICS.cmdVelTeleop, 'geometry_msgs/msg/Twist from teleop (higher priority)'),
    cmd_out_topic: topic(TOPICS.cmdVel, 'geometry_msgs/msg/Twist to the base; this node is its only publisher'),
    estop_topic: topic(TOPICS.estop, 'std_msgs/msg/Bool, true = emergency stop asserted'),
    estop_reset_topic: topic(TOPICS.estopReset, 'std_msgs/msg/Empty, explicit resume after an e-stop'),
    odom_topic: topic(TOPICS.odom, 'nav_msgs/msg/Odometry'),
    speed_limit_topic: topic(TOPICS.speedLimit, 'std_msgs/msg/Float32 [m/s] from the executive; 0 clears'),
    people_topic: topic(
      TOPICS.people,
      "geometry_msgs/msg/PoseArray: detected people in base_frame, at the detector's rate",
    ),
    motion_start_topic: topic(
      TOPICS.motionStart,
      'std_msgs/msg/Empty: a deliberate start after a reset e-stop (from the executive on a new decision, or an operator)',
    ),
    pause_button_topic: topic(
      TOPICS.pauseButton,
      'std_msgs/msg/Bool from a physical pause button: each press (false → true) pauses, or resumes a pause it made',
    ),
    local_command_topic: topic(
      TOPICS.localCommand,
      'kizuna_msgs/msg/LocalCommand from a person on site (touch screen, speech node): PAUSE or RESUME',
    ),
    safety_state_topic: topic(TOPICS.safetyState, 'kizuna_msgs/msg/SafetyState output'),
    diagnostics_topic: topic('diagnostics', 'diagnostic_msgs/msg/DiagnosticArray output (rejections, counters)'),
    heartbeat_topic: topic(TOPICS.heartbeat, 'std_msgs/msg/String heartbeat output'),
    scan_topics: z
      .array(z.string().min(1))
      .min(1)
      .max(8)
      .default([TOPICS.scan])
      .describe('sensor_msgs/msg/LaserScan inputs, one per range sensor'),
    scan_frames: z
      .array(z.string().min(1))
      .min(1)
      .max(8)
      .default(['laser'])
      .describe('expected header.frame_id of each scan topic; a scan in another frame is refused'),
    scan_poses: z
      .array(z.number())
      .default([0, 0, 0])
      .describe('[m, m, rad] x, y, yaw of each scan frame in base_link, three numbers per scan topic'),
    base_frame: z.string().min(1).default('base_link').describe('frame of SafetyState bearings'),

    // robot shape and zones
    footprint_front_m: metres(5).default(0.3).describe('[m] footprint front edge ahead of base_link'),
    footprint_rear_m: metres(5).default(0.3).describe('[m] footprint rear edge behind base_link'),
    footprint_half_width_m: metres(5).default(0.25).describe('[m] footprint half width'),
    stop_margin_m: metres(5).default(0.1).describe('[m] stop zone: footprint grown by this on every side'),
    path_lookahead_m: metres(50)
      .default(6)
      .describe('[m] SafetyState.path_clear_distance looks this far ahead (for planning, not a safety figure)'),
    slowdown_margin_m: metres(10).default(0.5).describe('[m] slowdown zone: footprint grown by this'),
    slowdown_ratio: z.number().min(0).max(1).default(0.4).describe('[1] speed factor in the slowdown zone'),
    limit_margin_m: metres(20)
      .default(0)
      .describe('[m] limit zone: footprint grown by this; absolute speed caps while anything is inside; 0 disables'),
    limit_linear_speed_mps: z.number().min(0).max(5).default(0.5).describe('[m/s] linear cap in the limit zone'),
    limit_angular_speed_rps: z.number().min(0).max(10).default(0.5).describe('[rad/s] angular cap in the limit zone'),

    // braking envelope: stop short of everything, along the path swept while stopping
    reaction_time_s: z
      .number()
      .min(0)
      .max(2)
      .default(0.25)
      .describe('[s] from a reading to braking: scan period + computing + command latency'),
    braking_decel_mps2: z
      .number()
      .positive()
      .max(20)
      .default(1.0)
      .describe('[m/s^2] linear deceleration the base achieves when the gate cuts speed (not the comfort ramp)'),
    braking_angular_decel_rps2: z
      .number()
      .positive()
      .max(40)
      .default(2.0)
      .describe('[rad/s^2] angular deceleration the base achieves when the gate cuts speed'),
    min_obstacle_width_m: metres(1)
      .default(0)
      .describe(
        '[m] narrowest object the gate must stop for: beyond width / beam spacing a scan may miss it, so the gate treats that as unknown; 0 = trust each beam up to range_max',
      ),
    creep_linear_speed_mps: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.05)
      .describe('[m/s] escape speed out of the stop zone'),
    creep_angular_speed_rps: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('[rad/s] escape turn rate out of the stop zone'),
    local_resume_sources: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 letters, digits, _ and -'))
      .max(8)
      .default([])
      .describe(
        'inputs besides the one that paused that may resume a local pause (e.g. ["touch"] lets the touch screen resume a pause made with the button); [] = only the same input',
      ),
    start_latched: z
      .boolean()
      .default(false)
      .describe(
        'start (and restart) held as after an e-stop reset: no motion until a deliberate start (kizuna/motion_start)',
      ),
    unknown_is_occupied: z
      .boolean()
      .default(true)
      .describe('places no scan covers around the footprint block motion that sweeps into them'),
    seen_free_s: z
      .number()
      .min(0)
      .max(30)
      .default(4)
      .describe('[s] a blind place a beam crossed this recently is not unknown (a front-only robot turning); 0: never'),
    seen_free_range_m: metres(6)
      .default(3)
      .describe('[m] beams mark what they crossed as seen free up to this far from the sensor'),
    // obstacle memory (odom frame)
    memory_decay_s: z
      .number()
      .min(0)
      .max(30)
      .default(2.0)
      .describe('[s] remembered obstacles last this long; 0 disables memory'),
    memory_clear_width_m: metres(0.2)
      .default(0.015)
      .describe('[m] a beam passing this close to a remembered point and returning from beyond forgets it'),
    memory_radius_m: z
      .number()
      .positive()
      .max(50)
      .default(6)
      .describe('[m] obstacles farther than this are not remembered'),
    // moving things
    track_max_radius_m: metres(5).default(1.2).describe('[m] larger lidar clusters (walls) are not tracked as movers'),
    moving_speed_mps: z
      .number()
      .positive()
      .max(5)
      .default(0.3)
      .describe('[m/s] a tracked cluster faster than this is moving'),
    track_uncertainty_mps: z
      .number()
      .min(0)
      .max(5)
      .default(0.3)
      .describe('[m/s] a mover may deviate from its measured velocity by this in any direction'),
    occlusion_gap_m: metres(20)
      .default(0.6)
      .describe('[m] a range jump this large at an edge can hide a person (a phantom at K); 0 disables'),
    occlusion_min_width_m: metres(2)
      .default(0.2)
      .describe('[m] an occluder narrower than this (a post, a stake) hides nobody: no phantom at its edges'),
    occlusion_mover_memory_s: z
      .number()
      .min(0)
      .max(60)
      .default(10)
      .describe('[s] no phantom at the edges of an object seen moving this recently (a robot that has just stopped)'),
    occlusion_range_m: metres(50).default(4).describe('[m] occlusion edges farther than this are ignored'),
    occlusion_min_speed_mps: z
      .number()
      .min(0)
      .max(0.3)
      .default(0.08)
      .describe(
        '[m/s] near an occlusion edge the robot may always creep this fast (a person stepping out meets a robot barely moving)',
      ),
    max_invalid_beam_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('[1] a scan with a larger share of NaN or below-range_min beams is refused (blind)'),
    max_plausible_range_m: z
      .number()
      .positive()
      .max(1000)
      .default(100)
      .describe('[m] a scan whose range_max exceeds this is refused'),

    // people (ISO 13855 form S = K*T + C, T the stopping time at the speed driven)
    people_enabled: z.boolean().default(true).describe('apply the people separation from people detections'),
    separation_k_mps: z
      .number()
      .min(0)
      .max(5)
      .default(1.6)
      .describe('[m/s] K: approach speed of a person (a faster measured one counts at its own speed)'),
    separation_c_m: metres(5).default(0.2).describe('[m] C: intrusion / uncertainty allowance beyond the stop margin'),
    people_radius_m: metres(2).default(0.3).describe('[m] body radius around each detected position'),
    people_accel_mps2: z
      .number()
      .min(0)
      .max(20)
      .default(2.0)
      .describe(
        '[m/s^2] a person followed over several detections closes in along their measured velocity, speeding up at most this fast (never beyond K); 0: K always',
      ),
    people_blind_speed_mps: z
      .number()
      .min(0)
      .max(5)
      .default(0.3)
      .describe('[m/s] linear cap while people information is stale or missing'),
    people_timeout_s: z
      .number()
      .positive()
      .max(10)
      .default(1.0)
      .describe('[s] people detections older than this are stale'),

    // velocity and acceleration limits
    max_linear_speed_mps: z.number().min(0).max(5).default(1.0).describe('[m/s] forward speed cap (profile max)'),
    max_reverse_speed_mps: z.number().min(0).max(5).default(0.3).describe('[m/s] reverse speed cap'),
    max_angular_speed_rps: z.number().min(0).max(10).default(1.5).describe('[rad/s] angular speed cap'),
    max_linear_accel_mps2: z.number().positive().max(10).default(0.8).describe('[m/s^2] speed-up limit'),
    max_linear_decel_mps2: z
      .number()
      .positive()
      .max(20)
      .default(1.5)
      .describe('[m/s^2] comfort limit on commanded slow-downs (safety cuts brake harder: braking_decel_mps2)'),
    max_angular_accel_rps2: z.number().positive().max(20).default(2.0).describe('[rad/s^2] angular accel limit'),

    // timeouts and rates
    source_timeout_s: z.number().positive().max(5).default(0.3).describe('[s] scan or odometry older than this: stop'),
    cmd_timeout_s: z.number().positive().max(5).default(0.5).describe('[s] no executive command this long: zero'),
    teleop_timeout_s: z.number().positive().max(5).default(0.3).describe('[s] teleop wins while fresher than this'),
    estop_timeout_s: z
      .number()
      .min(0)
      .max(10)
      .default(0.5)
      .describe('[s] e-stop publisher silent this long latches a stop; 0 disables the check'),
    control_rate_hz: z.number().min(1).max(200).default(20).describe('[Hz] re-evaluation and cmd_vel rate'),
    state_period_s: z.number().positive().max(10).default(1.0).describe('[s] SafetyState and diagnostics period'),
    heartbeat_period_s: z.number().positive().max(10).default(1.0).describe('[s] heartbeat period'),

    // lifecycle: deactivate is refused while the base moves (deactivate.ts); shutdown always proceeds
    deactivate_max_linear_mps: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe('[m/s] managed: deactivate fails while odometry shows a faster linear speed'),
    deactivate_max_angular_rps: z
      .number()
      .min(0)
      .max(2)
      .default(0.1)
      .describe('[rad/s] managed: deactivate fails while odometry shows a faster turn rate'),
  })
  .superRefine((p, ctx) => {
    if (p.scan_frames.length !== p.scan_topics.length) {
      ctx.addIssue({ code: 'custom', path: ['scan_frames'], message: 'needs one frame per scan topic' });
    }
    if (p.scan_poses.length !== 3 * p.scan_topics.length || !p.scan_poses.every(Number.isFinite)) {
      ctx.addIssue({ code: 'custom', path: ['scan_poses'], message: 'needs three finite numbers per scan topic' });
    }
    if (p.slowdown_margin_m < p.stop_margin_m) {
      ctx.addIssue({ code: 'custom', path: ['slowdown_margin_m'], message: 'must be >= stop_margin_m' });
    }
  });

export type Params = z.infer<typeof paramsSchema>;

/**
 * Parameters `ros2 param set` may change while the gate runs (speed caps, acceleration limits, zone
 * margins, people separation, timeouts); the gate rebuilds its zones on a change. Everything else
 * (topics, footprint, scan geometry, rates, the e-stop watchdog) is read-only until a restart.
 */
export const RUNTIME_SETTABLE = [
  'max_linear_speed_mps',
  'max_reverse_speed_mps',
  'max_angular_speed_rps',
  'max_linear_accel_mps2',
  'max_linear_decel_mps2',
  'max_angular_accel_rps2',
  'stop_margin_m',
  'slowdown_margin_m',
  'slowdown_ratio',
  'separation_k_mps',
  'separation_c_m',
  'people_blind_speed_mps',
  'people_timeout_s',
  'source_timeout_s',
  'cmd_timeout_s',
  'teleop_timeout_s',
] as const satisfies ReadonlyArray<keyof Params>;

/** [m] the footprint rectangle of the gate's parameters: front and rear edges along x, half width along y. */
export function footprintOf(p: Params): { front: number; rear: number; halfWidth: number } {
  return { front: p.footprint_front_m, rear: p.footprint_rear_m, halfWidth: p.footprint_half_width_m };
}
