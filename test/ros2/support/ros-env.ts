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

/**
 * Undefined when ROS 2's own tools (`ros2`, `ros2 launch`, launch_testing) are usable here as well, else
 * why not: `npm run ros:setup` builds them from the vendored Jazzy sources in ../shared, and says so in the
 * env file (KIZUNA_ROS_TOOLS_MISSING) where those are absent.
 */
export function rosToolsUnavailableReason(): string | undefined {
  const base = rosUnavailableReason();
  if (base !== undefined) return base;
  if (process.env.KIZUNA_ROS_TOOLS_MISSING) return process.env.KIZUNA_ROS_TOOLS_MISSING;
  const tools = process.env.KIZUNA_ROS_TOOLS;
  if (!tools)
    return "ROS 2's launch and ros2 command line are not in this environment (an env file from an older ros:setup)";
  if (!existsSync(join(tools, 'bin', 'ros2'))) return `ROS 2's ros2 command is missing from ${tools}`;
  return undefined;
}
