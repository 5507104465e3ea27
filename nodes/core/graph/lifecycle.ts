/**
 * Managed (lifecycle) nodes, the part both graph implementations share: rcl_lifecycle's default state
 * machine as data (state and transition ids and labels of lifecycle_msgs), how a transition callback is
 * run (a throw is an `error`, as in rclcpp), and the gate that keeps a managed node's publishers silent
 * unless it is active. The in-process graph runs the state machine itself (inprocess/lifecycle.ts); on
 * rclnodejs, rcl_lifecycle runs it (rclnodejs/lifecycle.ts). test/integration/graph-suite-lifecycle.ts
 * holds both to the same behaviour.
 */
import { KizunaError } from '../errors';
import type { Logger } from '../logging';
import { errorText } from './callbacks';
import type {
  LifecycleCallback,
  LifecycleCallbackReturn,
  LifecycleCallbacks,
  LifecycleState,
  LifecycleTransition,
} from './types';

/** lifecycle_msgs/msg/State ids and labels, in the order rcl_lifecycle registers them. */
export const LIFECYCLE_STATES = [
  { id: 0, label: 'unknown' },
  { id: 1, label: 'unconfigured' },
  { id: 2, label: 'inactive' },
  { id: 3, label: 'active' },
  { id: 4, label: 'finalized' },
  { id: 10, label: 'configuring' },
  { id: 11, label: 'cleaningup' },
  { id: 12, label: 'shuttingdown' },
  { id: 13, label: 'activating' },
  { id: 14, label: 'deactivating' },
  { id: 15, label: 'errorprocessing' },
] as const;

export type LifecycleStateLabel = (typeof LIFECYCLE_STATES)[number]['label'];

/** One transition of the state machine: lifecycle_msgs/msg/Transition id and label, start and goal state. */
export interface TransitionRow {
  id: number;
  label: string;
  start: LifecycleStateLabel;
  goal: LifecycleStateLabel;
}

const row = (id: number, label: string, start: LifecycleStateLabel, goal: LifecycleStateLabel): TransitionRow => ({
  id,
  label,
  start,
  goal,
});

/** The transitions out of a transition state after its callback: success, failure, error. */
function outcomes(
  base: number,
  from: LifecycleStateLabel,
  success: LifecycleStateLabel,
  failure: LifecycleStateLabel,
): TransitionRow[] {
  return [
    row(base, 'transition_success', from, success),
    row(base + 1, 'transition_failure', from, failure),
    row(base + 2, 'transition_error', from, 'errorprocessing'),
  ];
}

/** rcl_lifecycle's default state machine, in its order (what `~/get_available_transitions` lists per state). */
export const LIFECYCLE_TRANSITIONS: ReadonlyArray<TransitionRow> = [
  row(1, 'configure', 'unconfigured', 'configuring'),
  row(5, 'shutdown', 'unconfigured', 'shuttingdown'),
  ...outcomes(10, 'configuring', 'inactive', 'unconfigured'),
  row(2, 'cleanup', 'inactive', 'cleaningup'),
  row(3, 'activate', 'inactive', 'activating'),
  row(6, 'shutdown', 'inactive', 'shuttingdown'),
  ...outcomes(20, 'cleaningup', 'unconfigured', 'inactive'),
  ...outcomes(30, 'activating', 'active', 'inactive'),
  row(4, 'deactivate', 'active', 'deactivating'),
  row(7, 'shutdown', 'active', 'shuttingdown'),
  ...outcomes(40, 'deactivating', 'inactive', 'active'),
  row(50, 'transition_success', 'shuttingdown', 'finalized'),
  row(51, 'transition_failure', 'shuttingdown', 'finalized'),
  row(52, 'transition_error', 'shuttingdown', 'errorprocessing'),
  row(60, 'transition_success', 'errorprocessing', 'unconfigured'),
  row(61, 'transition_failure', 'errorprocessing', 'finalized'),
  row(62, 'transition_error', 'errorprocessing', 'finalized'),
];

/** The id of a state label. */
export function stateId(label: LifecycleStateLabel): number {
  return LIFECYCLE_STATES.find((s) => s.label === label)!.id;
}

/** The primary state of a state label (transition states never reach a caller: transitions run synchronously). */
export function primaryState(label: LifecycleStateLabel): LifecycleState {
  if (label === 'unconfigured' || label === 'inactive' || label === 'active' || label === 'finalized') return label;
  throw new Error(`'${label}' is not a primary state`);
}

/** The transitions available from `state`, in rcl's order. */
export function availableTransitions(state: LifecycleStateLabel): TransitionRow[] {
  return LIFECYCLE_TRANSITIONS.filter((t) => t.start === state);
}

/** Which callback runs in each transition state. */
const CALLBACK_OF: Partial<Record<LifecycleStateLabel, keyof LifecycleCallbacks>> = {
  configuring: 'onConfigure',
  activating: 'onActivate',
  deactivating: 'onDeactivate',
  cleaningup: 'onCleanup',
  shuttingdown: 'onShutdown',
  errorprocessing: 'onError',
};

/** The callback registered for transition state `state`, if any. */
export function callbackFor(callbacks: LifecycleCallbacks, state: LifecycleStateLabel): LifecycleCallback | undefined {
  const key = CALLBACK_OF[state];
  return key ? callbacks[key] : undefined;
}

/**
 * Runs a transition callback: its answer, `success` when there is none, `error` when it throws or answers
 * something else (logged with the node's logger, as rclcpp logs a caught exception).
 */
export function runLifecycleCallback(
  cb: LifecycleCallback | undefined,
  previous: LifecycleState,
  state: LifecycleStateLabel,
  logger: Logger,
): LifecycleCallbackReturn {
  if (!cb) return 'success';
  try {
    const r = cb(previous);
    if (r === 'success' || r === 'failure' || r === 'error') return r;
    logger.error(`lifecycle callback of '${state}' answered ${JSON.stringify(r)}: counted as error`);
    return 'error';
  } catch (err) {
    logger.error(`lifecycle callback of '${state}' threw: ${errorText(err)}`, { entity: state });
    return 'error';
  }
}

/** KZ_ERR_LIFECYCLE_TRANSITION for `transition` asked from `state`. */
export function unavailableTransition(fqn: string, transition: string, state: string): KizunaError {
  const available = availableTransitions(state as LifecycleStateLabel)
    .map((t) => t.label)
    .join(', ');
  return new KizunaError(
    'KZ_ERR_LIFECYCLE_TRANSITION',
    `node '${fqn}': transition '${transition}' is not available from state '${state}' (available: ${available || 'none'})`,
    { node: fqn, entity: transition },
  );
}

/** The transitions a caller may name (`ros2 lifecycle set` labels). */
export const PUBLIC_TRANSITIONS: ReadonlyArray<LifecycleTransition> = [
  'configure',
  'cleanup',
  'activate',
  'deactivate',
  'shutdown',
];

/**
 * The publishers of one managed node: silent unless the node is active, as rclcpp's LifecyclePublisher
 * (which warns once per inactive period that a message was dropped; so does this).
 */
export class PublisherGate {
  private on = false;
  private readonly warned = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** True when the node is active; otherwise warns once for `topic` and returns false. */
  allows(topic: string): boolean {
    if (this.on) return true;
    if (!this.warned.has(topic)) {
      this.warned.add(topic);
      this.logger.warn(`publishing on '${topic}' while the node is not active: dropped (lifecycle publisher)`, {
        topic,
      });
    }
    return false;
  }

  set(active: boolean): void {
    this.on = active;
    if (active) this.warned.clear();
  }

  get active(): boolean {
    return this.on;
  }
}
