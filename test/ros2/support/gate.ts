/**
 * Whether this jest run can use real ROS 2, and the describe() wrapper every ROS 2 test file uses: without
 * the setup, ROS 2 tests skip locally with the reason and the fix, and fail when CI=true (a broken setup in
 * CI is a red build, never a silent skip).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from '@jest/globals';

const FIX = 'run `npm run ros:setup`, then `npm test` (or `npm run ros:run -- npx jest <file>`)';

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

/** describe() for tests that need ROS 2: runs them, skips them with the reason, or (CI=true) fails. */
export function describeWithRos(name: string, body: () => void): void {
  const reason = rosUnavailableReason();
  if (reason === undefined) {
    describe(name, body);
    return;
  }
  const text = `${name}: ${reason}; ${FIX}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has ROS 2 set up (required when CI=true)', () => {
        throw new Error(`ROS 2 tests cannot run in CI: ${text}`);
      });
    });
    return;
  }
  process.stdout.write(`SKIPPED: ${text}\n`);
  describe(name, () => {
    it.skip(text, () => undefined);
  });
}
