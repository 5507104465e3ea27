/** Parameters of cloud_bridge, with units, defaults and ranges. robot_id, fleet and profile are required. */
import { z } from 'zod';
import { PROFILE_NAMES } from '../core/profiles';
import { TOPICS } from '../core/topics';
import { auditParamsShape } from './audit-params';
import { vdaParamsShape } from './vda5050/params';
import { BROKER_ORDERS, brokerUrlsSchema } from '../core/broker-urls';

/** [m/s] Highest speed a decision may ask for, by profile: the profile files' safety_gate max_linear_speed_mps. */
export const PROFILE_MAX_SPEED_MPS = { care: 0.6, factory: 1.5, delivery: 1.6, farm: 2.0, construction: 1.0 } as const;

const level = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-", 1 to 64 characters');

export const paramsSchema = z.object({
  robot_id: level
    .refine((s) => s !== 'broadcast', '"broadcast" is reserved')
    .describe("this robot's id: one MQTT topic level"),
  fleet: level.describe('fleet id: one MQTT topic level'),
  profile: z.enum(PROFILE_NAMES).describe('robot profile: selects the data policy, tasks and speed cap'),
  topic_root: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'MQTT topic levels without wildcards')
    .default('kizuna/v1')
    .describe('MQTT topic root; topics are {root}/{fleet}/{robot_id}/...'),
  broker_url: brokerUrlsSchema
    .default('mqtt://127.0.0.1:1883')
    .describe(
      'MQTT broker URL (mqtts:// for TLS), or a comma-separated list of the nodes of a broker cluster to fail over between (at most 16)',
    ),
  broker_order: z
    .enum(BROKER_ORDERS)
    .default('sticky')
    .describe(
      'how broker_url is walked: in_order (every round from the first URL), sticky (from the last URL that connected), spread (as sticky, first URL picked by the hash of the client id)',
    ),
  failover_delay_s: z
    .number()
    .min(0)
    .max(60)
    .default(0.2)
    .describe(
      '[s] wait before trying the next URL of broker_url after a failed attempt or a lost session; reconnect_min_s..reconnect_max_s backoff applies once every URL failed',
    ),
  mqtt_version: z.number().int().min(4).max(5).default(5).describe('MQTT protocol level: 4 = 3.1.1, 5 = 5.0'),
  topic_aliases: z
    .boolean()
    .default(true)
    .describe(
      "MQTT 5: send each topic in full once per connection, then a 2-byte topic alias instead (as many topics as the broker's Topic Alias Maximum allows; mosquitto: 10); false, MQTT 3.1.1 or a broker allowing none: full topics always",
    ),
  client_id: z
    .string()
    .max(128)
    .default('')
    .describe(
      'MQTT client id, stable across restarts (it names the persistent session); empty: <fleet>.<robot_id>, the broker identity',
    ),
  session_expiry_s: z
    .number()
    .int()
    .min(0)
    .max(604800)
    .default(3600)
    .describe(
      "[s] how long the broker keeps the session (subscriptions, queued QoS 1 decisions) while the link is down; 0: clean session, nothing queued. MQTT 5 Session Expiry Interval; 3.1.1 clean session false, the expiry being the broker's",
    ),
  username: z.string().max(256).default('').describe('MQTT username; empty: none'),
  password_file: z.string().default('').describe('file holding the MQTT password (first line); empty: none'),
  tls_ca_file: z.string().default('').describe('PEM CA bundle the broker certificate must chain to; empty: system CAs'),
  tls_cert_file: z.string().default('').describe('PEM client certificate for mutual TLS; empty: none'),
  tls_key_file: z.string().default('').describe('PEM private key of tls_cert_file'),
  tls_servername: z.string().default('').describe('host name the broker certificate must match; empty: the URL host'),
  keepalive_s: z.number().int().min(5).max(600).default(30).describe('[s] MQTT keep-alive'),
  connect_timeout_s: z.number().min(1).max(120).default(10).describe('[s] CONNECT to CONNACK timeout'),
  reconnect_min_s: z
    .number()
    .min(0.05)
    .max(60)
    .default(0.5)
    .describe('[s] first reconnect delay (doubles per failure, with jitter)'),
  reconnect_max_s: z.number().min(0.1).max(3600).default(30).describe('[s] longest reconnect delay'),
  trusted_keys_file: z
    .string()
    .default('')
    .describe('JSON file of trusted Ed25519 public keys by keyId (docs/contract.md); required unless allow_unsigned'),
  allow_unsigned: z
    .boolean()
    .default(false)
    .describe('DEVELOPMENT ONLY: accept unsigned decisions (warns at every start)'),
  accept_decisions_without_fleet: z
    .boolean()
    .default(false)
    .describe(
      'MIGRATION ONLY: accept signed decisions without fleetId (contract 1.0 issuers), which are not bound to this fleet (warns at every start); false: they are rejected FLEET_MISSING',
    ),
  max_inbound_bytes: z
    .number()
    .int()
    .min(1024)
    .max(1048576)
    .default(65536)
    .describe('[bytes] larger decisions are rejected'),
  max_outbound_bytes: z
    .number()
    .int()
    .min(1024)
    .max(1048576)
    .default(65536)
    .describe('[bytes] larger outbound payloads are not sent (a bug)'),
  clock_skew_s: z.number().min(0).max(600).default(30).describe('[s] how far in the future issuedAt may be'),
  max_decision_lifetime_s: z.number().min(1).max(604800).default(86400).describe('[s] longest expiresAt - issuedAt'),
  max_speed_mps: z
    .number()
    .min(0)
    .max(10)
    .default(0)
    .describe('[m/s] highest speed a decision may ask for; 0: the profile default'),
  pose_precision_m: z
    .number()
    .min(-1)
    .max(100)
    .default(-1)
    .describe('[m] rounding of the pose in state; 0 withholds it; -1: the profile default'),
  send_free_text: z
    .string()
    .regex(/^(profile|true|false)$/, 'profile, true or false')
    .default('profile')
    .describe('send event messages and request details: profile (its default), true or false'),
  send_pause_detail: z
    .string()
    .regex(/^(profile|true|false)$/, 'profile, true or false')
    .default('profile')
    .describe(
      'local pause events carry where, which input and which decision: profile (its default; care: false), true or false (count and duration only)',
    ),
  state_period_s: z.number().min(0.1).max(3600).default(1).describe('[s] state publication period'),
  state_min_interval_s: z
    .number()
    .min(0)
    .max(60)
    .default(0.2)
    .describe('[s] least time between two states sent on significant change'),
  state_move_m: z.number().min(0).max(100).default(0.5).describe('[m] a move this large is a significant change'),
  progress_event_step: z
    .number()
    .min(0)
    .max(1)
    .default(0.25)
    .describe(
      '[fraction 0..1] a decision_progress event only when the decision progressed this much since the last one sent, or its reason or message changed (state carries progress anyway); 0: one per DecisionStatus report (about 1 Hz)',
    ),
  store_path: z
    .string()
    .default('')
    .describe(
      'SQLite file of the outbox, seq and replay window; empty: $XDG_STATE_HOME (or ~/.local/state)/kizuna/cloud_bridge-<fleet>.<robot_id>.sqlite (an existing cloud_bridge-<robot_id>.sqlite of an older release is kept)',
    ),
  store_sync: z
    .enum(['full', 'normal'])
    .default('full')
    .describe('SQLite synchronous: full survives power loss, normal a process crash'),
  outbox_soft_max_messages: z
    .number()
    .int()
    .min(1)
    .max(10000000)
    .default(50000)
    .describe('[count] beyond this the oldest telemetry is dropped'),
  outbox_max_messages: z
    .number()
    .int()
    .min(1)
    .max(10000000)
    .default(100000)
    .describe('[count] hard cap: beyond this the oldest messages are dropped'),
  outbox_max_bytes: z
    .number()
    .int()
    .min(262144)
    .max(4294967296)
    .default(67108864)
    .describe(
      '[bytes] bound on the outbox store on disk: the database file holds at most this (a message costs the pages its payload, topic and index entries take); with its WAL and shared memory the files stay within outbox_max_bytes + 1 MiB. Past it the oldest telemetry is dropped, then the oldest messages of any class (counted in a loss event)',
    ),
  outbox_rate_per_s: z
    .number()
    .min(1)
    .max(100000)
    .default(200)
    .describe('[messages/s] outbox publish rate (paces replay after an outage)'),
  outbox_max_inflight: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(32)
    .describe('[count] QoS 1 publishes awaiting PUBACK at once'),
  end_to_end_ack: z
    .enum(['auto', 'required', 'off'])
    .default('auto')
    .describe(
      "when an event leaves the outbox: required: on the national side's acknowledgement (events/ack, contract 1.2), re-sent until then; off: on the broker's PUBACK (contract 1.1); auto: as off until the national side first acknowledges an event of this outbox (remembered in the store), as required from then on",
    ),
  ack_timeout_s: z
    .number()
    .min(0.1)
    .max(600)
    .default(5)
    .describe(
      '[s] events sent without any end-to-end acknowledgement progress for this long are sent again, in order, from the oldest unacknowledged',
    ),
  ack_timeout_max_s: z
    .number()
    .min(0.1)
    .max(3600)
    .default(60)
    .describe('[s] longest retransmit timeout: it doubles per timeout without progress, and any progress resets it'),
  ack_window_messages: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(256)
    .describe('[count] events sent and not yet acknowledged end to end at once'),
  reject_events_per_s: z
    .number()
    .int()
    .min(0)
    .max(10000)
    .default(20)
    .describe('[count] rejections reported one by one per second; the rest as counts'),
  status_refresh_s: z
    .number()
    .min(0)
    .max(86400)
    .default(60)
    .refine((s) => s === 0 || s >= 5, '0 (off) or at least 5 s')
    .describe(
      '[s] re-publish the retained online status (the same payload as the birth) this often while connected, so a forged retained offline does not stand longer; 0: only at connect',
    ),
  takeover_sessions: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(3)
    .describe(
      '[count] session ends within takeover_window_s, each "session taken over" (MQTT 5 reason 0x8E) or shorter than takeover_short_session_s, that report a possible takeover (health fault CLOUD_SESSION_TAKEOVER); 0 disables',
    ),
  takeover_window_s: z
    .number()
    .min(1)
    .max(86400)
    .default(600)
    .describe('[s] how far back session ends count towards a possible takeover'),
  takeover_short_session_s: z
    .number()
    .min(0)
    .max(3600)
    .default(10)
    .describe(
      '[s] a session the broker ends (not our own disconnect) sooner than this counts towards a possible takeover; 0: only 0x8E counts',
    ),
  diagnostics_topic: z
    .string()
    .min(1)
    .default('diagnostics')
    .describe('diagnostic_msgs/DiagnosticArray output: the MQTT session entry at 1 Hz (health reads it)'),
  software_version: z
    .string()
    .max(64)
    .default('')
    .describe("version announced in the birth message; empty: kizuna's package version"),
  world_summary_topic: z.string().min(1).default(TOPICS.worldSummary).describe('kizuna_msgs/WorldSummary input'),
  decision_status_topic: z
    .string()
    .min(1)
    .default(TOPICS.decisionStatus)
    .describe('kizuna_msgs/DecisionStatus input (forwarded as events)'),
  decision_request_topic: z
    .string()
    .min(1)
    .default(TOPICS.decisionRequest)
    .describe('kizuna_msgs/DecisionRequest input (forwarded to decision/request)'),
  safety_state_topic: z.string().min(1).default(TOPICS.safetyState).describe('kizuna_msgs/SafetyState input'),
  health_topic: z.string().min(1).default(TOPICS.health).describe('kizuna_msgs/HealthSummary input'),
  decision_topic: z
    .string()
    .min(1)
    .default(TOPICS.decision)
    .describe('kizuna_msgs/Decision output: validated decisions only'),
  bridge_status_topic: z.string().min(1).default(TOPICS.bridgeStatus).describe('kizuna_msgs/BridgeStatus output'),
  heartbeat_topic: z.string().min(1).default(TOPICS.heartbeat).describe('std_msgs/String output: node name at 1 Hz'),
  ...auditParamsShape,
  ...vdaParamsShape,
});

export type Params = z.infer<typeof paramsSchema>;
