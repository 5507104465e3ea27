/**
 * example_nearest: the worked example of a kizuna node. Subscribes to a LaserScan and publishes the
 * nearest return as a point in the scan frame. Wiring only; the logic is in logic.ts.
 */
import type { RosNode } from '../core/graph/types';
import type { NodeDefinition } from '../core/runner';
import { nearestReturn } from './logic';
import { paramsSchema } from './params';
import { timeToSec } from '../core/graph/clock';

/** Wires example_nearest onto `node`. */
export function start(node: RosNode): void {
  const p = node.declareParameters(paramsSchema);
  const pub = node.createPublisher('geometry_msgs/msg/PointStamped', p.output_topic);
  let lastScanSec: number | undefined;

  node.createSubscription(
    'sensor_msgs/msg/LaserScan',
    p.scan_topic,
    (scan) => {
      lastScanSec = timeToSec(node.now());
      const nearest = nearestReturn(scan);
      if (!nearest) return;
      pub.publish({
        header: scan.header,
        point: {
          x: nearest.rangeM * Math.cos(nearest.bearingRad),
          y: nearest.rangeM * Math.sin(nearest.bearingRad),
          z: 0,
        },
      });
    },
    'sensor_data',
  );

  node.createTimer(p.max_age_s, () => {
    const age = lastScanSec === undefined ? Infinity : timeToSec(node.now()) - lastScanSec;
    if (age > p.max_age_s) node.logger.warn(`no scan on '${node.resolveName(p.scan_topic)}' for ${age.toFixed(2)} s`);
  });
}

export const definition: NodeDefinition = { name: 'example_nearest', start };
