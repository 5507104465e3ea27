/**
 * The QoS deadline, watched by kizuna on each endpoint (both graphs): rclnodejs 2.2.0 cannot pass a
 * deadline to rmw, so instead each endpoint with `deadlineSec` restarts a timer on the node's clock at
 * every message (published, or arrived for a subscription). When a whole period passes without one, the
 * endpoint's listeners get a deadline-missed event, once per missed period, with the running totals DDS
 * reports (total_count, total_count_change). Counting starts at the first message, as DDS tracks a
 * deadline per instance and an instance exists once its first sample does.
 */
import { invokeCallback } from './callbacks';
import type { KizunaError } from '../errors';
import type { DeadlineMissedEvent, Timer, TimerInfo } from './types';

/** Makes a timer on the owning node's clock; it is destroyed with the node. */
export type DeadlineTimerFactory = (periodSec: number, onTick: (info: TimerInfo) => void) => Timer;

export class DeadlineWatch {
  private timer: Timer | undefined;
  private readonly listeners: Array<(ev: DeadlineMissedEvent) => void> = [];
  private total = 0;
  private stopped = false;

  constructor(
    readonly side: 'publisher' | 'subscription',
    readonly topic: string,
    readonly periodSec: number,
    private readonly makeTimer: DeadlineTimerFactory,
    private readonly report: (err: KizunaError) => void,
  ) {}

  /** Missed deadline periods so far. */
  get totalCount(): number {
    return this.total;
  }

  listen(cb: (ev: DeadlineMissedEvent) => void): void {
    this.listeners.push(cb);
  }

  /** A message was published (publisher) or arrived (subscription): the period restarts now. */
  touch(): void {
    if (this.stopped) return;
    if (this.timer) this.timer.reset();
    else this.timer = this.makeTimer(this.periodSec, (info) => this.missed(info));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private missed(info: TimerInfo): void {
    if (this.stopped) return;
    // A late tick stands for every period it skipped.
    const change = 1 + info.missedTicks;
    this.total += change;
    const ev: DeadlineMissedEvent = {
      topic: this.topic,
      side: this.side,
      totalCount: this.total,
      totalCountChange: change,
    };
    for (const l of this.listeners) invokeCallback(() => l(ev), 'deadline-missed listener', this.topic, this.report);
  }
}
