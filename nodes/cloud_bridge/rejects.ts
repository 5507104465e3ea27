/**
 * Rejection reporting under load: the first `perInterval` rejections of each interval are reported
 * one event each; the rest are counted by reason and reported as one `rejections_summary` when the
 * interval ends. Pure: time passed in. Totals by reason are kept for BridgeStatus.
 */
import type { RejectReason } from '../core/contract';

export class RejectLimiter {
  private windowStartMs: number | undefined;
  private inWindow = 0;
  private suppressed = new Map<RejectReason, number>();
  /** Every rejection since start, by reason. */
  readonly totals = new Map<RejectReason, number>();

  /**
   * @param intervalMs [ms] length of one reporting interval
   * @param perInterval [count] rejections reported one by one per interval
   */
  constructor(
    private readonly intervalMs: number,
    private readonly perInterval: number,
  ) {}

  /** Counts one rejection at `nowMs`; true when it should be reported as its own event. */
  admit(reason: RejectReason, nowMs: number): boolean {
    this.totals.set(reason, (this.totals.get(reason) ?? 0) + 1);
    if (this.windowStartMs === undefined || nowMs - this.windowStartMs >= this.intervalMs) {
      // A new interval; anything suppressed in the old one is collected by flush().
      if (this.suppressed.size === 0) {
        this.windowStartMs = nowMs;
        this.inWindow = 0;
      }
    }
    if (this.inWindow < this.perInterval) {
      this.inWindow++;
      return true;
    }
    this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
    return false;
  }

  /** When an interval with suppressed rejections has ended by `nowMs`: their counts and the window length [ms]; resets. */
  flush(nowMs: number): { counts: Partial<Record<RejectReason, number>>; windowMs: number } | undefined {
    if (this.windowStartMs === undefined || this.suppressed.size === 0) return undefined;
    if (nowMs - this.windowStartMs < this.intervalMs) return undefined;
    const out = {
      counts: Object.fromEntries(this.suppressed) as Partial<Record<RejectReason, number>>,
      windowMs: nowMs - this.windowStartMs,
    };
    this.suppressed = new Map();
    this.windowStartMs = nowMs;
    this.inWindow = 0;
    return out;
  }

  /** Total rejections [count]. */
  get total(): number {
    let n = 0;
    for (const v of this.totals.values()) n += v;
    return n;
  }
}
