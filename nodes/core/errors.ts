/**
 * One place for every error kizuna raises, each with a stable code.
 * Codes never change meaning once released; docs/errors.md documents each one
 * (a test keeps the two in step).
 */

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
  KZ_ERR_SERVICE_FAILED: 'the service handler threw or returned an invalid response',
  KZ_ERR_GOAL_REJECTED: 'an action server rejected the goal',
  // callbacks
  KZ_ERR_CALLBACK_FAILED: 'a subscription, timer, service or action callback threw; the node reports it and goes on',
  // timers and clocks
  KZ_ERR_CLOCK: 'a clock or timer was used wrongly (bad period, sim time without /clock)',
  // rclnodejs
  KZ_ERR_RCLNODEJS_UNAVAILABLE: 'rclnodejs cannot be loaded: ROS 2 is not sourced or rclnodejs is not installed',
  // command line
  KZ_ERR_CLI_USAGE: 'a command-line flag or argument is not valid',
  // simulation
  KZ_ERR_SCENARIO_INVALID: 'a scenario file cannot be read, is not YAML, or does not match the scenario format',
  KZ_ERR_SIM_INVALID: 'the simulated world was given an unknown robot id, a duplicate id or an invalid option',
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
    super(message, options);
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
