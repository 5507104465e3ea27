/**
 * Timers of the in-process graph: one ordered queue (a binary heap on the next call time) per clock.
 *
 * - Wall clock: one Node.js timeout per graph, armed for the earliest timer and clamped to what a Node.js
 *   timer can hold, so a 30-day period waits 30 days. A timer found late is called once and its missed
 *   periods are skipped as rcl_timer_call skips them, and reported: the callback's TimerInfo carries the
 *   missed-tick count, and a warning (at most one per timer per 5 s) names it.
 * - Manual and sim clocks: every change of time advances all timers in one pass, in due-time order.
 *
 * A due timer becomes ready in the executor and fires there, one call per turn.
 */
import { KizunaError } from '../../errors';
import { SettableClock, timerStep, type Clock } from '../clock';
import type { Timer, TimerInfo } from '../types';
import type { Executor, Runnable } from './executor';

/** Node's longest timeout, in ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** At most one late-timer warning per timer in this many ns. */
const LATE_WARN_EVERY_NS = 5_000_000_000n;

/** What a timer calls: the user callback, already wrapped so that it never throws. */
export type TimerFire = (info: TimerInfo) => void;

export class InProcessTimer implements Timer, Runnable {
  queued = false;
  /** Index in the heap, -1 when not scheduled. */
  heapIndex = -1;
  /** Order of creation, to break ties between timers due at the same time. */
  readonly seq: number;
  nextNs: bigint;
  /** Fires waiting for the executor (a jump in manual/sim time can make a timer due twice at once). */
  private readonly pending: TimerInfo[] = [];
  private canceled = false;
  private lastLateWarnNs = -LATE_WARN_EVERY_NS;
  /** Missed ticks reported so far. */
  missedTicksTotal = 0;
  /** Set while the owner is alive; cleared on destroy. */
  alive = true;

  constructor(
    private readonly service: TimerService,
    readonly periodSec: number,
    readonly periodNs: bigint,
    private readonly fire: TimerFire,
    private readonly onLate: (missed: number, info: TimerInfo) => void,
    seq: number,
  ) {
    this.seq = seq;
    this.nextNs = service.clock.nowNs() + periodNs;
  }

  cancel(): void {
    this.canceled = true;
    this.pending.length = 0;
    this.service.remove(this);
  }

  isCanceled(): boolean {
    return this.canceled;
  }

  destroy(): void {
    this.alive = false;
    this.cancel();
  }

  /** Restarts the period from now and un-cancels the timer, as rcl_timer_reset does. */
  reset(): void {
    if (!this.alive) {
      throw new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `timer (${this.periodSec} s) belongs to a destroyed node`, {
        entity: `timer(${this.periodSec}s)`,
      });
    }
    this.canceled = false;
    this.pending.length = 0;
    this.nextNs = this.service.clock.nowNs() + this.periodNs;
    this.service.schedule(this);
  }

  /** Takes the fires due at `nowNs` (in one pass of the service). */
  takeDue(nowNs: bigint, wall: boolean): void {
    // timerStep inlined (this runs for every fire of every timer): a jump past the next call fires once
    // and skips the missed periods; landing exactly on a period boundary makes the timer ready once more,
    // as in rcl. A rewind is handled by rewind() before the pass.
    for (let i = 0; i < 2 && this.nextNs <= nowNs; i++) {
      this.pending.push({ expectedCallNs: this.nextNs, actualCallNs: nowNs, missedTicks: 0 });
      let next = this.nextNs + this.periodNs;
      if (next < nowNs) next += (1n + (nowNs - next - 1n) / this.periodNs) * this.periodNs;
      this.nextNs = next;
      if (wall) break;
    }
  }

  /** Re-arms after a rewind of sim time, as rcl does when time jumps back past the last call. */
  rewind(nowNs: bigint): void {
    const step = timerStep(this.nextNs, this.periodNs, nowNs);
    if (!step.fire) this.nextNs = step.nextNs;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  runOne(): boolean {
    const info = this.pending.shift();
    if (!info || this.canceled || !this.alive) return false;
    info.actualCallNs = this.service.clock.nowNs();
    const late = info.actualCallNs - info.expectedCallNs;
    if (late >= this.periodNs) {
      info.missedTicks = Number(late / this.periodNs);
      this.missedTicksTotal += info.missedTicks;
      if (this.service.wall && info.actualCallNs - this.lastLateWarnNs >= LATE_WARN_EVERY_NS) {
        this.lastLateWarnNs = info.actualCallNs;
        this.onLate(info.missedTicks, info);
      }
    }
    this.fire(info);
    return this.pending.length > 0;
  }
}

/** The timers of one clock in a graph. */
export class TimerService {
  private readonly heap: InProcessTimer[] = [];
  private seq = 0;
  readonly wall: boolean;
  private handle: NodeJS.Timeout | undefined;
  private armedForNs: bigint | undefined;
  private lastNs: bigint;
  private stopClock: (() => void) | undefined;
  private stopped = false;

  constructor(
    readonly clock: Clock,
    private readonly executor: Executor,
  ) {
    this.wall = !(clock instanceof SettableClock);
    this.lastNs = clock.nowNs();
    if (clock instanceof SettableClock) this.stopClock = clock.onChange((ns) => this.pass(ns));
  }

  /** A new timer firing every `periodNs`, first one period from now. */
  create(
    periodSec: number,
    periodNs: bigint,
    fire: TimerFire,
    onLate: (missed: number, info: TimerInfo) => void,
  ): InProcessTimer {
    const t = new InProcessTimer(this, periodSec, periodNs, fire, onLate, this.seq++);
    this.schedule(t);
    return t;
  }

  /** Inserts or moves `t` to its place for `t.nextNs`. */
  schedule(t: InProcessTimer): void {
    if (this.stopped) return;
    if (t.heapIndex < 0) {
      t.heapIndex = this.heap.length;
      this.heap.push(t);
    }
    this.siftUp(t.heapIndex);
    this.siftDown(t.heapIndex);
    if (this.wall) this.arm();
  }

  remove(t: InProcessTimer): void {
    const i = t.heapIndex;
    if (i < 0) return;
    const last = this.heap.pop()!;
    t.heapIndex = -1;
    if (last !== t) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.siftUp(i);
      this.siftDown(last.heapIndex);
    }
  }

  /** Stops every timer of this clock (graph shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.stopClock?.();
    for (const t of this.heap) t.heapIndex = -1;
    this.heap.length = 0;
  }

  /** Advances every timer to `nowNs` in due-time order; what came due becomes ready in the executor. */
  pass(nowNs: bigint): void {
    if (this.stopped) return;
    if (nowNs < this.lastNs) {
      // Sim time went back: re-arm what is now more than a period ahead, then rebuild the order.
      for (const t of this.heap) t.rewind(nowNs);
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    }
    this.lastNs = nowNs;
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.nextNs <= nowNs) {
      const t = heap[0]!;
      t.takeDue(nowNs, this.wall);
      this.siftDown(0);
      if (t.hasPending()) this.executor.wake(t);
    }
    if (this.wall) this.arm();
  }

  /** Wall clock: one Node.js timeout for the earliest timer, re-armed when that changes. */
  private arm(): void {
    const top = this.heap[0];
    if (!top) {
      if (this.handle) clearTimeout(this.handle);
      this.handle = undefined;
      this.armedForNs = undefined;
      return;
    }
    if (this.handle && this.armedForNs !== undefined && this.armedForNs <= top.nextNs) return;
    if (this.handle) clearTimeout(this.handle);
    const delayMs = Number(top.nextNs - this.clock.nowNs()) / 1e6;
    this.armedForNs = top.nextNs;
    this.handle = setTimeout(
      () => {
        this.handle = undefined;
        this.armedForNs = undefined;
        this.pass(this.clock.nowNs());
      },
      Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(delayMs))),
    );
  }

  private less(a: InProcessTimer, b: InProcessTimer): boolean {
    return a.nextNs < b.nextNs || (a.nextNs === b.nextNs && a.seq < b.seq);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const t = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!this.less(t, parent)) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    heap[i] = t;
    t.heapIndex = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    if (i >= n) return;
    const t = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!this.less(child, t)) break;
      heap[i] = child;
      child.heapIndex = i;
      i = c;
    }
    heap[i] = t;
    t.heapIndex = i;
  }
}
