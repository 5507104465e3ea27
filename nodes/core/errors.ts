/**
 * One place for every error kizuna raises, each with a stable code.
 * Codes never change meaning once released; docs/errors.md documents each one
 * (a test keeps the two in step).
 */

import { printable } from './printable';

/** Every error code, with a one-line meaning (the long form lives in docs/errors.md). */
export const ERROR_CODES = {
  // ROS graph: entities and names
  KZ_ERR_GRAPH_SHUTDOWN: 'the graph (or node) is shut down; no new entities or messages',
  KZ_ERR_INVALID_NAME: 'a node, namespace, topic or service name is not a valid ROS 2 name',
  KZ_ERR_DUPLICATE_NODE: 'a node with the same fully qualified name already exists in this graph',
  KZ_ERR_UNKNOWN_TYPE: 'a message, service or action type is not known to kizuna',
  KZ_ERR_TYPE_MISMATCH: 'a topic or service is already used with a different type',
  // messages
  KZ_ERR_MSG_INVALID: 'a message does not match its ROS 2 definition',
  KZ_ERR_QOS_INVALID: 'a QoS profile is not valid (for example depth 0 with keep_last)',
  // parameters and arguments
  KZ_ERR_PARAM_INVALID: 'a parameter value is missing, of the wrong type or out of range',
  KZ_ERR_PARAM_UNDECLARED: 'a parameter was read or set without being declared',
  KZ_ERR_PARAM_FILE: 'a parameter file cannot be read or is not ROS 2 parameter YAML',
  KZ_ERR_ROS_ARGS: 'a --ros-args argument is malformed',
  // services and actions
  KZ_ERR_SERVICE_UNAVAILABLE: 'no server answers the service or action before the timeout',
  KZ_ERR_SERVICE_FAILED: 'a service response does not match its type, or rclnodejs failed the call',
  KZ_ERR_GOAL_REJECTED: 'an action server rejected the goal',
  // callbacks
  KZ_ERR_CALLBACK_FAILED: 'a subscription, timer, service or action callback threw; the node reports it and goes on',
  // managed nodes
  KZ_ERR_LIFECYCLE_TRANSITION:
    "a lifecycle transition was asked for that is not available from the node's current state",
  KZ_ERR_LIFECYCLE_REFUSED:
    'a managed node refused a transition (its callback answered failure): the safety gate will not deactivate while the base moves',
  KZ_ERR_LIFECYCLE_CALLBACK:
    "a managed node's transition callback failed (configure could not create what the node needs)",
  // timers and clocks
  KZ_ERR_CLOCK: 'a clock or timer was used wrongly (bad period or timeout, manual-clock call without one)',
  // rclnodejs
  KZ_ERR_RCLNODEJS_UNAVAILABLE: 'rclnodejs cannot be loaded: ROS 2 is not sourced or rclnodejs is not installed',
  // command line
  KZ_ERR_CLI_USAGE: 'a command-line flag or argument is not valid',
  // autonomy
  KZ_ERR_CMD_INVALID: 'a velocity command has NaN or Inf; the safety gate dropped it',
  KZ_ERR_SCAN_INVALID:
    'a laser scan was refused: wrong frame, nonsensical angle or range limits, or mostly invalid beams',
  KZ_ERR_INPUT_INVALID:
    'an autonomy input (odometry, battery, speed limit, detections, summary) has a value that makes no sense',
  KZ_ERR_ESTOP_RESET_REFUSED: 'an e-stop resume was refused: the e-stop is still asserted or its publisher is silent',
  KZ_ERR_LOCAL_RESUME_REFUSED:
    'a local resume was refused: the robot was paused through another input, and local_resume_sources does not name this one',
  KZ_ERR_DECISION_REJECTED: 'the executive refused a decision before starting it (reason code in DecisionStatus)',
  KZ_ERR_CMD_BYPASS: 'another node publishes on the base cmd_vel topic that only the safety gate may publish',
  KZ_ERR_NAV_FAILED:
    'a navigation goal failed: the Nav2 server rejected or aborted it, or the robot could not reach it',
  // simulation
  KZ_ERR_SCENARIO_INVALID: 'a scenario file cannot be read, is not YAML, or does not match the scenario format',
  KZ_ERR_SIM_INVALID: 'the simulated world was given an unknown robot id, a duplicate id or an invalid option',
  // cloud bridge
  KZ_ERR_BRIDGE_STORE:
    "the cloud bridge's durable store (outbox, seq, replay window) cannot be opened or belongs to another robot",
  KZ_ERR_BRIDGE_CONFIG: 'a cloud bridge file (trusted keys, TLS certificate or key, password) is missing or invalid',
  KZ_ERR_BRIDGE_ACK_INVALID:
    "an end-to-end acknowledgement of events was ignored: retained, not JSON, not the contract's shape, for another robot, or beyond the last seq sent",
  KZ_ERR_CONTRACT_INVALID: 'an outbound MQTT payload does not match the contract (a bug: it is not sent)',
  KZ_ERR_MQTT: 'the MQTT connection failed or was refused (reported; the bridge reconnects with backoff)',
  KZ_ERR_AUDIT_WRITE:
    "the cloud bridge's audit log cannot be opened (the node does not start) or written (reported; the packets missed are counted in a gap record)",
  KZ_ERR_AUDIT_READ: 'kizuna audit cannot find or read the audit log directory or one of its files',
  KZ_ERR_AUDIT_CHAIN: "kizuna audit found the audit log's hash chain broken: a record was changed, removed or inserted",
  KZ_ERR_MQTT_REFUSED:
    'the broker refused the CONNECT (CONNACK code and reason: protocol version, client id, credentials, authorisation)',
  // fleet simulation
  KZ_ERR_SIM_BROKER: 'the fleet simulation cannot start its embedded broker or reach the broker given with --broker',
  KZ_ERR_SIM_SHARD: 'a fleet simulation shard (worker thread) failed to start or stopped answering',
  KZ_ERR_SIM_PART:
    'a part of a fleet run across processes (--shard, --planner-only, sim report merge) cannot meet the others or be merged',
  KZ_ERR_SIM_FOXGLOVE: 'the Foxglove live view of a sim run cannot listen on the address asked for',
  // recordings
  KZ_ERR_MCAP_WRITE: 'an MCAP recording cannot be created or written (folder not writable, disk full)',
  KZ_ERR_BLACKBOX_READ: 'a black-box incident file cannot be read (not an MCAP file, unreadable)',
  KZ_ERR_BLACKBOX_NOT_FOUND: 'kizuna blackbox: no incident file with that id in the folder',
  // field deployment
  KZ_ERR_LAUNCH_CHECK_FAILED: 'kizuna launch did not start the stack: a check before starting failed',
  KZ_ERR_NODE_EXITED: 'kizuna launch stopped the stack: the safety gate exited, or a node kept exiting',
  KZ_ERR_DOCTOR_FAILED: 'kizuna doctor found at least one failing check',
  KZ_ERR_BROKER_UNREACHABLE: 'kizuna status or kizuna broker-acl revoke could not connect to the MQTT broker',
  KZ_ERR_BROKER_ADMIN_REFUSED:
    "kizuna broker-acl revoke: the broker refused the admin account's command, or its dynamic-security plugin did not answer",
  KZ_ERR_BROKER_ROBOT_UNKNOWN:
    "kizuna broker-acl revoke: the broker's rules have no such robot (not in the roster, or already revoked)",
  KZ_ERR_ROBOT_UNKNOWN: 'kizuna status found no status message of the robot asked for',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Context carried by an error: which node, which entity (topic, service, parameter, field). */
export interface ErrorContext {
  node?: string;
  entity?: string;
  [key: string]: unknown;
}

/** The one error class kizuna throws or emits. `code` is stable; `message` is for people. */
export class KizunaError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    // A message may quote outside text (a file, a payload, a flag): control characters in it are escaped
    // here, once for every error, so no log line or terminal receives them raw.
    super(printable(message, Number.POSITIVE_INFINITY, true), options);
    this.name = 'KizunaError';
    this.code = code;
    this.context = context;
  }

  /** A plain-object view for structured logs. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.context };
  }
}

/** True when `err` is a KizunaError, optionally with the given code. */
export function isKizunaError(err: unknown, code?: ErrorCode): err is KizunaError {
  return err instanceof KizunaError && (code === undefined || err.code === code);
}
