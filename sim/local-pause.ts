/**
 * What the sim measures of local pauses (issue 18): how often a person paused a robot, for how long,
 * how far the robot moved while paused, and what the executive refused meanwhile. The robot brakes
 * when the pause begins; from `settleS` after that it must stand (moving then is what a cloud
 * decision, or anything else, must never cause). Pure: sim time and poses come in.
 */

/** [s] after the pause began: braking from full speed is over by then. */
export const PAUSE_SETTLE_S = 1.5;

export interface LocalPauseResult {
  /** [count] pauses that began. */
  pauses: number;
  /** [s] sim time spent paused. */
  pausedS: number;
  /** [m] farthest the robot moved from where it stood `PAUSE_SETTLE_S` into a pause, over every pause. */
  movedWhilePausedM: number;
}

export class PauseWatch {
  private pauses = 0;
  private pausedS = 0;
  private moved = 0;
  private since: number | undefined;
  private anchor: { x: number; y: number } | undefined;

  /** The gate's local pause at sim time `t` [s]. */
  onSafety(paused: boolean, t: number): void {
    if (paused && this.since === undefined) {
      this.pauses++;
      this.since = t;
      this.anchor = undefined;
    } else if (!paused && this.since !== undefined) {
      this.pausedS += t - this.since;
      this.since = undefined;
      this.anchor = undefined;
    }
  }

  /** The robot's pose at sim time `t` [s] (every step). */
  onPose(t: number, x: number, y: number): void {
    if (this.since === undefined || t < this.since + PAUSE_SETTLE_S) return;
    if (!this.anchor) this.anchor = { x, y };
    this.moved = Math.max(this.moved, Math.hypot(x - this.anchor.x, y - this.anchor.y));
  }

  /** Totals at sim time `t` (a pause still running counts up to `t`). */
  result(t: number): LocalPauseResult {
    return {
      pauses: this.pauses,
      pausedS: Math.round((this.pausedS + (this.since !== undefined ? t - this.since : 0)) * 1000) / 1000,
      movedWhilePausedM: Math.round(this.moved * 1000) / 1000,
    };
  }
}
