/**
 * ISO 13850: resetting an emergency stop must not restart the machine. The executive's side of that
 * rule: after the safety gate reports an e-stop, nothing the executive already had (the decision it
 * abandoned, a decision paused under a HOLD, its own local fallback) may move the robot again; only
 * a new, deliberate decision (from the cloud or an operator, a RESUME included) may, and while the gate
 * still holds its latch that decision sends exactly one motion start. Pure: time is passed in [s].
 */

export class StartGuard {
  /** Whether the gate has reported at all: until then its latch is unknown (a start may be needed). */
  private known = false;
  private latchedNow = false;
  private needed = false;
  /** [s] when a start was sent while latched; NaN when none is waiting for the gate. */
  private startSentAt = Number.NaN;

  /** Whether the gate currently reports an e-stop (active or latched). */
  get latched(): boolean {
    return this.latchedNow;
  }

  /** Whether an e-stop happened and no deliberate start has followed: nothing may start motion on its own. */
  get startNeeded(): boolean {
    return this.needed;
  }

  /** Whether motion that no one deliberately asked for (the local fallback, a paused decision) may start. */
  get mayMoveOnItsOwn(): boolean {
    return !this.needed && !this.latchedNow;
  }

  /**
   * The gate's latch as of `latched`; returns true on its rising edge (the e-stop just happened: the
   * caller abandons the motion it was carrying out).
   */
  onLatch(latched: boolean): boolean {
    if (!this.known) {
      // the gate's first report: its state at boot (a gate that starts latched), not an e-stop that
      // just happened; a start sent before it (startSentAt) stays waiting for the gate's answer
      this.known = true;
      this.latchedNow = latched;
      if (!latched) this.startSentAt = Number.NaN;
      return false;
    }
    const rose = latched && !this.latchedNow;
    this.latchedNow = latched;
    if (rose) {
      this.needed = true;
      this.startSentAt = Number.NaN;
    }
    if (!latched) this.startSentAt = Number.NaN;
    return rose;
  }

  /**
   * A new deliberate decision that needs motion begins at `now`: it counts as the start. Returns whether
   * a motion start must be published (the gate still holds its latch, or has not reported yet).
   */
  deliberateStart(now: number): boolean {
    this.needed = false;
    // before the gate's first report its latch is unknown: send the start (a gate not latched ignores it)
    if (this.known && !this.latchedNow) return false;
    this.startSentAt = now;
    return true;
  }

  /**
   * Whether the start sent for the running decision went unanswered: the gate still reports the latch
   * `timeoutSec` [s] after it (the e-stop is still pressed, or was never reset, so the gate refused it).
   * Then the decision cannot run, and the e-stop rule applies again (a later reset must not start it).
   */
  startRefused(now: number, timeoutSec: number): boolean {
    if (Number.isNaN(this.startSentAt) || !this.latchedNow || now - this.startSentAt < timeoutSec) return false;
    this.startSentAt = Number.NaN;
    this.needed = true;
    return true;
  }
}
