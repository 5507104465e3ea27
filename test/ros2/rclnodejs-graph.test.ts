/**
 * Behaviour of the rclnodejs graph on real rcl + Fast DDS that the shared graph suite does not pin, because
 * the in-process graph differs (reported to be aligned; see nodes/core/graph/rclnodejs/README.md).
 */
import { afterEach, expect, it } from '@jest/globals';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { RosGraph } from '../../nodes/core/graph/types';
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
});
