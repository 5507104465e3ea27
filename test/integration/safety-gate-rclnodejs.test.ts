/**
 * The safety gate's behaviour suite on rclnodejs against real ROS 2 (Jazzy from `npm run ros:setup`, run by
 * `npm test` in a network namespace with only `lo` and a random ROS_DOMAIN_ID). Without the setup it is
 * skipped with the reason and the fix; with CI=true it fails instead. Time is wall time here: `advance` sleeps.
 */
import { safetyGateSuite } from './safety-gate-suite';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import { describeWithRos } from '../ros2/support/gate';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeWithRos('safety_gate suite on rclnodejs', () => {
  safetyGateSuite('rclnodejs', async () => ({
    graph: await createRclnodejsGraph({}),
    advance: (sec: number) => sleep(sec * 1000),
    settle: () => sleep(50),
    deterministic: false,
  }));
});
