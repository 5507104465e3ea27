/** Parameters of black_box, with units, defaults and ranges. */
import { z } from 'zod';
import { PROFILE_NAMES } from '../core/profiles';
import { TOPICS } from '../core/topics';

const topic = (name: string, doc: string) => z.string().min(1).default(name).describe(doc);

/** Rejection reasons of the bridge that mean a decision was forged (not merely malformed or late). */
export const FORGED_REASONS = [
  'UNSIGNED',
  'UNKNOWN_KEY',
  'BAD_SIGNATURE',
  'REPLAYED',
  'WRONG_ROBOT',
  'WRONG_FLEET',
  'FLEET_MISSING',
] as const;

export const paramsSchema = z.object({
  profile: z.enum(PROFILE_NAMES).describe('robot profile: selects the data-minimisation policy (policy.ts)'),
  dir: z
    .string()
    .default('')
    .describe('folder of the incident files; empty: $XDG_STATE_HOME (or ~/.local/state)/kizuna/black_box'),
  pre_s: z.number().positive().max(300).default(20).describe('[s] kept before an incident (the ring buffer)'),
  post_s: z.number().min(0).max(120).default(5).describe('[s] recorded after an incident'),
  buffer_max_bytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024)
    .describe('[bytes] ring buffer bound (CDR bytes); the oldest messages go first'),
  capture_max_bytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024)
    .describe('[bytes] messages recorded after an incident at most; later ones are counted, not written'),
  max_files: z.number().int().min(1).max(10000).default(50).describe('[count] incident files kept on disk'),
  max_total_bytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(1024 ** 4)
    .default(512 * 1024 * 1024)
    .describe('[bytes] incident files kept on disk in all; the oldest are deleted first'),
  min_interval_s: z
    .number()
    .min(0)
    .max(3600)
    .default(10)
    .describe('[s] an incident of the same kind this soon after the last capture is counted, not captured again'),
  stop_min_speed_mps: z
    .number()
    .min(0)
    .max(10)
    .default(0.02)
    .describe('[m/s] a protective stop counts when the robot moved faster than this just before; 0: every stop'),
  fault_min_severity: z
    .number()
    .int()
    .min(1)
    .max(3)
    .default(2)
    .describe('[Fault.SEVERITY_*] a new fault this severe (2 error, 3 fatal) or a silent node is an incident'),
  startup_grace_s: z
    .number()
    .min(0)
    .max(600)
    .default(10)
    .describe('[s] after start, faults are not incidents yet (inputs coming up); one still there after it is'),
  forged_reasons: z
    .array(z.string().min(1))
    .default([...FORGED_REASONS])
    .describe('bridge rejection reasons (docs/contract.md) that count as a forged decision'),
  scan_period_s: z
    .number()
    .min(0)
    .max(10)
    .default(0.5)
    .describe('[s] scans kept at most this often per topic (downsampled); 0 keeps every scan'),
  odom_period_s: z
    .number()
    .min(0)
    .max(10)
    .default(0.1)
    .describe('[s] odometry kept at most this often; 0 keeps every message'),
  scan_topics: z.array(z.string().min(1)).default([TOPICS.scan]).describe('sensor_msgs/msg/LaserScan topics'),
  cmd_vel_in_topic: topic(TOPICS.cmdVelNav, 'geometry_msgs/msg/Twist into the safety gate'),
  cmd_vel_out_topic: topic(TOPICS.cmdVel, 'geometry_msgs/msg/Twist out of the safety gate'),
  safety_state_topic: topic(TOPICS.safetyState, 'kizuna_msgs/msg/SafetyState (stops, e-stops)'),
  world_summary_topic: topic(TOPICS.worldSummary, 'kizuna_msgs/msg/WorldSummary'),
  decision_topic: topic(TOPICS.decision, 'kizuna_msgs/msg/Decision'),
  decision_status_topic: topic(TOPICS.decisionStatus, 'kizuna_msgs/msg/DecisionStatus'),
  odom_topic: topic(TOPICS.odom, 'nav_msgs/msg/Odometry'),
  health_topic: topic(TOPICS.health, 'kizuna_msgs/msg/HealthSummary (node faults)'),
  bridge_status_topic: topic(TOPICS.bridgeStatus, 'kizuna_msgs/msg/BridgeStatus (rejected decisions)'),
  estop_topic: topic(TOPICS.estop, 'std_msgs/msg/Bool, the e-stop input'),
  bumper_topic: topic('bumper', 'std_msgs/msg/Bool, true while a bumper or contact sensor reports a collision'),
  people_topic: topic(TOPICS.people, 'geometry_msgs/msg/PoseArray people detections (positions only in care)'),
  speed_limit_topic: topic(TOPICS.speedLimit, 'std_msgs/msg/Float32 speed limit in force'),
  rosout_topic: z
    .string()
    .default('/rosout')
    .describe("rcl_interfaces/msg/Log; only this namespace's loggers are kept; empty: not recorded"),
  lifecycle_nodes: z
    .array(z.string().min(1))
    .default(['safety_gate', 'perception', 'executive', 'health', 'cloud_bridge'])
    .describe('nodes whose lifecycle transition events (<node>/transition_event) are recorded'),
  extra_topics: z
    .array(z.string().regex(/^[^\s=]+=[a-z0-9_]+\/msg\/[A-Za-z0-9]+$/, 'topic=pkg/msg/Type'))
    .default([])
    .describe('more topics to record, as topic=pkg/msg/Type; the profile policy may refuse some (images, audio)'),
  heartbeat_topic: topic(TOPICS.heartbeat, 'std_msgs/msg/String heartbeat out'),
  heartbeat_period_s: z.number().positive().max(10).default(1).describe('[s] heartbeat period'),
  tick_period_s: z.number().positive().max(5).default(0.1).describe('[s] how often a capture checks its end'),
});

export type Params = z.infer<typeof paramsSchema>;
