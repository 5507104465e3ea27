/**
 * example_nearest: the worked example of a kizuna node. Subscribes to a LaserScan and publishes the
 * nearest return as a point in the scan frame. Wiring only; the logic is in logic.ts.
 */
import type { RosNode } from '../core/graph/types';
import type { NodeDefinition } from '../core/runner';
import { nearestReturn, staleScanWarning, type StaleScanState } from './logic';
import { paramsSchema } from './params';
import { timeToSec } from '../core/graph/clock';

/** Wires example_nearest onto `node`. */
export function start(node: RosNode): void {
  const p = node.declareParameters(paramsSchema);
  const pub = node.createPublisher('geometry_msgs/msg/PointStamped', p.output_topic);
  const stale: StaleScanState = { lastScanSec: undefined, lastWarnSec: undefined };

  node.createSubscription(
    'sensor_msgs/msg/LaserScan',
    p.scan_topic,
    (scan) => {
      stale.lastScanSec = timeToSec(node.now());
      stale.lastWarnSec = undefined; // the next outage warns at once
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

  const scanTopic = node.resolveName(p.scan_topic);
  node.createTimer(p.max_age_s, () => {
    const now = timeToSec(node.now());
    const what = staleScanWarning(stale, now, p.max_age_s, p.warn_every_s);
    if (what === undefined) return;
    stale.lastWarnSec = now;
    node.logger.warn(`no scan on '${scanTopic}' ${what}`);
  });
}

export const definition: NodeDefinition = { name: 'example_nearest', start };
