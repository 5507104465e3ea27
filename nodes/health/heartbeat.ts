/** The heartbeat every kizuna node publishes for the health node: its name on a fixed period. */
import type { RosNode, Timer } from '../core/graph/types';

/** Publishes `node.name` (std_msgs/msg/String) on `topic` every `periodSec` seconds, first right away. */
export function startHeartbeat(node: RosNode, topic: string, periodSec: number): Timer {
  const pub = node.createPublisher('std_msgs/msg/String', topic);
  const msg = { data: node.name };
  pub.publish(msg);
  return node.createTimer(periodSec, () => pub.publish(msg));
}
