/**
 * Behaviour of the rclnodejs graph on real rcl + Fast DDS that the shared graph suite does not pin, because
 * the in-process graph differs (reported to be aligned; see nodes/core/graph/rclnodejs/README.md).
 */
import { afterEach, expect, it } from '@jest/globals';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { IncompatibleQoSEvent, RosGraph } from '../../nodes/core/graph/types';
import { isKizunaError } from '../../nodes/core/errors';
import { describeWithRos } from './support/gate';

describeWithRos('rclnodejs graph on Fast DDS', () => {
  const graphs: RosGraph[] = [];
  afterEach(async () => {
    for (const g of graphs.splice(0)) await g.shutdown();
  });

  it('refuses a second type on a topic within one graph (one DDS participant) with KZ_ERR_TYPE_MISMATCH', async () => {
    const graph = await createRclnodejsGraph({});
    graphs.push(graph);
    const topic = `/mixed${process.pid}`;
    graph.createNode('a').createSubscription('sensor_msgs/msg/LaserScan', topic, () => undefined);
    let caught: unknown;
    try {
      graph.createNode('b').createPublisher('std_msgs/msg/String', topic);
    } catch (e) {
      caught = e;
    }
    expect(isKizunaError(caught) && caught.code).toBe('KZ_ERR_TYPE_MISMATCH');
    expect((caught as Error).message).toMatch(/already carries another type than std_msgs\/msg\/String/);
    // Another graph is another participant: there the endpoint is created (and never connects).
    const other = await createRclnodejsGraph({});
    graphs.push(other);
    expect(other.createNode('c').createPublisher('std_msgs/msg/String', topic).topic).toBe(topic);
  });

  it('reports incompatible QoS by graph polling too (the fallback where rmw events are missing), on both sides', async () => {
    const graph = await createRclnodejsGraph({ qosEvents: 'graph' });
    graphs.push(graph);
    const node = graph.createNode('polled');
    const topic = `/polled${process.pid}`;
    const events: IncompatibleQoSEvent[] = [];
    node.createPublisher('std_msgs/msg/String', topic, 'sensor_data').onIncompatibleQoS((e) => events.push(e));
    node
      .createSubscription('std_msgs/msg/String', topic, () => undefined, 'default')
      .onIncompatibleQoS((e) => events.push(e));
    const deadline = Date.now() + 5000;
    while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(events.map((e) => [e.side, e.policy]).sort()).toEqual([
      ['publisher', 'reliability'],
      ['subscription', 'reliability'],
    ]);
    expect(events[0]!.publisherQoS.reliability).toBe('best_effort');
    expect(events[0]!.subscriptionQoS.reliability).toBe('reliable');
  });

  it('refuses a node whose fully qualified name exceeds 221 characters, as rcl does, with KZ_ERR_INVALID_NAME', async () => {
    const graph = await createRclnodejsGraph({});
    graphs.push(graph);
    expect(graph.createNode('n'.repeat(220)).fullyQualifiedName).toHaveLength(221);
    let caught: unknown;
    try {
      graph.createNode('m'.repeat(221));
    } catch (e) {
      caught = e;
    }
    expect(isKizunaError(caught) && caught.code).toBe('KZ_ERR_INVALID_NAME');
    expect((caught as Error).message).toMatch(/at most 221/);
  });
});
