/**
 * Whether this jest run can use real ROS 2, and the describe() wrappers every ROS 2 test file uses: without
 * the setup, ROS 2 tests skip locally with the reason and the fix, and fail when CI=true (a broken setup in
 * CI is a red build, never a silent skip).
 */
import { describe, it } from '@jest/globals';
import { rosToolsUnavailableReason, rosUnavailableReason } from './ros-env';

export { rosToolsUnavailableReason, rosUnavailableReason };

const FIX = 'run `npm run ros:setup`, then `npm test` (or `npm run ros:run -- npx jest <file>`)';

/** describe() that runs `body` when `reason` is undefined, else skips saying why or (CI=true) fails. */
export function describeUnless(reason: string | undefined, name: string, body: () => void, fix = FIX): void {
  if (reason === undefined) {
    describe(name, body);
    return;
  }
  const text = `${name}: ${reason}; ${fix}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has what it needs set up (required when CI=true)', () => {
        throw new Error(`cannot run in CI: ${text}`);
      });
    });
    return;
  }
  process.stdout.write(`SKIPPED: ${text}\n`);
  describe(name, () => {
    it.skip(text, () => undefined);
  });
}

/** describe() for tests that need ROS 2: runs them, skips them with the reason, or (CI=true) fails. */
export function describeWithRos(name: string, body: () => void): void {
  describeUnless(rosUnavailableReason(), name, body);
}

/** describe() for tests that also need ROS 2's own tools (ros2, ros2 launch, launch_testing). */
export function describeWithRosTools(name: string, body: () => void): void {
  describeUnless(rosToolsUnavailableReason(), name, body);
}
