/** Whether this process can use real ROS 2 (no jest imports, so benchmarks use it too). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Undefined when ROS 2 is usable here, else why not. */
export function rosUnavailableReason(): string | undefined {
  if (!process.env.ROS_DISTRO) return 'no ROS 2 environment in this process (ROS_DISTRO unset)';
  if (!process.env.KIZUNA_ROS_SANDBOX) {
    return 'not started through scripts/ros-sandbox.sh, so DDS is not confined to loopback';
  }
  let pkg: string;
  try {
    pkg = require.resolve('rclnodejs/package.json');
  } catch {
    return 'rclnodejs is not installed';
  }
  if (!existsSync(join(dirname(pkg), 'build', 'Release', 'rclnodejs.node'))) {
    return 'rclnodejs is installed but its native addon is not built';
  }
  return undefined;
}
