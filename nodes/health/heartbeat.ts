/** The heartbeat every kizuna node publishes for the health node: its name on a fixed period. */
import type { RosNode, Timer } from '../core/graph/types';
import type { Resources } from '../core/managed';

/** Publishes `node.name` (std_msgs/msg/String) on `topic` every `periodSec` seconds, first right away. */
export function startHeartbeat(node: RosNode, topic: string, periodSec: number): Timer {
  const pub = node.createPublisher('std_msgs/msg/String', topic);
  const msg = { data: node.name };
  pub.publish(msg);
  return node.createTimer(periodSec, () => pub.publish(msg));
}

/**
 * A managed node's heartbeat: the publisher in the configuration's `res`; `start(live)` beats now and
 * then every `periodSec` seconds on a timer owned by `live` (the node's active period).
 */
export function heartbeatOf(
  res: Resources,
  name: string,
  topic: string,
  periodSec: number,
): { start(live: Resources): void } {
  const pub = res.publisher('std_msgs/msg/String', topic);
  const msg = { data: name };
  return {
    start(live) {
      pub.publish(msg);
      live.timer(periodSec, () => pub.publish(msg));
    },
  };
}
