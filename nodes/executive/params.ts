/** Parameters of executive, with units, defaults and ranges. Profile values live in launch/params/*.yaml. */
import { z } from 'zod';
import { TOPICS } from '../core/topics';
import { PROFILE_NAMES } from '../core/profiles';

const topic = (name: string, doc: string) => z.string().min(1).default(name).describe(doc);
const seconds = (def: number, max: number, doc: string) =>
  z.number().min(0).max(max).default(def).describe(`[s] ${doc}`);

export const FALLBACK_POLICIES = ['hold', 'return_to_dock', 'finish_then_hold'] as const;
export type FallbackPolicy = (typeof FALLBACK_POLICIES)[number];

export const paramsSchema = z
  .object({
    profile: z.enum(PROFILE_NAMES).describe('robot profile: which tasks this robot performs (required)'),
    navigation_backend: z
      .enum(['builtin', 'nav2'])
      .default('builtin')
      .describe('builtin: go-to-goal controller for a differential base; nav2: NavigateToPose action client'),

    decision_topic: topic(TOPICS.decision, 'kizuna_msgs/msg/Decision in (and local fallback decisions out)'),
    decision_status_topic: topic(TOPICS.decisionStatus, 'kizuna_msgs/msg/DecisionStatus out'),
    decision_request_topic: topic(TOPICS.decisionRequest, 'kizuna_msgs/msg/DecisionRequest out'),
    world_summary_topic: topic(TOPICS.worldSummary, 'kizuna_msgs/msg/WorldSummary in (battery, charging)'),
    safety_state_topic: topic(TOPICS.safetyState, 'kizuna_msgs/msg/SafetyState in'),
    bridge_status_topic: topic(TOPICS.bridgeStatus, 'kizuna_msgs/msg/BridgeStatus in (cloud link)'),
    cmd_vel_topic: topic(TOPICS.cmdVelNav, 'geometry_msgs/msg/Twist out to the safety gate'),
    speed_limit_topic: topic(TOPICS.speedLimit, 'std_msgs/msg/Float32 [m/s] out to the safety gate; 0 = none'),
    odom_topic: topic(TOPICS.odom, 'nav_msgs/msg/Odometry in: the pose the built-in controller drives'),
    heartbeat_topic: topic(TOPICS.heartbeat, 'std_msgs/msg/String heartbeat out'),
    motion_start_topic: topic(
      TOPICS.motionStart,
      'std_msgs/msg/Empty out: a deliberate start after an e-stop reset, sent once for a new decision',
    ),
    nav2_action: topic('navigate_to_pose', 'nav2_msgs/action/NavigateToPose action name (nav2 backend)'),
    goal_frame: z.string().min(1).default('map').describe('frame of decision targets and of the geofence'),

    max_linear_speed_mps: z.number().positive().max(5).default(1.0).describe('[m/s] profile maximum speed'),
    max_angular_speed_rps: z.number().positive().max(10).default(1.0).describe('[rad/s] controller turn-rate cap'),
    k_linear: z.number().positive().max(10).default(0.8).describe('[1/s] speed per metre to the goal'),
    k_angular: z.number().positive().max(20).default(2.0).describe('[1/s] turn rate per radian of heading error'),
    rotate_in_place_rad: z
      .number()
      .positive()
      .max(3.2)
      .default(0.6)
      .describe('[rad] heading error that turns on the spot'),
    arc_turn_radius_m: z
      .number()
      .min(0)
      .max(10)
      .default(1.2)
      .describe('[m] turning on the spot refused by the gate: turn through a forward arc this wide instead; 0: never'),
    arc_turn_min_radius_m: z
      .number()
      .positive()
      .max(10)
      .default(0.4)
      .describe(
        '[m] the tightest arc tried when something ahead stops a wider one (about half the footprint width: tighter swings the rear backwards)',
      ),
    arc_turn_speed_mps: z.number().positive().max(1).default(0.3).describe('[m/s] forward speed along that arc'),
    arc_turn_after_s: z
      .number()
      .positive()
      .max(60)
      .default(1)
      .describe('[s] turning on the spot refused this long before the arc'),
    goal_tolerance_m: z.number().positive().max(5).default(0.1).describe('[m] position tolerance at a goal'),
    yaw_tolerance_rad: z.number().positive().max(3.2).default(0.15).describe('[rad] heading tolerance at a goal'),
    control_rate_hz: z.number().min(1).max(100).default(10).describe('[Hz] controller and bookkeeping rate'),
    stall_timeout_s: seconds(20, 600, 'no 5 cm of progress this long fails a navigation step'),
    motion_start_timeout_s: z
      .number()
      .positive()
      .max(60)
      .default(2)
      .describe('[s] the gate still latched this long after a motion start fails the decision (ESTOP)'),
    blocked_timeout_s: z
      .number()
      .positive()
      .max(600)
      .default(10)
      .describe('[s] held at STOP (obstacle or person) this long while navigating: back off, then retry'),
    backoff_s: z
      .number()
      .positive()
      .max(60)
      .default(8)
      .describe('[s] longest duration of one back-off (it ends early at backoff_clearance_m)'),
    max_blocked_retries: z
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe('back-offs per navigation step before the decision fails BLOCKED'),
    backoff_speed_mps: z.number().positive().max(0.5).default(0.1).describe('[m/s] reverse speed of a back-off'),
    backoff_turn_rps: z.number().positive().max(2).default(0.3).describe('[rad/s] turn rate of a back-off'),
    backoff_reverse: z
      .boolean()
      .default(true)
      .describe('a back-off may reverse (obstacle ahead); false: it only turns away'),
    backoff_clearance_m: z
      .number()
      .min(0)
      .max(10)
      .default(1.2)
      .describe('[m] a back-off ends early once the nearest obstacle is this far from base_link; 0: always backoff_s'),
    detour_offset_m: z
      .number()
      .min(0)
      .max(10)
      .default(1.2)
      .describe(
        '[m] after a back-off the step is retried through a waypoint this far to the right (keep right); 0: straight',
      ),
    detour_ahead_m: z
      .number()
      .min(0)
      .max(20)
      .default(1.5)
      .describe('[m] how far ahead of the robot the detour waypoint lies'),

    yield_distance_m: z
      .number()
      .min(0)
      .max(20)
      .default(6)
      .describe(
        '[m] give way (yield.ts) to something nearer than this in the path or holding the robot slow; 0: never',
      ),
    yield_slow_share: z
      .number()
      .positive()
      .max(1)
      .default(0.5)
      .describe("[1] the gate's linear cap below this share of max_linear_speed_mps counts as held slow"),
    yield_after_s: z
      .number()
      .positive()
      .max(60)
      .default(0.5)
      .describe('[s] held slow (or the path blocked) this long before giving way'),
    yield_hold_s: z
      .number()
      .positive()
      .max(60)
      .default(4)
      .describe('[s] one hold for traffic on the right front (it goes first)'),
    yield_max_hold_s: z
      .number()
      .min(0)
      .max(600)
      .default(20)
      .describe('[s] total holding per navigation step; then the robot only steps aside'),
    yield_offset_m: z
      .number()
      .min(0)
      .max(10)
      .default(0.7)
      .describe('[m] how far to the right a keep-right sidestep aims (less where something there slows the robot)'),
    yield_max_sidesteps: z
      .int()
      .min(0)
      .max(20)
      .default(2)
      .describe('keep-right sidesteps per navigation step (through a detour waypoint)'),

    geofence: z
      .array(z.number())
      .default([])
      .describe('[m] polygon x1,y1,x2,y2,... in goal_frame that goals must lie in; empty = no fence'),
    dock_pose: z.array(z.number()).default([0, 0, 0]).describe('[m, m, rad] dock approach pose x, y, yaw'),
    dock_charge_timeout_s: seconds(30, 3600, 'at the dock, wait this long for charging to start'),
    load_wait_s: seconds(5, 3600, 'wait at pickup / dropoff / load / unload poses'),
    reminder_wait_s: seconds(10, 3600, 'time spent giving a medication reminder'),
    survey_dwell_s: seconds(2, 3600, 'dwell at each survey waypoint'),
    accompany_speed_mps: z.number().positive().max(2).default(0.5).describe('[m/s] walking pace when accompanying'),
    accompany_max_gap_m: z
      .number()
      .positive()
      .max(20)
      .default(2.5)
      .describe('[m] accompanying: wait while no person is within this distance'),
    accompany_lost_timeout_s: seconds(
      30,
      3600,
      'accompanying: no person near for this long fails the task (PERSON_LOST)',
    ),
    watering_speed_mps: z.number().positive().max(2).default(0.3).describe('[m/s] speed along a row while watering'),

    cloud_timeout_s: seconds(30, 3600, 'cloud link down this long starts the local fallback'),
    max_consecutive_failures: z
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('failed decisions in a row that start the fallback'),
    fallback_policy: z
      .enum(FALLBACK_POLICIES)
      .default('hold')
      .describe('what the robot does on its own when the cloud is away'),
    low_battery_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('[1] return_to_dock below this state of charge'),
    fallback_priority: z
      .int()
      .min(0)
      .max(255)
      .default(250)
      .describe('priority of fallback decisions while the link is down'),
    request_period_s: z
      .number()
      .positive()
      .max(3600)
      .default(10)
      .describe('[s] ask for a decision this often while idle'),
    status_period_s: z.number().positive().max(60).default(1).describe('[s] DecisionStatus period while active'),
    heartbeat_period_s: z.number().positive().max(10).default(1).describe('[s] heartbeat period'),
  })
  .superRefine((p, ctx) => {
    if (p.geofence.length !== 0 && (p.geofence.length < 6 || p.geofence.length % 2 !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['geofence'], message: 'needs at least three x,y pairs (or none)' });
    }
    if (!p.geofence.every(Number.isFinite))
      ctx.addIssue({ code: 'custom', path: ['geofence'], message: 'must be finite' });
    if (p.dock_pose.length !== 3 || !p.dock_pose.every(Number.isFinite)) {
      ctx.addIssue({ code: 'custom', path: ['dock_pose'], message: 'needs three finite numbers x, y, yaw' });
    }
  });

export type Params = z.infer<typeof paramsSchema>;
