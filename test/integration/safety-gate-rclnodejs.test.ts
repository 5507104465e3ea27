/**
 * The safety gate's behaviour suite on rclnodejs against real ROS 2. It needs a sourced ROS 2
 * (ROS_DISTRO set) and rclnodejs installed, and must run isolated (network namespace with only `lo`, a
 * random ROS_DOMAIN_ID); elsewhere it is reported as skipped, with the reason. Time is wall time here:
 * `advance` sleeps.
 */
import { describe, it } from '@jest/globals';
import { safetyGateSuite } from './safety-gate-suite';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';

const SKIP_REASON = 'SKIPPED: safety_gate suite on rclnodejs needs a sourced ROS 2 (ROS_DISTRO unset)';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (process.env.ROS_DISTRO) {
  safetyGateSuite('rclnodejs', async () => ({
    graph: await createRclnodejsGraph({}),
    advance: (sec: number) => sleep(sec * 1000),
    settle: () => sleep(50),
    deterministic: false,
  }));
} else {
  process.stdout.write(`${SKIP_REASON}\n`);
  describe('safety_gate behaviour (rclnodejs)', () => {
    it.skip(SKIP_REASON, () => undefined);
  });
}
