/**
 * Whether this jest run can use real ROS 2, and the describe() wrapper every ROS 2 test file uses: without
 * the setup, ROS 2 tests skip locally with the reason and the fix, and fail when CI=true (a broken setup in
 * CI is a red build, never a silent skip).
 */
import { describe, it } from '@jest/globals';
import { rosUnavailableReason } from './ros-env';

export { rosUnavailableReason };

const FIX = 'run `npm run ros:setup`, then `npm test` (or `npm run ros:run -- npx jest <file>`)';

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
