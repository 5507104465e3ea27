/**
 * A local pause as the executive follows it (issue 18): a person on site paused the robot through the
 * safety gate (the gate owns the latch and publishes it in SafetyState). While paused the executive
 * holds its decision, drives nothing, asks the cloud for nothing, and refuses every decision that could
 * move the robot or end the pause (`LOCAL_PAUSE`); only the same person's resume, seen in the gate's
 * state, lets the held decision go on. Pure: time in [s].
 */

/** What changed with the latest SafetyState. */
export type PauseChange = { kind: 'paused'; source: string } | { kind: 'resumed'; source: string; pausedS: number };

export class LocalPauseView {
  private source = '';
  private since = Number.NaN;

  /** Whether a person on site holds the robot paused. */
  get paused(): boolean {
    return this.source !== '';
  }

  /** The input that paused it ('' when not paused). */
  get by(): string {
    return this.source;
  }

  /** [s] since the pause began, at `now`; 0 when not paused. */
  pausedFor(now: number): number {
    return this.paused ? Math.max(0, now - this.since) : 0;
  }

  /** The gate's local pause (its source, or '' when none) at `now`: what changed, if anything. */
  update(source: string, now: number): PauseChange | undefined {
    if (source === this.source) return undefined;
    if (this.source === '') {
      this.source = source;
      this.since = now;
      return { kind: 'paused', source };
    }
    if (source === '') {
      const was = this.source;
      const pausedS = this.pausedFor(now);
      this.source = '';
      this.since = Number.NaN;
      return { kind: 'resumed', source: was, pausedS };
    }
    return undefined; // still paused (the gate keeps the first source)
  }
}
