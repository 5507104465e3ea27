/**
 * A managed node's lifecycle on the in-process graph: rcl_lifecycle's default state machine run here,
 * with the same lifecycle_msgs services and transition events rcl_lifecycle gives a node on a robot
 * (`~/change_state`, `~/get_state`, `~/get_available_states`, `~/get_available_transitions`,
 * `~/transition_event`), so `ros2 lifecycle` semantics hold on both graphs. A transition runs as rclcpp's
 * LifecycleNode runs it: into the transition state, the callback, out by its answer, through
 * errorprocessing on `error`.
 */
import type { MessageOf } from '../../interfaces';
import type { Logger } from '../../logging';
import {
  availableTransitions,
  callbackFor,
  LIFECYCLE_STATES,
  primaryState,
  PublisherGate,
  runLifecycleCallback,
  stateId,
  unavailableTransition,
  type LifecycleStateLabel,
  type TransitionRow,
} from '../lifecycle';
import type { Lifecycle, LifecycleCallbacks, LifecycleState, LifecycleTransition, Publisher, RosNode } from '../types';

type TransitionEvent = MessageOf<'lifecycle_msgs/msg/TransitionEvent'>;

/** What the lifecycle needs from its node. */
export interface LifecycleHost {
  readonly fullyQualifiedName: string;
  readonly logger: Logger;
  createService: RosNode['createService'];
  /** A publisher outside the gate (the transition events go out in every state). */
  createUngatedPublisher: RosNode['createPublisher'];
}

const stateMsg = (label: LifecycleStateLabel) => ({ id: stateId(label), label });

export class InProcessLifecycle implements Lifecycle {
  readonly gate: PublisherGate;
  private current: LifecycleStateLabel = 'unconfigured';
  private callbacks: LifecycleCallbacks = {};
  private readonly events: Publisher<'lifecycle_msgs/msg/TransitionEvent'>;

  constructor(private readonly host: LifecycleHost) {
    this.gate = new PublisherGate(host.logger);
    // rcl_lifecycle's com interface: default publisher and service QoS.
    this.events = host.createUngatedPublisher('lifecycle_msgs/msg/TransitionEvent', '~/transition_event');
    host.createService('lifecycle_msgs/srv/GetState', '~/get_state', () => ({ current_state: stateMsg(this.current) }));
    host.createService('lifecycle_msgs/srv/GetAvailableStates', '~/get_available_states', () => ({
      available_states: LIFECYCLE_STATES.map((s) => ({ id: s.id, label: s.label })),
    }));
    host.createService('lifecycle_msgs/srv/GetAvailableTransitions', '~/get_available_transitions', () => ({
      available_transitions: availableTransitions(this.current).map((t) => ({
        transition: { id: t.id, label: t.label },
        start_state: stateMsg(t.start),
        goal_state: stateMsg(t.goal),
      })),
    }));
    host.createService('lifecycle_msgs/srv/ChangeState', '~/change_state', (req) => {
      // As rclcpp: the id decides; a label alone is looked up among the transitions available now.
      const { id, label } = req.transition;
      const t = availableTransitions(this.current).find((r) => (id !== 0 ? r.id === id : r.label === label));
      if (!t || !isPublic(t)) {
        host.logger.warn(`change_state: no transition ${id !== 0 ? id : `'${label}'`} from state '${this.current}'`);
        return { success: false };
      }
      return { success: this.run(t).success };
    });
  }

  state(): LifecycleState {
    return primaryState(this.current);
  }

  register(callbacks: LifecycleCallbacks): void {
    this.callbacks = { ...callbacks };
  }

  trigger(transition: LifecycleTransition): { success: boolean; state: LifecycleState } {
    const t = availableTransitions(this.current).find((r) => r.label === transition);
    if (!t) throw unavailableTransition(this.host.fullyQualifiedName, transition, this.current);
    return this.run(t);
  }

  private run(t: TransitionRow): { success: boolean; state: LifecycleState } {
    const initial = primaryState(this.current);
    this.move(t);
    if (this.current === 'activating') this.gate.set(true);
    const answer = this.callback(initial);
    this.move(outcome(this.current, answer));
    if (answer === 'error') this.move(outcome(this.current, this.callback(initial)));
    this.gate.set(this.current === 'active');
    const state = primaryState(this.current);
    this.host.logger.info(`lifecycle ${t.label}: ${initial} -> ${state}${answer === 'success' ? '' : ` (${answer})`}`);
    return { success: answer === 'success', state };
  }

  private callback(initial: LifecycleState) {
    return runLifecycleCallback(callbackFor(this.callbacks, this.current), initial, this.current, this.host.logger);
  }

  private move(t: TransitionRow): void {
    const ev: TransitionEvent = {
      // rcl_lifecycle fills neither the timestamp nor the transition (measured on Jazzy: 0 and {0, ''}).
      timestamp: 0n as unknown as TransitionEvent['timestamp'],
      transition: { id: 0, label: '' },
      start_state: stateMsg(t.start),
      goal_state: stateMsg(t.goal),
    };
    this.current = t.goal;
    this.events.publish(ev);
  }
}

/** Whether a caller may ask for `t` (rcl refuses the callback outcomes from a primary state anyway). */
function isPublic(t: TransitionRow): boolean {
  return !t.label.startsWith('transition_');
}

function outcome(state: LifecycleStateLabel, answer: 'success' | 'failure' | 'error'): TransitionRow {
  return availableTransitions(state).find((r) => r.label === `transition_${answer}`)!;
}
