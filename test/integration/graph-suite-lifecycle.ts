/**
 * Managed (lifecycle) nodes, the same behaviour pinned on both graphs: on rclnodejs rcl_lifecycle runs the
 * state machine, so every expectation here is what real ROS 2 Jazzy does (the lifecycle_msgs services a
 * `ros2 lifecycle` client calls, the transition events, rclcpp's callback outcomes) and the in-process
 * graph is held to it.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LifecycleCallbacks, LifecycleCallbackReturn, RosGraph, RosNode } from '../../nodes/core/graph/types';
import type { MessageOf } from '../../nodes/core/interfaces';
import { settle, uniqueTopic, waitFor, type GraphHarness } from './graph-suite';

type Event = MessageOf<'lifecycle_msgs/msg/TransitionEvent'>;

let seq = 0;

export function graphLifecycleSuite(name: string, makeHarness: () => Promise<GraphHarness>): void {
  describe(`managed nodes (${name})`, () => {
    let graph: RosGraph;
    let managed: RosNode;
    let peer: RosNode;

    beforeEach(async () => {
      graph = (await makeHarness()).graph;
      const n = `${process.pid}_${++seq}`;
      managed = graph.createNode(`managed_${n}`, { managed: true });
      peer = graph.createNode(`peer_${n}`);
    });

    afterEach(async () => {
      await graph.shutdown();
    });

    const call = async <T extends Parameters<RosNode['createClient']>[0]>(
      type: T,
      service: string,
      req: Parameters<ReturnType<RosNode['createClient']>['call']>[0],
    ) => {
      const client = peer.createClient(type, `${managed.fullyQualifiedName}/${service}`);
      expect(await client.waitForService(10)).toBe(true);
      return client.call(req as never, { timeoutSec: 10 });
    };
    const getState = async () =>
      (
        (await call(
          'lifecycle_msgs/srv/GetState',
          'get_state',
          {},
        )) as MessageOf<'lifecycle_msgs/srv/GetState_Response'>
      ).current_state;
    const change = async (id: number, label = '') =>
      (
        (await call('lifecycle_msgs/srv/ChangeState', 'change_state', {
          transition: { id, label },
        })) as MessageOf<'lifecycle_msgs/srv/ChangeState_Response'>
      ).success;
    const transitions = async () =>
      (
        (await call(
          'lifecycle_msgs/srv/GetAvailableTransitions',
          'get_available_transitions',
          {},
        )) as MessageOf<'lifecycle_msgs/srv/GetAvailableTransitions_Response'>
      ).available_transitions.map(
        (d) => `${d.transition.label} [${d.transition.id}] ${d.start_state.label}->${d.goal_state.label}`,
      );

    it('is not managed unless asked: no lifecycle on a plain node', () => {
      expect(peer.lifecycle).toBeUndefined();
      expect(managed.lifecycle?.state()).toBe('unconfigured');
    });

    it('serves get_state, get_available_states and get_available_transitions as rcl_lifecycle does', async () => {
      expect(await getState()).toEqual({ id: 1, label: 'unconfigured' });
      expect(await transitions()).toEqual([
        'configure [1] unconfigured->configuring',
        'shutdown [5] unconfigured->shuttingdown',
      ]);
      const states = (await call(
        'lifecycle_msgs/srv/GetAvailableStates',
        'get_available_states',
        {},
      )) as MessageOf<'lifecycle_msgs/srv/GetAvailableStates_Response'>;
      expect(states.available_states.map((s) => `${s.label} [${s.id}]`)).toEqual([
        'unknown [0]',
        'unconfigured [1]',
        'inactive [2]',
        'active [3]',
        'finalized [4]',
        'configuring [10]',
        'cleaningup [11]',
        'shuttingdown [12]',
        'activating [13]',
        'deactivating [14]',
        'errorprocessing [15]',
      ]);
      managed.lifecycle!.trigger('configure');
      expect(await transitions()).toEqual([
        'cleanup [2] inactive->cleaningup',
        'activate [3] inactive->activating',
        'shutdown [6] inactive->shuttingdown',
      ]);
      managed.lifecycle!.trigger('activate');
      expect(await transitions()).toEqual(['deactivate [4] active->deactivating', 'shutdown [7] active->shuttingdown']);
    });

    it('goes through every transition over change_state, calling each callback with the state it left', async () => {
      const calls: string[] = [];
      const cb = (what: string) => (prev: string) => (calls.push(`${what} from ${prev}`), 'success' as const);
      managed.lifecycle!.register({
        onConfigure: cb('configure'),
        onActivate: cb('activate'),
        onDeactivate: cb('deactivate'),
        onCleanup: cb('cleanup'),
        onShutdown: cb('shutdown'),
      });
      expect(await change(1)).toBe(true);
      expect(await getState()).toEqual({ id: 2, label: 'inactive' });
      expect(await change(0, 'activate')).toBe(true);
      expect(managed.lifecycle!.state()).toBe('active');
      expect(await change(4)).toBe(true);
      expect(await change(2)).toBe(true);
      expect(await change(5)).toBe(true);
      expect(await getState()).toEqual({ id: 4, label: 'finalized' });
      expect(await transitions()).toEqual([]);
      expect(calls).toEqual([
        'configure from unconfigured',
        'activate from inactive',
        'deactivate from active',
        'cleanup from inactive',
        'shutdown from unconfigured',
      ]);
    });

    it('answers success false to a transition not available now, and keeps serving', async () => {
      expect(await change(3)).toBe(false); // activate while unconfigured
      expect(await change(0, 'no_such_transition')).toBe(false);
      expect(await change(10)).toBe(false); // an internal outcome transition
      expect(await getState()).toEqual({ id: 1, label: 'unconfigured' });
      expect(await change(1)).toBe(true);
      expect(() => managed.lifecycle!.trigger('deactivate')).toThrow(
        expect.objectContaining({ code: 'KZ_ERR_LIFECYCLE_TRANSITION' }),
      );
    });

    it('returns to the start state on failure; on error runs onError, which decides unconfigured or finalized', async () => {
      let answer: LifecycleCallbackReturn = 'failure';
      let onError: LifecycleCallbackReturn = 'success';
      const errors: string[] = [];
      const callbacks: LifecycleCallbacks = {
        onConfigure: () => answer,
        onError: (prev) => (errors.push(prev), onError),
      };
      managed.lifecycle!.register(callbacks);
      expect(await change(1)).toBe(false);
      expect(await getState()).toEqual({ id: 1, label: 'unconfigured' });
      answer = 'error';
      // rclcpp answers the transition's own callback: false, though onError recovered to unconfigured
      expect(await change(1)).toBe(false);
      expect(await getState()).toEqual({ id: 1, label: 'unconfigured' });
      expect(errors).toEqual(['unconfigured']);
      // a throwing callback is an error; onError failing finalizes the node
      managed.lifecycle!.register({
        ...callbacks,
        onConfigure: () => {
          throw new Error('configure blew up');
        },
      });
      onError = 'failure';
      expect(managed.lifecycle!.trigger('configure')).toEqual({ success: false, state: 'finalized' });
      expect(await getState()).toEqual({ id: 4, label: 'finalized' });
    });

    it('publishes a transition event for each step into and out of a transition state', async () => {
      const events: string[] = [];
      peer.createSubscription(
        'lifecycle_msgs/msg/TransitionEvent',
        `${managed.fullyQualifiedName}/transition_event`,
        (e: Event) =>
          events.push(`${e.start_state.label}->${e.goal_state.label} t=${e.transition.id}${e.transition.label}`),
      );
      await settle(500);
      managed.lifecycle!.register({ onActivate: () => 'failure' });
      expect(await change(1)).toBe(true);
      expect(await change(3)).toBe(false);
      expect(await waitFor(() => events.length === 4, 5000)).toBe(true);
      // rcl_lifecycle leaves the event's transition field empty (measured on Jazzy)
      expect(events).toEqual([
        'unconfigured->configuring t=0',
        'configuring->inactive t=0',
        'inactive->activating t=0',
        'activating->inactive t=0',
      ]);
    });

    it('sends from its publishers only while active; onActivate may publish, onDeactivate sends a last message', async () => {
      const topic = uniqueTopic('lifecycle_chatter');
      const got: string[] = [];
      peer.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data));
      const pub = managed.createPublisher('std_msgs/msg/String', topic);
      await waitFor(() => pub.subscriptionCount() === 1, 5000);
      managed.lifecycle!.register({
        onActivate: () => (pub.publish({ data: 'hello from onActivate' }), 'success'),
        onDeactivate: () => (pub.publish({ data: 'last from onDeactivate' }), 'success'),
      });
      pub.publish({ data: 'while unconfigured' });
      managed.lifecycle!.trigger('configure');
      pub.publish({ data: 'while inactive' });
      expect(managed.lifecycle!.trigger('activate')).toEqual({ success: true, state: 'active' });
      pub.publish({ data: 'while active' });
      managed.lifecycle!.trigger('deactivate');
      pub.publish({ data: 'after deactivate' });
      await waitFor(() => got.length >= 3, 5000);
      await settle(300);
      expect(got).toEqual(['hello from onActivate', 'while active', 'last from onDeactivate']);
    });

    it('frees what configure created: a destroyed publisher, subscription and timer are gone, the node lives on', async () => {
      const topic = uniqueTopic('freed');
      const got: string[] = [];
      let ticks = 0;
      const pub = peer.createPublisher('std_msgs/msg/String', topic);
      const sub = managed.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data));
      const own = managed.createPublisher('std_msgs/msg/String', `${topic}_out`);
      const timer = managed.createTimer(0.02, () => ticks++);
      expect(await waitFor(() => pub.subscriptionCount() === 1 && ticks > 0, 5000)).toBe(true);
      pub.publish({ data: 'before' });
      expect(await waitFor(() => got.length === 1, 5000)).toBe(true);

      sub.destroy();
      own.destroy();
      timer.destroy();
      sub.destroy(); // idempotent
      expect(await waitFor(() => pub.subscriptionCount() === 0, 5000)).toBe(true);
      const t = ticks;
      pub.publish({ data: 'after' });
      await settle(200);
      expect(got).toEqual(['before']);
      expect(ticks).toBe(t);
      expect(() => own.publish({ data: 'x' })).toThrow(expect.objectContaining({ code: 'KZ_ERR_GRAPH_SHUTDOWN' }));
      expect(() => timer.reset()).toThrow(expect.objectContaining({ code: 'KZ_ERR_GRAPH_SHUTDOWN' }));
      // a new subscription on the same topic works: configure again after cleanup
      managed.createSubscription('std_msgs/msg/String', topic, (m) => got.push(`again ${m.data}`));
      expect(await waitFor(() => pub.subscriptionCount() === 1, 5000)).toBe(true);
      pub.publish({ data: 'later' });
      expect(await waitFor(() => got.length === 2, 5000)).toBe(true);
      expect(got).toEqual(['before', 'again later']);
    });
  });
}
