/**
 * The one ROS graph interface every kizuna node is written against.
 *
 * Two implementations exist: `rclnodejs/` (a robot with ROS 2 sourced) and `inprocess/`
 * (tests and the built-in sim). A node that only uses what is declared here runs on both
 * unchanged. Units: seconds for periods and timeouts, ROS time as builtin_interfaces/Time.
 */
import type { z } from 'zod';
import type {
  ActionTypeName,
  FeedbackOf,
  GoalOf,
  MessageOf,
  MessageTypeName,
  RequestOf,
  ResponseOf,
  ResultOf,
  ServiceTypeName,
} from '../interfaces';
import type { Logger } from '../logging';
import type { KizunaError } from '../errors';
import type { QoSProfile, QoSSpec } from './qos';
import type { Clock, RosTime } from './clock';
import type { ParamValue } from './params';

export type { QoSProfile, QoSSpec } from './qos';
export type { Clock, RosTime } from './clock';

/** Options for creating a node. */
/** How parameters are declared. */
export interface DeclareOptions {
  /**
   * Parameters the node lets `ros2 param set` change while it runs (nodes/core/runtime-params.ts);
   * every other one is declared read-only. Default: none.
   */
  settable?: ReadonlyArray<string>;
}

/** One parameter change asked for while a node runs (`ros2 param set`). */
export interface ParamChangeRequest {
  name: string;
  /** undefined: PARAMETER_NOT_SET (an unset request). */
  value: ParamValue | undefined;
}

/** The answer to one change, as rcl_interfaces/msg/SetParametersResult carries it. */
export interface ParamChangeResult {
  successful: boolean;
  reason: string;
}

export interface NodeOptions {
  /** Namespace, `/` or `/a/b` (relative `a/b` is made absolute). Default `/`. */
  namespace?: string;
  /**
   * Parameter values that override declared defaults (from `--params-file` / `-p`),
   * keyed by parameter name. Unknown keys are ignored, as in ROS 2.
   */
  parameterOverrides?: Record<string, ParamValue>;
  /** Name remapping rules `from -> to` (from `--ros-args -r from:=to`). */
  remappings?: ReadonlyArray<RemapRule>;
  /**
   * A managed (lifecycle) node: it starts unconfigured, serves lifecycle_msgs' `~/change_state`,
   * `~/get_state`, `~/get_available_states`, `~/get_available_transitions` and publishes
   * `~/transition_event` (as rcl_lifecycle does), and its publishers send only while it is active.
   * `RosNode.lifecycle` drives it. Default false.
   */
  managed?: boolean;
}

/** Primary states of a managed node (lifecycle_msgs/msg/State ids 1 to 4). */
export type LifecycleState = 'unconfigured' | 'inactive' | 'active' | 'finalized';

/** The transitions `ros2 lifecycle set` names (lifecycle_msgs/msg/Transition labels). */
export type LifecycleTransition = 'configure' | 'cleanup' | 'activate' | 'deactivate' | 'shutdown';

/**
 * What a transition callback answers, as rclcpp's CallbackReturn: `failure` goes back to the state the
 * transition started from, `error` (or a throw) to errorprocessing, where `onError` decides between
 * unconfigured (success) and finalized.
 */
export type LifecycleCallbackReturn = 'success' | 'failure' | 'error';

/** A transition callback; `previous` is the primary state the transition started from. Runs synchronously. */
export type LifecycleCallback = (previous: LifecycleState) => LifecycleCallbackReturn;

/** The callbacks of a managed node's transitions; a missing one succeeds, as in rcl_lifecycle. */
export interface LifecycleCallbacks {
  onConfigure?: LifecycleCallback;
  /** Runs with the node's publishers already active (it may publish); a failure deactivates them again. */
  onActivate?: LifecycleCallback;
  /** Runs with the publishers still active (a last message goes out); they are deactivated after it. */
  onDeactivate?: LifecycleCallback;
  onCleanup?: LifecycleCallback;
  onShutdown?: LifecycleCallback;
  onError?: LifecycleCallback;
}

/** The lifecycle of a managed node. */
export interface Lifecycle {
  /** The current primary state. */
  state(): LifecycleState;
  /** Sets the transition callbacks, replacing earlier ones. */
  register(callbacks: LifecycleCallbacks): void;
  /**
   * Runs `transition` as `~/change_state` does (callbacks, transition events) and returns whether its
   * callback succeeded (ChangeState's `success`) and the primary state reached. Throws
   * KZ_ERR_LIFECYCLE_TRANSITION when the transition is not available from the current state.
   */
  trigger(transition: LifecycleTransition): { success: boolean; state: LifecycleState };
}

/** One `--ros-args -r` rule. `node` limits it to one node name (`node:from:=to`). */
export interface RemapRule {
  from: string;
  to: string;
  node?: string;
}

/** Reported when a publisher and a subscription on one topic cannot connect. */
export interface IncompatibleQoSEvent {
  topic: string;
  /** The first policy that made them incompatible. */
  policy: 'reliability' | 'durability';
  /** The side reporting: the publisher sees an offered-incompatible, the subscription a requested-incompatible. */
  side: 'publisher' | 'subscription';
  publisherQoS: QoSProfile;
  subscriptionQoS: QoSProfile;
}

/**
 * A missed QoS deadline (`deadlineSec`): on a subscription, no message arrived for a whole period (DDS
 * requested-deadline-missed); on a publisher, it published none (offered-deadline-missed).
 */
export interface DeadlineMissedEvent {
  topic: string;
  side: 'publisher' | 'subscription';
  /** Missed periods since the endpoint was created. */
  totalCount: number;
  /** Missed periods this event reports (more than 1 when the check itself ran late). */
  totalCountChange: number;
}

export interface Publisher<T extends MessageTypeName> {
  readonly topic: string;
  readonly type: T;
  readonly qos: QoSProfile;
  /** Validates and sends `msg`. Throws KZ_ERR_MSG_INVALID naming the field when it does not match the type. */
  publish(msg: MessageOf<T>): void;
  /** Number of subscriptions this publisher is connected to (compatible QoS, same type). */
  subscriptionCount(): number;
  /** Calls `cb` when a subscription with incompatible QoS appears on the topic. */
  onIncompatibleQoS(cb: (ev: IncompatibleQoSEvent) => void): void;
  /** Calls `cb` for each deadline period without a publish; never called without `deadlineSec` in the QoS. */
  onDeadlineMissed(cb: (ev: DeadlineMissedEvent) => void): void;
  /**
   * Removes the publisher from the graph (a managed node's cleanup). Idempotent; `publish` then throws
   * KZ_ERR_GRAPH_SHUTDOWN. Destroying the node destroys it too.
   */
  destroy(): void;
}

export interface Subscription<T extends MessageTypeName> {
  readonly topic: string;
  readonly type: T;
  readonly qos: QoSProfile;
  /** Number of publishers this subscription is connected to (compatible QoS, same type). */
  publisherCount(): number;
  /** Calls `cb` when a publisher with incompatible QoS appears on the topic. */
  onIncompatibleQoS(cb: (ev: IncompatibleQoSEvent) => void): void;
  /** Calls `cb` for each deadline period without a message; never called without `deadlineSec` in the QoS. */
  onDeadlineMissed(cb: (ev: DeadlineMissedEvent) => void): void;
  /** Removes the subscription from the graph: no callback runs after it. Idempotent. */
  destroy(): void;
}

/**
 * What a timer callback is told about its call, as rcl_timer_call_with_info reports it (rclnodejs passes
 * `{ expectedCallTime, actualCallTime }` on Jazzy). Times are nanoseconds on the timer's clock.
 */
export interface TimerInfo {
  /** When this call was due. */
  expectedCallNs: bigint;
  /** When it ran. */
  actualCallNs: bigint;
  /**
   * Whole periods between the due time and the call: the ticks skipped because the timer ran late (rcl
   * calls a late timer once, not once per missed period). 0 when on time.
   */
  missedTicks: number;
}

export interface Timer {
  /** Period in seconds. */
  readonly periodSec: number;
  cancel(): void;
  isCanceled(): boolean;
  /** Restarts the period from now (next call one period later) and un-cancels the timer, as rclcpp/rclnodejs `reset()`. */
  reset(): void;
  /** Cancels the timer and frees it; `reset` then throws KZ_ERR_GRAPH_SHUTDOWN. Idempotent. */
  destroy(): void;
}

export interface ServiceServer {
  readonly name: string;
}

export interface ServiceClient<T extends ServiceTypeName> {
  readonly name: string;
  /** True when a server is available now. */
  isServiceReady(): boolean;
  /** Resolves true once a server is available, false after `timeoutSec` (seconds; KZ_ERR_CLOCK for NaN or < 0). */
  waitForService(timeoutSec: number): Promise<boolean>;
  /**
   * Sends a request and resolves with the response. Rejects with KZ_ERR_SERVICE_UNAVAILABLE when no
   * server answers within `timeoutSec` (default 5 s) — including when the handler threw or returned an
   * invalid response: a ROS 2 service has no failure reply, so on both graphs no response is sent, the
   * server's node reports the error, and the caller times out — or when the server is destroyed first;
   * KZ_ERR_GRAPH_SHUTDOWN once this client's node is destroyed; KZ_ERR_CLOCK for a timeout that is not a
   * finite number of seconds in [0, 2147483.647]; KZ_ERR_SERVICE_FAILED when rclnodejs fails the call.
   */
  call(request: RequestOf<T>, options?: { timeoutSec?: number }): Promise<ResponseOf<T>>;
}

/** Terminal states of an action goal (action_msgs/msg/GoalStatus). */
export type GoalTerminalStatus = 'succeeded' | 'aborted' | 'canceled';

export interface GoalOutcome<T extends ActionTypeName> {
  status: GoalTerminalStatus;
  result: ResultOf<T>;
}

/** Client side of one accepted goal. */
export interface ClientGoalHandle<T extends ActionTypeName> {
  /** Goal id as a UUID string. */
  readonly goalId: string;
  /**
   * Resolves when the goal reaches a terminal state. Rejects with KZ_ERR_SERVICE_UNAVAILABLE when the
   * action server is destroyed first (a dead server's goal never looks successful), and with
   * KZ_ERR_GRAPH_SHUTDOWN when this client's node is destroyed or the graph shuts down.
   */
  result(): Promise<GoalOutcome<T>>;
  /** Requests cancellation; resolves true when the server accepted the cancel request. */
  cancel(): Promise<boolean>;
}

export interface ActionClient<T extends ActionTypeName> {
  readonly name: string;
  isServerReady(): boolean;
  waitForServer(timeoutSec: number): Promise<boolean>;
  /**
   * Sends a goal. Resolves with a handle once accepted; rejects with KZ_ERR_GOAL_REJECTED when the
   * server rejects it and KZ_ERR_SERVICE_UNAVAILABLE when no server is there.
   */
  sendGoal(goal: GoalOf<T>, onFeedback?: (feedback: FeedbackOf<T>) => void): Promise<ClientGoalHandle<T>>;
}

/** Server side of one accepted goal, handed to `execute`. */
export interface ServerGoalHandle<T extends ActionTypeName> {
  readonly goalId: string;
  readonly goal: GoalOf<T>;
  /** True once a client asked to cancel and the server's `onCancel` accepted. */
  readonly isCancelRequested: boolean;
  /** Sends feedback to the client. Dropped once a cancel was accepted or the goal ended, as in rcl_action. */
  publishFeedback(feedback: FeedbackOf<T>): void;
}

export interface ActionServerHandlers<T extends ActionTypeName> {
  /** Decide on a new goal. Default: accept. */
  onGoal?: (goal: GoalOf<T>) => 'accept' | 'reject';
  /** Decide on a cancel request. Default: accept. */
  onCancel?: (handle: ServerGoalHandle<T>) => 'accept' | 'reject';
  /** Runs an accepted goal to a terminal state. A throw aborts the goal. */
  execute: (handle: ServerGoalHandle<T>) => Promise<GoalOutcome<T>>;
}

export interface ActionServer {
  readonly name: string;
}

/** Events a node reports instead of throwing inside callbacks. */
export interface NodeEvents {
  /** A subscription, timer, service or action callback threw; the error is wrapped with its entity. */
  error: (err: KizunaError) => void;
}

export interface RosNode {
  /** Node name, without namespace. */
  readonly name: string;
  /** Absolute namespace, `/` for the root. */
  readonly namespace: string;
  /** `/namespace/name`. */
  readonly fullyQualifiedName: string;
  /** Which graph implementation the node lives on (rcl serves parameter services itself on rclnodejs). */
  readonly implementation: 'inprocess' | 'rclnodejs';
  /** Child logger carrying `{ node }` (and `{ robot }` when the graph has one). */
  readonly logger: Logger;
  /** The node's clock: ROS time, sim time from /clock (use_sim_time), or the graph's manual clock. */
  readonly clock: Clock;
  /** The node's lifecycle when it was created with `managed: true`; undefined otherwise. */
  readonly lifecycle: Lifecycle | undefined;

  /** Current time on the node's clock. */
  now(): RosTime;

  /** Resolves a topic or service name (relative, absolute, `~`) with remapping, as ROS 2 does. */
  resolveName(name: string, kind?: 'topic' | 'service'): string;

  createPublisher<T extends MessageTypeName>(type: T, topic: string, qos?: QoSSpec): Publisher<T>;
  createSubscription<T extends MessageTypeName>(
    type: T,
    topic: string,
    callback: (msg: MessageOf<T>) => void,
    qos?: QoSSpec,
  ): Subscription<T>;

  /**
   * A timer on the node's clock firing every `periodSec` seconds. Throws KZ_ERR_CLOCK for a period that is
   * not a finite number > 0, rounds to 0 ns, or exceeds int64 nanoseconds. A late timer is called once and
   * the callback's `info.missedTicks` says how many periods it skipped (a warning is logged on the wall clock).
   */
  createTimer(periodSec: number, callback: (info: TimerInfo) => void): Timer;

  /**
   * Declares every key of `schema` as a ROS 2 parameter, applies overrides, validates, and returns the
   * typed values. Throws KZ_ERR_PARAM_INVALID naming node, key and reason. `use_sim_time` is
   * declared by the node itself and must not be in the schema.
   */
  declareParameters<S extends z.ZodObject>(schema: S, options?: DeclareOptions): z.infer<S>;
  /**
   * rclnodejs only, where rcl serves the parameter services itself: every set request for a parameter
   * declared settable goes through `handler` (validate, apply, answer); rcl refuses the read-only ones.
   * The in-process graph has no rcl; nodes/core/runtime-params.ts serves the same services there.
   */
  allowParameterSets?(handler: (changes: ParamChangeRequest[]) => ParamChangeResult[]): void;
  /** Value of a declared parameter. Throws KZ_ERR_PARAM_UNDECLARED otherwise. */
  getParameter(name: string): ParamValue;

  createService<T extends ServiceTypeName>(
    type: T,
    name: string,
    handler: (request: RequestOf<T>) => ResponseOf<T> | Promise<ResponseOf<T>>,
  ): ServiceServer;
  createClient<T extends ServiceTypeName>(type: T, name: string): ServiceClient<T>;

  createActionServer<T extends ActionTypeName>(type: T, name: string, handlers: ActionServerHandlers<T>): ActionServer;
  createActionClient<T extends ActionTypeName>(type: T, name: string): ActionClient<T>;

  on<E extends keyof NodeEvents>(event: E, listener: NodeEvents[E]): void;

  /**
   * Destroys every entity of the node. Idempotent. Its servers answer nothing more (their callers get
   * KZ_ERR_SERVICE_UNAVAILABLE), its clients' pending calls, goals and results reject with
   * KZ_ERR_GRAPH_SHUTDOWN, its timers stop.
   */
  destroy(): void;
}

/** A ROS graph: one context in which nodes are created and spun. */
export interface RosGraph {
  /** Which implementation this is. */
  readonly implementation: 'inprocess' | 'rclnodejs';
  createNode(name: string, options?: NodeOptions): RosNode;
  /** Destroys every node and stops spinning. Idempotent. */
  shutdown(): Promise<void>;
}
