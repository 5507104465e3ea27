/**
 * A managed node's lifecycle on rclnodejs 2.2.0: rcl_lifecycle (through rclnodejs's LifecycleNode) runs the
 * state machine, serves the lifecycle_msgs services and publishes the transition events; kizuna adds what
 * rclnodejs leaves out or does differently from rclcpp (listed in this folder's README):
 * - publishers are gated by kizuna (activated with the node, as rclcpp's managed entities; rclnodejs does
 *   not activate its lifecycle publishers by itself);
 * - `~/change_state` for a transition not available now answers `success: false`, as rclcpp does (rclnodejs
 *   throws inside its service callback, which aborts the whole process);
 * - `success` is the answer of the transition's own callback, as rclcpp's (rclnodejs reports onError's
 *   answer after an error);
 * - `~/get_available_transitions` fills each transition's start and goal state (rclnodejs leaves them empty).
 */
import type * as rclnodejs from 'rclnodejs';
import type { Logger } from '../../logging';
import {
  callbackFor,
  primaryState,
  PublisherGate,
  runLifecycleCallback,
  unavailableTransition,
  type LifecycleStateLabel,
} from '../lifecycle';
import type {
  Lifecycle,
  LifecycleCallbackReturn,
  LifecycleCallbacks,
  LifecycleState,
  LifecycleTransition,
} from '../types';
import type { Rclnodejs } from './convert';

type RclLifecycleNode = rclnodejs.lifecycle.LifecycleNode;

interface IdLabel {
  id: number;
  label: string;
}

/**
 * rclnodejs 2.2.0's LifecycleNode as lib/lifecycle.js has it (its declarations leave out State's id and label,
 * and kizuna replaces or calls two private methods).
 */
interface LifecycleNodeView {
  readonly currentState: IdLabel;
  readonly availableTransitions: ReadonlyArray<{ transition: IdLabel; startState: IdLabel; goalState: IdLabel }>;
  readonly transitions: ReadonlyArray<{ transition: IdLabel }>;
  _onChangeState(
    request: { transition: { id: number; label: string } },
    response: { template: { success: boolean }; send(r: { success: boolean }): void },
  ): void;
  _changeState(transitionId: number, out: unknown): unknown;
  _onGetAvailableTransitions(
    request: unknown,
    response: { template: { available_transitions: unknown[] }; send(r: unknown): void },
  ): void;
}

/** rclnodejs's registerOn* per transition state. */
const REGISTER: ReadonlyArray<[LifecycleStateLabel, keyof RclLifecycleNode]> = [
  ['configuring', 'registerOnConfigure'],
  ['activating', 'registerOnActivate'],
  ['deactivating', 'registerOnDeactivate'],
  ['cleaningup', 'registerOnCleanup'],
  ['shuttingdown', 'registerOnShutdown'],
  ['errorprocessing', 'registerOnError'],
];

export class RclLifecycle implements Lifecycle {
  readonly gate: PublisherGate;
  private callbacks: LifecycleCallbacks = {};
  /** The answer of the running transition's first callback (ChangeState's success), reset per transition. */
  private first: LifecycleCallbackReturn | undefined;
  private readonly node: LifecycleNodeView;

  constructor(
    rcl: Rclnodejs,
    rclNode: RclLifecycleNode,
    private readonly fqn: string,
    private readonly logger: Logger,
  ) {
    const node = rclNode as unknown as LifecycleNodeView;
    this.node = node;
    this.gate = new PublisherGate(logger);
    const codes = (rcl.lifecycle as unknown as { CallbackReturnCode: Record<'SUCCESS' | 'FAILURE' | 'ERROR', number> })
      .CallbackReturnCode;
    const toCode = { success: codes.SUCCESS, failure: codes.FAILURE, error: codes.ERROR } as const;
    for (const [state, register] of REGISTER) {
      (rclNode[register] as (cb: (prev: IdLabel) => number) => void).call(rclNode, (prev) => {
        if (state === 'activating') this.gate.set(true);
        const answer = runLifecycleCallback(
          callbackFor(this.callbacks, state),
          primaryState(prev.label as LifecycleStateLabel),
          state,
          logger,
        );
        this.first ??= answer;
        return toCode[answer];
      });
    }
    node._onGetAvailableTransitions = (_request, response) => {
      const result = response.template;
      const idLabel = (s: IdLabel): IdLabel => ({ id: s.id, label: s.label });
      result.available_transitions = node.availableTransitions.map((d) => ({
        transition: idLabel(d.transition),
        start_state: idLabel(d.startState),
        goal_state: idLabel(d.goalState),
      }));
      response.send(result);
    };
    node._onChangeState = (request, response) => {
      const result = response.template;
      const { id, label } = request.transition;
      const t = node.availableTransitions.find((d) =>
        id !== 0 ? d.transition.id === id : d.transition.label === label,
      );
      if (!t || t.transition.label.startsWith('transition_')) {
        logger.warn(`change_state: no transition ${id !== 0 ? id : `'${label}'`} from state '${this.state()}'`);
        result.success = false;
      } else {
        result.success = this.run(t.transition.id).success;
      }
      response.send(result);
    };
  }

  state(): LifecycleState {
    return primaryState(this.node.currentState.label as LifecycleStateLabel);
  }

  register(callbacks: LifecycleCallbacks): void {
    this.callbacks = { ...callbacks };
  }

  trigger(transition: LifecycleTransition): { success: boolean; state: LifecycleState } {
    const t = this.node.availableTransitions.find((d) => d.transition.label === transition);
    if (!t) throw unavailableTransition(this.fqn, transition, this.node.currentState.label);
    return this.run(t.transition.id);
  }

  private run(id: number): { success: boolean; state: LifecycleState } {
    const initial = this.state();
    this.first = undefined;
    this.node._changeState(id, undefined);
    const state = this.state();
    this.gate.set(state === 'active');
    const answer = this.first ?? 'success';
    const label = this.node.transitions.find((d) => d.transition.id === id)?.transition.label ?? String(id);
    this.logger.info(`lifecycle ${label}: ${initial} -> ${state}${answer === 'success' ? '' : ` (${answer})`}`);
    return { success: answer === 'success', state };
  }
}
