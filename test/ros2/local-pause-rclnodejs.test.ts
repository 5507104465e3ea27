/**
 * The local pause suite (test/integration/local-pause-suite.ts) on rclnodejs against real ROS 2 (run by
 * `npm test` in a network namespace with only `lo` and a random ROS_DOMAIN_ID): a signed, valid,
 * top-priority decision sent while a person holds the robot paused does not move it.
 */
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import { localPauseSuite } from '../integration/local-pause-suite';
import { describeWithRos } from './support/gate';

describeWithRos('local pause on rclnodejs', () => {
  localPauseSuite('rclnodejs', () => createRclnodejsGraph({}));
});
