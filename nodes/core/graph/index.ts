/**
 * Entry point to the ROS graph: the interface every node is written against, and the one function
 * that creates either implementation.
 */
import type { RosGraph } from './types';
import { InProcessGraph, type InProcessGraphOptions } from './inprocess/graph';
import { createRclnodejsGraph, type RclnodejsGraphOptions } from './rclnodejs/graph';

export type * from './types';

/** Which implementation: `inprocess` (tests, built-in sim) or `rclnodejs` (a robot with ROS 2 sourced). */
export type GraphKind = 'inprocess' | 'rclnodejs';

/** Options of both implementations; each ignores the ones it does not have. */
export type GraphOptions = InProcessGraphOptions & RclnodejsGraphOptions;

/** A new graph of the given kind. rclnodejs is loaded only for `rclnodejs` (KZ_ERR_RCLNODEJS_UNAVAILABLE without ROS 2). */
export async function createGraph(kind: GraphKind, options: GraphOptions = {}): Promise<RosGraph> {
  if (kind === 'rclnodejs') return createRclnodejsGraph(options);
  return new InProcessGraph(options);
}
