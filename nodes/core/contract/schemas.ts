/**
 * Every MQTT payload of the contract as a zod schema. TypeScript types are inferred from these; the
 * JSON Schemas and the AsyncAPI document (`kizuna contract --out DIR`) are generated from them; no
 * other file builds a wire payload by hand. Field units are in each `describe`.
 *
 * Wire conventions: JSON, UTF-8; times are integer milliseconds since the Unix epoch (UTC);
 * distances in metres, angles in radians (counter-clockwise positive), speeds in m/s, fractions on
 * a 0..1 scale. Keys are camelCase, except the task arguments of `perform_task`, which keep the
 * names of nodes/core/profiles.ts.
 */
import { z } from 'zod';
import { PROFILE_NAMES, TASKS, profileNameSchema } from '../profiles';
import { topicLevelSchema } from './topics';

/** Largest magnitude any number in a decision may have (2^53 - 1); anything beyond is NUMBER_OUT_OF_RANGE. */
export const MAX_ABS_NUMBER = Number.MAX_SAFE_INTEGER;

const versionSchema = z
  .string()
  .regex(/^\d{1,4}\.\d{1,4}$/, 'MAJOR.MINOR')
  .describe('contract version "MAJOR.MINOR", e.g. "1.1"');
const epochMs = z.number().int().min(0).max(8.64e15).describe('[ms] milliseconds since the Unix epoch, UTC');
const id64 = z.string().min(1).max(64);
const coord = z.number().min(-1e6).max(1e6);
const speed = z.number().min(0).max(10);
const fraction = z.number().min(0).max(1);
const text = z.string().max(256);

/** A 2D pose in the map frame. */
export const contractPoseSchema = z
  .strictObject({
    x: coord.describe('[m] x in the map frame'),
    y: coord.describe('[m] y in the map frame'),
    yaw: z.number().min(-10).max(10).describe('[rad] heading, counter-clockwise from +x'),
  })
  .describe('a pose in the map frame');

// ---------------------------------------------------------------------------------------------
// cloud → robot: decision

/** Decision kinds (the `kind.type` values). */
export const DECISION_KINDS = [
  'navigate_to',
  'dock',
  'hold',
  'stop',
  'resume',
  'set_speed_limit',
  'perform_task',
] as const;
export type DecisionKindName = (typeof DECISION_KINDS)[number];

/** Kinds a fleet-wide broadcast may carry. */
export const BROADCAST_KINDS: ReadonlyArray<DecisionKindName> = ['hold', 'stop', 'resume', 'set_speed_limit'];

const taskKinds = PROFILE_NAMES.flatMap((profile) =>
  Object.entries(TASKS[profile]).map(([task, args]) =>
    z
      .strictObject({
        type: z.literal('perform_task'),
        profile: z.literal(profile).describe('the robot profile this task belongs to'),
        task: z.literal(task).describe('task name'),
        args: args.describe(`arguments of ${profile}/${task}`),
      })
      .describe(`perform the ${profile} task "${task}"`),
  ),
);

const performTaskSchema = z.discriminatedUnion(
  'task',
  taskKinds as unknown as [(typeof taskKinds)[number], ...(typeof taskKinds)[number][]],
);

/** What a decision asks for, discriminated by `type` (and `task` within perform_task). */
export const decisionKindSchema = z.discriminatedUnion('type', [
  z
    .strictObject({
      type: z.literal('navigate_to'),
      target: contractPoseSchema.describe('goal pose in the map frame'),
      maxSpeed: speed.optional().describe('[m/s] speed cap for this trip; absent for none'),
    })
    .describe('drive to target'),
  z
    .strictObject({
      type: z.literal('dock'),
      approach: contractPoseSchema.describe('approach pose of the docking station, map frame'),
    })
    .describe('dock at the station whose approach pose is given'),
  z.strictObject({ type: z.literal('hold') }).describe('stop and keep position; the active decision is paused'),
  z.strictObject({ type: z.literal('stop') }).describe('cancel the active decision and stop'),
  z.strictObject({ type: z.literal('resume') }).describe('continue the decision paused by hold'),
  z
    .strictObject({
      type: z.literal('set_speed_limit'),
      speedLimit: speed.describe('[m/s] max linear speed until changed; 0 clears the limit'),
    })
    .describe('apply a speed limit to all motion'),
  performTaskSchema,
]);
export type DecisionKind = z.infer<typeof decisionKindSchema>;

/**
 * A decision, cloud → robot. `keyId` and `signature` are optional in shape so that an unsigned one is
 * reported as UNSIGNED; `fleetId` likewise, so that one without it is reported as FLEET_MISSING.
 */
export const decisionSchema = z
  .strictObject({
    v: versionSchema,
    decisionId: id64.describe('unique id of this decision, e.g. a UUID; never reused'),
    robotId: z
      .union([topicLevelSchema, z.literal('*')])
      .describe('the robot it is for; "*" on the fleet broadcast topic only'),
    fleetId: topicLevelSchema
      .optional()
      .describe(
        'since 1.1: the fleet of the robot (or of the broadcast) it is for, covered by the signature; a robot refuses a decision for another fleet (WRONG_FLEET) and, unless in a migration window, one without it (FLEET_MISSING)',
      ),
    requestId: id64.optional().describe('the decision/request this answers, when it answers one'),
    issuedAt: epochMs.describe('[ms since Unix epoch, UTC] when the issuer created it'),
    expiresAt: epochMs.describe('[ms since Unix epoch, UTC] do not start or continue after this instant'),
    priority: z.number().int().min(0).max(255).describe('0 (lowest) to 255; a higher priority preempts a lower one'),
    kind: decisionKindSchema,
    keyId: id64.optional().describe('id of the Ed25519 key that signed it (required unless the robot allows unsigned)'),
    signature: z
      .string()
      .regex(/^[A-Za-z0-9+/]{86}==$/, 'base64 of 64 bytes')
      .optional()
      .describe('base64 (RFC 4648, padded) Ed25519 signature of the canonical encoding; see docs/contract.md'),
  })
  .describe('a decision for one robot of one fleet (or "*" for the whole fleet on the broadcast topic)');
export type Decision = z.infer<typeof decisionSchema>;

// ---------------------------------------------------------------------------------------------
// robot → cloud: status (birth / will / shutdown)

export const statusSchema = z
  .strictObject({
    v: versionSchema,
    robotId: topicLevelSchema.describe('this robot'),
    fleet: topicLevelSchema.describe('its fleet'),
    status: z.enum(['online', 'offline']).describe('online: the bridge is connected; offline: it is not'),
    reason: z
      .enum(['connection_lost', 'shutdown'])
      .optional()
      .describe('offline only: connection_lost (the last will, sent by the broker) or shutdown (clean exit)'),
    at: epochMs.describe(
      '[ms since Unix epoch, UTC] when the payload was built; for the will and the birth (and its repeats), when the session started',
    ),
    software: z.string().max(64).optional().describe('online only: kizuna software version'),
    profile: profileNameSchema.optional().describe('online only: robot profile'),
    capabilities: z
      .array(z.string().max(64))
      .max(64)
      .optional()
      .describe('online only: decision kinds and tasks ("perform_task:<task>") this robot accepts'),
    maxSpeed: speed.optional().describe('online only: [m/s] highest speed limit the robot accepts'),
  })
  .describe('retained presence of a robot: birth, last will and clean shutdown');
export type Status = z.infer<typeof statusSchema>;

// ---------------------------------------------------------------------------------------------
// robot → cloud: state (QoS 0, latest only, ≤ 256 bytes)

export const ROBOT_MODES = ['idle', 'executing', 'fallback', 'stopped', 'estop'] as const;
export const SAFETY_STATES = ['clear', 'approach', 'slowdown', 'stop', 'estop'] as const;
/** kizuna_msgs/SafetyState REASON_* by value (index = the message's constant). */
export const SAFETY_REASONS = [
  'none',
  'obstacle',
  'person',
  'estop',
  'source_timeout',
  'command_timeout',
  'speed_limit',
  'source_invalid',
  'local_pause',
] as const;
export const HEALTH_LEVELS = ['ok', 'warn', 'error', 'fatal'] as const;

export const stateSchema = z
  .strictObject({
    v: versionSchema,
    t: epochMs.describe('[ms since Unix epoch, UTC] when the state was sampled'),
    pose: z
      .tuple([coord, coord, z.number().min(-10).max(10)])
      .optional()
      .describe(
        '[m, m, rad] x, y, yaw in the map frame (rounded per the data policy); absent when unknown or withheld',
      ),
    vel: z
      .tuple([z.number().min(-100).max(100), z.number().min(-100).max(100)])
      .optional()
      .describe('[m/s, rad/s] forward and turn rate'),
    bat: fraction.optional().describe('[0..1] battery state of charge; absent when unknown'),
    chg: z.boolean().optional().describe('battery charging'),
    mode: z.enum(ROBOT_MODES).describe('idle, executing (a cloud decision), fallback (its own), stopped, estop'),
    safety: z.enum(SAFETY_STATES).optional().describe('safety gate state; absent when unknown'),
    dec: id64.optional().describe('decisionId being carried out'),
    prog: fraction.optional().describe('[0..1] progress of dec'),
    obs: z.number().min(0).max(1000).optional().describe('[m] nearest obstacle; absent when none in range'),
    ppl: z.number().int().min(0).max(65535).optional().describe('[count] people nearby'),
    faults: z.number().int().min(0).max(65535).describe('[count] active faults (details arrive as events)'),
    health: z.enum(HEALTH_LEVELS).optional().describe('overall health level'),
  })
  .describe('compact periodic state, at most 256 bytes');
export type State = z.infer<typeof stateSchema>;

// ---------------------------------------------------------------------------------------------
// robot → cloud: events (QoS 1, durable, per-robot seq)

/** Reason codes the bridge rejects a decision with. */
export const REJECT_REASONS = [
  'NOT_JSON',
  'OVERSIZE',
  'UNSUPPORTED_VERSION',
  'SCHEMA_INVALID',
  'NUMBER_OUT_OF_RANGE',
  'WRONG_ROBOT',
  'FLEET_MISSING',
  'WRONG_FLEET',
  'NOT_ALLOWED_IN_BROADCAST',
  'UNSIGNED',
  'UNKNOWN_KEY',
  'BAD_SIGNATURE',
  'EXPIRED',
  'FUTURE_DATED',
  'LIFETIME_TOO_LONG',
  'REPLAYED',
  'SPEED_ABOVE_PROFILE_MAX',
  'TASK_NOT_IN_PROFILE',
  'RETAINED',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const DECISION_SOURCES = ['cloud', 'broadcast', 'local_fallback', 'operator'] as const;

/** An event sequence number: from 1, one more per event of one outbox epoch. */
const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** The id of a robot's outbox (its `seq` sequence): 1 to 64 letters, digits, `_` and `-`. */
export const epochSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-", 1 to 64 characters')
  .describe(
    "since 1.2: id of the robot's outbox, made when it was created; seq starts again at 1 only with a new epoch (a new or wiped store)",
  );

const eventBase = {
  v: versionSchema,
  robotId: topicLevelSchema.describe('this robot'),
  epoch: epochSchema.optional(),
  seq: seqSchema.describe(
    'per-robot sequence number: grows by one per event, survives restarts (restarts at 1 only with a new epoch)',
  ),
  at: epochMs.describe('[ms since Unix epoch, UTC] when it happened on the robot'),
};

/** Decision lifecycle event types, from the executive's DecisionStatus. */
export const DECISION_EVENT_TYPES = [
  'decision_accepted',
  'decision_started',
  'decision_progress',
  'decision_succeeded',
  'decision_failed',
  'decision_canceled',
  'decision_expired',
  'decision_preempted',
] as const;

const decisionEvent = z
  .strictObject({
    ...eventBase,
    type: z.enum(DECISION_EVENT_TYPES),
    decisionId: id64,
    source: z.enum(DECISION_SOURCES).describe('who decided: local_fallback is the robot on its own'),
    kind: z.enum([...DECISION_KINDS, 'unknown']).describe('what the decision asked for'),
    reason: z.string().max(64).optional().describe('upper snake case code explaining the state, e.g. "GEOFENCE"'),
    message: text.optional().describe('human-readable detail (withheld by some data policies)'),
    progress: fraction.optional().describe('[0..1] fraction done'),
    preemptedBy: id64.optional().describe('decision_preempted: the decision that replaced it'),
  })
  .describe('a step in a decision lifecycle');

const rejectedEvent = z
  .strictObject({
    ...eventBase,
    type: z.literal('decision_rejected'),
    by: z
      .enum(['bridge', 'executive'])
      .describe('bridge: failed validation on arrival; executive: refused to carry it out'),
    decisionId: id64.optional().describe('absent when the payload did not yield one'),
    source: z.enum(DECISION_SOURCES).describe('cloud or broadcast for bridge rejections'),
    kind: z.enum([...DECISION_KINDS, 'unknown']).optional(),
    reason: z.string().max(64).describe('bridge: one of REJECT_REASONS; executive: its reason code'),
    message: text.optional().describe('human-readable detail, e.g. the first schema issue'),
  })
  .describe('a decision that was refused');

const rejectionsSummaryEvent = z
  .strictObject({
    ...eventBase,
    type: z.literal('rejections_summary'),
    windowMs: z.number().int().min(0).describe('[ms] length of the interval summarised'),
    counts: z.partialRecord(z.enum(REJECT_REASONS), z.number().int().min(1)).describe('[count] rejections by reason'),
  })
  .describe('under a flood: rejections beyond the per-interval event budget, counted by reason');

const safetyEvent = z
  .strictObject({
    ...eventBase,
    type: z.literal('safety'),
    state: z.enum(SAFETY_STATES),
    previous: z.enum(SAFETY_STATES).optional(),
    reason: z.enum(SAFETY_REASONS).describe('main cause of the limit'),
    linearCap: z.number().min(0).max(100).describe('[m/s] linear speed allowed now'),
  })
  .describe('the safety gate changed state (an intervention the robot made on its own)');

const faultEvent = z
  .strictObject({
    ...eventBase,
    type: z.enum(['fault_raised', 'fault_cleared']),
    code: z.string().min(1).max(64).describe('stable fault code, e.g. "LIDAR_STALE"'),
    source: z.string().max(128).describe('what reported it'),
    severity: z.enum(['warn', 'error', 'fatal']),
    message: text.optional().describe('human-readable detail (withheld by some data policies)'),
  })
  .describe('a fault became active or cleared');

const healthEvent = z
  .strictObject({
    ...eventBase,
    type: z.literal('health'),
    level: z.enum(HEALTH_LEVELS),
    previous: z.enum(HEALTH_LEVELS).optional(),
  })
  .describe('the overall health level changed');

const requestEvent = z
  .strictObject({
    ...eventBase,
    type: z.literal('decision_requested'),
    requestId: id64,
    reason: z.enum(['idle', 'outcome', 'node_asked']),
  })
  .describe('the robot asked for a decision (the request itself is on decision/request)');

const lossEvent = z
  .strictObject({
    ...eventBase,
    type: z.literal('loss'),
    droppedEvents: z.number().int().min(0).describe('[count] events dropped from the full outbox'),
    droppedRequests: z.number().int().min(0).describe('[count] decision requests dropped'),
    droppedTelemetry: z.number().int().min(0).describe('[count] telemetry-class events (progress, health) dropped'),
    droppedBytes: z.number().int().min(0).describe('[bytes] payload bytes dropped'),
    firstSeq: z.number().int().min(1).optional().describe('lowest seq dropped'),
    lastSeq: z.number().int().min(1).optional().describe('highest seq dropped'),
    floorSeq: seqSchema
      .optional()
      .describe(
        'since 1.2: no event with a lower seq will be sent again (the lowest seq the robot still held when it built this event): one you have not received by now is lost; acknowledge past it',
      ),
  })
  .describe(
    'the outbox dropped messages (counts since the last loss event), or, with all counts 0, only a floorSeq: seqs below it that the receiver lacks will never arrive',
  );

const localPauseEvent = z
  .strictObject({
    ...eventBase,
    type: z.enum(['paused_by_person', 'resumed_by_person']),
    count: z.number().int().min(1).describe('[count] local pauses since the bridge started, this one included'),
    pausedS: z.number().min(0).max(1e7).optional().describe('resumed_by_person: [s] how long the robot stood paused'),
    input: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .optional()
      .describe("which local input paused it (button, touch, speech, ...); withheld by the care profile's data policy"),
    decisionId: id64.optional().describe('the decision the pause held; withheld by the care policy'),
    pose: z
      .tuple([coord, coord])
      .optional()
      .describe('[m] where, in the map frame, rounded as the state pose; withheld by the care policy'),
  })
  .describe(
    'since 1.3: a person on site paused the robot, or resumed it (no decision from the cloud can do either): where and for how long robots make people uneasy',
  );

export const eventSchema = z
  .discriminatedUnion('type', [
    localPauseEvent,
    decisionEvent,
    rejectedEvent,
    rejectionsSummaryEvent,
    safetyEvent,
    faultEvent,
    healthEvent,
    requestEvent,
    lossEvent,
  ])
  .describe('something that happened on the robot; durable, in seq order, at least once');
export type RobotEvent = z.infer<typeof eventSchema>;
/** A decision lifecycle event before the outbox numbers it. */
export type DecisionLifecycleEventDraft = Omit<z.infer<typeof decisionEvent>, 'seq'>;
/** An event before the outbox numbers it. */
export type RobotEventDraft = RobotEvent extends infer E ? (E extends RobotEvent ? Omit<E, 'seq'> : never) : never;

// ---------------------------------------------------------------------------------------------
// robot → cloud: decision/request

export const decisionRequestSchema = z
  .strictObject({
    v: versionSchema,
    robotId: topicLevelSchema.describe('this robot'),
    requestId: id64.describe('unique id; the answering decision carries it as requestId'),
    at: epochMs.describe('[ms since Unix epoch, UTC] when it was asked'),
    reason: z.enum(['idle', 'outcome', 'node_asked']).describe('why a decision is wanted'),
    profile: profileNameSchema.describe('robot profile'),
    lastDecisionId: id64.optional().describe('outcome: the decision that just ended'),
    lastState: z
      .enum(['succeeded', 'failed', 'canceled', 'expired', 'preempted', 'rejected'])
      .optional()
      .describe('outcome: how it ended'),
    detail: text.optional().describe('free text for the model, e.g. "battery low" (withheld by some data policies)'),
  })
  .describe('the robot asks the national model for a decision');
export type DecisionRequest = z.infer<typeof decisionRequestSchema>;

// ---------------------------------------------------------------------------------------------
// cloud → robot: events/ack (QoS 1, not retained, since 1.2)

export const ackSchema = z
  .strictObject({
    v: versionSchema,
    robotId: topicLevelSchema.describe('the robot whose events are acknowledged (the robot of the topic)'),
    epoch: epochSchema.describe('the `epoch` of the events acknowledged: a robot ignores an ack for another epoch'),
    seq: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe(
        "cumulative: every event of this epoch with seq ≤ this was received (or is known lost through a loss event's floorSeq); 0 acknowledges nothing",
      ),
    at: epochMs.describe('[ms since Unix epoch, UTC] when the national side sent it'),
  })
  .describe("the national side's end-to-end acknowledgement of one robot's events, cumulative by seq");
export type Ack = z.infer<typeof ackSchema>;

// ---------------------------------------------------------------------------------------------
// trusted keys file (robot configuration, not on the wire)

export const trustedKeysSchema = z
  .strictObject({
    keys: z
      .array(
        z.strictObject({
          keyId: id64.describe('the keyId decisions name'),
          publicKey: z
            .string()
            .regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 of 32 bytes')
            .describe('raw 32-byte Ed25519 public key, base64'),
        }),
      )
      .min(1),
  })
  .describe('the Ed25519 public keys a robot trusts, by keyId');
export type TrustedKeys = z.infer<typeof trustedKeysSchema>;

/** Every wire payload schema by its name in TOPIC_SPECS.payload. */
export const PAYLOAD_SCHEMAS = {
  status: statusSchema,
  state: stateSchema,
  event: eventSchema,
  decision_request: decisionRequestSchema,
  decision: decisionSchema,
  ack: ackSchema,
} as const;
