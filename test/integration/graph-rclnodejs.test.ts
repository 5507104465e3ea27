/**
 * The shared graph suite on rclnodejs. It needs a sourced ROS 2 (ROS_DISTRO set) and rclnodejs
 * installed; elsewhere the suite is reported as skipped, with the reason, instead of failing.
 */
import { describe, it } from '@jest/globals';
import { graphSuite } from './graph-suite';
import { graphFidelitySuite } from './graph-suite-fidelity';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';

const SKIP_REASON = 'SKIPPED: rclnodejs graph suite needs a sourced ROS 2 (ROS_DISTRO unset)';

if (process.env.ROS_DISTRO) {
  graphSuite('rclnodejs', async () => ({ graph: await createRclnodejsGraph({}) }));
  graphFidelitySuite('rclnodejs', async () => ({ graph: await createRclnodejsGraph({}) }));
} else {
  process.stdout.write(`${SKIP_REASON}\n`);
  describe('ROS graph behaviour (rclnodejs)', () => {
    it.skip(SKIP_REASON, () => undefined);
  });
}
