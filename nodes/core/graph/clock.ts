/**
 * Clocks and ROS time. A RosTime has the shape of builtin_interfaces/msg/Time, so it drops into a header.
 */
import { KizunaError } from '../errors';

/** builtin_interfaces/msg/Time: seconds and nanoseconds since the clock's epoch. */
export interface RosTime {
  sec: number;
  nanosec: number;
}

/** Where a clock's time comes from. */
export type ClockSource = 'system' | 'sim' | 'manual';

export interface Clock {
  readonly source: ClockSource;
  /** Current time as nanoseconds. */
  nowNs(): bigint;
}

const NS_PER_SEC = 1_000_000_000n;

/** RosTime from nanoseconds. */
export function timeFromNs(ns: bigint): RosTime {
  const sec = ns / NS_PER_SEC;
  return { sec: Number(sec), nanosec: Number(ns - sec * NS_PER_SEC) };
}

/** Nanoseconds from a RosTime. */
export function timeToNs(t: RosTime): bigint {
  return BigInt(t.sec) * NS_PER_SEC + BigInt(t.nanosec);
}

/** Seconds (float) from a RosTime. */
export function timeToSec(t: RosTime): number {
  return t.sec + t.nanosec / 1e9;
}

/** Nanoseconds from seconds (float), rounded to the nearest nanosecond. Throws on non-finite or negative input. */
export function secToNs(sec: number): bigint {
  if (!Number.isFinite(sec) || sec < 0) {
    throw new KizunaError('KZ_ERR_CLOCK', `a duration must be a finite number of seconds >= 0, got ${sec}`);
  }
  return BigInt(Math.round(sec * 1e9));
}

/** The longest period a timer may have: rcl keeps periods as int64 nanoseconds (about 292 years). */
export const MAX_PERIOD_NS = 2n ** 63n - 1n;

/**
 * The longest timeout a wait may have, in seconds: what one Node.js timer can hold (2^31 - 1 ms, about
 * 24.8 days). A longer delay would make Node fire after 1 ms instead (TimeoutOverflowWarning).
 */
export const MAX_TIMEOUT_SEC = (2 ** 31 - 1) / 1000;

/**
 * A timer period as nanoseconds. Throws KZ_ERR_CLOCK, naming `what`, for NaN, ±Infinity, a period <= 0, one
 * that rounds to 0 ns, or one longer than int64 nanoseconds can hold.
 */
export function periodToNs(sec: number, what = 'timer period'): bigint {
  if (typeof sec !== 'number' || !Number.isFinite(sec) || sec <= 0) {
    throw new KizunaError('KZ_ERR_CLOCK', `${what} must be a finite number of seconds > 0, got ${String(sec)}`, {
      entity: what,
    });
  }
  const ns = sec * 1e9;
  if (ns > Number(MAX_PERIOD_NS)) {
    throw new KizunaError('KZ_ERR_CLOCK', `${what} of ${sec} s is longer than int64 nanoseconds can hold`, {
      entity: what,
    });
  }
  const rounded = BigInt(Math.round(ns));
  if (rounded < 1n) {
    throw new KizunaError('KZ_ERR_CLOCK', `${what} of ${sec} s rounds to 0 ns; use at least 1e-9 s`, {
      entity: what,
    });
  }
  return rounded;
}

/**
 * A timeout as whole milliseconds for a Node.js timer. Throws KZ_ERR_CLOCK, naming `what`, for NaN,
 * ±Infinity, a negative timeout, or one longer than {@link MAX_TIMEOUT_SEC}: a wait never silently becomes
 * "forever" or "at once".
 */
export function timeoutToMs(sec: number, what = 'timeout'): number {
  if (typeof sec !== 'number' || !Number.isFinite(sec) || sec < 0 || sec > MAX_TIMEOUT_SEC) {
    throw new KizunaError(
      'KZ_ERR_CLOCK',
      `${what} must be a finite number of seconds in [0, ${MAX_TIMEOUT_SEC}], got ${String(sec)}`,
      { entity: what },
    );
  }
  return Math.ceil(sec * 1000);
}

/** Wall-clock (system) time: what ROS time is when use_sim_time is false. */
export class SystemClock implements Clock {
  readonly source = 'system' as const;
  // Anchored once to the wall clock, then advanced by the monotonic counter: nanosecond resolution
  // without jumps between reads.
  private readonly offsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  nowNs(): bigint {
    return this.offsetNs + process.hrtime.bigint();
  }
}

/**
 * A clock whose time only moves when told: `set` from /clock messages (sim time), or `advance` in tests.
 * Listeners run on every change, so timers on this clock fire as time moves.
 */
export class SettableClock implements Clock {
  private ns: bigint;
  private readonly listeners = new Set<(ns: bigint) => void>();

  constructor(
    readonly source: 'sim' | 'manual',
    startNs: bigint = 0n,
  ) {
    this.ns = startNs;
  }

  nowNs(): bigint {
    return this.ns;
  }

  /**
   * Moves time to `ns`. Sim time may jump backwards (a bag loops, a simulation resets) and listeners are
   * told; a manual clock only moves forward, so an older value is ignored there and returns false.
   */
  set(ns: bigint): boolean {
    if (this.source === 'manual' && ns < this.ns) return false;
    this.ns = ns;
    for (const l of this.listeners) {
      // One failing listener must not keep the others (other graphs' timers) from seeing the new time.
      try {
        l(ns);
      } catch {
        // Listeners are the graph's own timer passes, which report user errors themselves.
      }
    }
    return true;
  }

  /** Moves time forward by `sec` seconds. */
  advance(sec: number): void {
    this.set(this.ns + secToNs(sec));
  }

  /** Registers a listener for time changes; returns a function that removes it. */
  onChange(listener: (ns: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * One readiness check of a periodic timer, as rcl does it (rcl_timer_call): when `nowNs` has reached
 * `nextNs` the timer fires once and the next call moves one period on, or, if the timer fell behind
 * (a jump in sim time), far enough to pass `nowNs` — missed periods are skipped, not replayed. When time
 * went backwards past the last call, the timer re-arms one period from now.
 */
export function timerStep(nextNs: bigint, periodNs: bigint, nowNs: bigint): { fire: boolean; nextNs: bigint } {
  if (nowNs < nextNs - periodNs) return { fire: false, nextNs: nowNs + periodNs };
  if (nowNs < nextNs) return { fire: false, nextNs };
  let next = nextNs + periodNs;
  if (next < nowNs) next += (1n + (nowNs - next - 1n) / periodNs) * periodNs;
  return { fire: true, nextNs: next };
}
