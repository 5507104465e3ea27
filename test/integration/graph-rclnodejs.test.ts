/**
 * The shared graph suite on rclnodejs against real rcl + Fast DDS (ROS 2 Jazzy from `npm run ros:setup`).
 * Without the setup the suite is skipped with the reason and the fix; with CI=true it fails instead.
 */
import { graphSuite } from './graph-suite';
import { graphFidelitySuite } from './graph-suite-fidelity';
import { graphLifecycleSuite } from './graph-suite-lifecycle';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import { describeWithRos } from '../ros2/support/gate';

describeWithRos('graph suite on rclnodejs', () => {
  graphSuite('rclnodejs', async () => ({ graph: await createRclnodejsGraph({}) }));
  graphFidelitySuite('rclnodejs', async () => ({ graph: await createRclnodejsGraph({}) }));
  graphLifecycleSuite('rclnodejs', async () => ({ graph: await createRclnodejsGraph({}) }));
});
