/**
 * lifecycle_manager on the in-process graph with the real safety gate run managed (through the runner, as
 * `kizuna run safety_gate --managed` does): bringup in order, the gate silent until active, a dead node
 * resets the stack (the gate's last word is zero velocity) and the stack comes back when the node returns.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import type { RosNode } from '../../nodes/core/graph/types';
import { createLogger } from '../../nodes/core/logging';
import { launchNode } from '../../nodes/core/runner';
import { NODES } from '../../nodes/registry';
import { startHeartbeat } from '../../nodes/health/heartbeat';
import { start as startManager } from '../../nodes/lifecycle_manager/node';
import { TOPICS } from '../../nodes/core/topics';
import { waitFor } from './graph-suite';

describe('lifecycle_manager with the managed safety gate', () => {
  let graph: InProcessGraph;
  afterEach(async () => {
    await graph.shutdown();
  });

  const worker = (): RosNode => {
    const n = graph.createNode('worker', { managed: true });
    startHeartbeat(n, TOPICS.heartbeat, 0.05);
    return n;
  };

  it('brings the stack up in order, resets it when a node dies, and brings it back when the node returns', async () => {
    graph = new InProcessGraph();
    const logger = createLogger({ level: 'error', json: true });
    const { node: gate } = await launchNode(NODES.safety_gate!, {
      into: { graph, logger },
      managed: true,
      argv: ['--ros-args', '-p', 'heartbeat_period_s:=0.05'],
    });
    let w = worker();
    const probe = graph.createNode('probe');
    const cmds: number[] = [];
    probe.createSubscription('geometry_msgs/msg/Twist', TOPICS.cmdVel, (m) => cmds.push(m.linear.x));
    const transitions: string[] = [];
    for (const n of ['safety_gate', 'worker']) {
      probe.createSubscription('lifecycle_msgs/msg/TransitionEvent', `/${n}/transition_event`, (e) => {
        if (e.goal_state.id < 10) transitions.push(`${n} ${e.goal_state.label}`);
      });
    }
    const isActive = probe.createClient('std_srvs/srv/Trigger', '/lifecycle_manager/is_active');

    await new Promise((r) => setTimeout(r, 200));
    expect(cmds).toEqual([]); // unconfigured: the gate's publishers are silent
    const mgr = graph.createNode('lifecycle_manager', {
      parameterOverrides: {
        node_names: ['safety_gate', 'worker'],
        bond_timeout_s: 0.4,
        respawn_check_s: 0.1,
        service_wait_s: 2,
      },
    });
    startManager(mgr);
    expect(await waitFor(() => gate.lifecycle!.state() === 'active' && w.lifecycle!.state() === 'active', 5000)).toBe(
      true,
    );
    await waitFor(() => transitions.length >= 4, 2000); // the events travel through the executor
    expect(transitions).toEqual(['safety_gate inactive', 'worker inactive', 'safety_gate active', 'worker active']);
    expect((await isActive.call({})).success).toBe(true);
    expect(await waitFor(() => cmds.length > 0, 2000)).toBe(true);

    // the worker dies: within the bond timeout the stack is reset, the gate last
    transitions.length = 0;
    w.destroy();
    expect(await waitFor(() => gate.lifecycle!.state() === 'unconfigured', 3000)).toBe(true);
    await waitFor(() => transitions.length >= 2, 2000);
    expect(transitions).toEqual(['safety_gate inactive', 'safety_gate unconfigured']);
    await new Promise((r) => setTimeout(r, 100)); // let the gate's last message land
    const heard = cmds.length;
    expect(cmds[heard - 1]).toBe(0);
    expect(await isActive.call({})).toEqual({ success: false, message: 'recovering' });
    await new Promise((r) => setTimeout(r, 200));
    expect(cmds.length).toBe(heard); // the gate holds the base with silence after its zero

    // the worker respawns (unconfigured): the manager brings the whole stack back up
    w = worker();
    expect(await waitFor(() => gate.lifecycle!.state() === 'active' && w.lifecycle!.state() === 'active', 5000)).toBe(
      true,
    );
    expect((await isActive.call({})).success).toBe(true);
  }, 20000);

  it('serves pause, resume and shutdown as Trigger services, bringing nodes down in reverse order', async () => {
    graph = new InProcessGraph();
    const a = graph.createNode('a', { managed: true });
    const b = graph.createNode('b', { managed: true });
    const order: string[] = [];
    for (const [n, node] of [
      ['a', a],
      ['b', b],
    ] as const) {
      node.lifecycle!.register({
        onDeactivate: () => (order.push(`deactivate ${n}`), 'success'),
        onActivate: () => (order.push(`activate ${n}`), 'success'),
        onShutdown: () => (order.push(`shutdown ${n}`), 'success'),
      });
    }
    startManager(
      graph.createNode('lifecycle_manager', { parameterOverrides: { node_names: ['a', 'b'], service_wait_s: 2 } }),
    );
    const probe = graph.createNode('probe');
    const call = (s: string) => probe.createClient('std_srvs/srv/Trigger', `/lifecycle_manager/${s}`).call({});
    expect(await waitFor(() => b.lifecycle!.state() === 'active', 5000)).toBe(true);
    expect(await call('pause')).toEqual({ success: true, message: 'pause: done' });
    expect([a.lifecycle!.state(), b.lifecycle!.state()]).toEqual(['inactive', 'inactive']);
    expect((await call('resume')).success).toBe(true);
    expect((await call('shutdown')).success).toBe(true);
    expect([a.lifecycle!.state(), b.lifecycle!.state()]).toEqual(['finalized', 'finalized']);
    expect(order).toEqual([
      'activate a',
      'activate b',
      'deactivate b',
      'deactivate a',
      'activate a',
      'activate b',
      'deactivate b',
      'deactivate a',
      'shutdown b',
      'shutdown a',
    ]);
    expect((await call('startup')).success).toBe(false); // finalized nodes cannot come back
  });

  it('keeps the bond to a node without a heartbeat through get_state (polled_node_names), and breaks it when it goes', async () => {
    graph = new InProcessGraph();
    const quiet = (): RosNode => graph.createNode('quiet', { managed: true }); // no heartbeat, as an rclpy node
    let q = quiet();
    const mgr = graph.createNode('lifecycle_manager', {
      parameterOverrides: {
        node_names: ['quiet'],
        polled_node_names: ['quiet'],
        bond_timeout_s: 0.4,
        respawn_check_s: 0.1,
        service_wait_s: 2,
      },
    });
    startManager(mgr);
    const probe = graph.createNode('probe');
    const isActive = probe.createClient('std_srvs/srv/Trigger', '/lifecycle_manager/is_active');
    // what the manager does to the node, as transition events (the stack's reset is brief in-process)
    const seen: string[] = [];
    probe.createSubscription('lifecycle_msgs/msg/TransitionEvent', '/quiet/transition_event', (e) => {
      if (e.goal_state.id < 10) seen.push(e.goal_state.label);
    });
    expect(await waitFor(() => q.lifecycle!.state() === 'active', 5000)).toBe(true);
    // many bond timeouts later, still bonded: its get_state answers active
    await new Promise((r) => setTimeout(r, 1500));
    expect(await isActive.call({})).toEqual({ success: true, message: 'active' });
    // deactivated behind the manager's back: no longer active, so the bond breaks as a silent heartbeat would
    seen.length = 0;
    q.lifecycle!.trigger('deactivate');
    // the bond breaks: the manager resets the stack (cleanup: unconfigured) and, the node answering, brings
    // it up again (configure, activate)
    expect(await waitFor(() => seen.join(' ').includes('unconfigured inactive active'), 5000)).toBe(true);
    expect(seen.slice(0, 2)).toEqual(['inactive', 'unconfigured']);
    // gone and back: brought up again
    q.destroy();
    q = quiet();
    expect(await waitFor(() => q.lifecycle!.state() === 'active', 5000)).toBe(true);
    expect((await isActive.call({})).success).toBe(true);
  }, 20000);

  it('refuses polled_node_names that are not in node_names, naming them', () => {
    graph = new InProcessGraph();
    const mgr = graph.createNode('lifecycle_manager', {
      parameterOverrides: { node_names: ['a'], polled_node_names: ['a', 'camera'] },
    });
    expect(() => startManager(mgr)).toThrow(/polled_node_names names camera, not in node_names \[a\]/);
  });
});
