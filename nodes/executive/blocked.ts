/**
 * Escape, not deadlock: while the safety gate keeps a navigation step at STOP for an obstacle or a
 * person, the executive waits `blocked_timeout_s`, then backs off for `backoff_s` (a slow reverse when
 * the obstacle is ahead and reversing is allowed, else a turn away from it; while the gate refuses that
 * too, the next way out: a slow drive forward where there is room, the other turn) and tries the step again;
 * after `max_blocked_retries` back-offs it gives up so the national model can re-plan. The gate has
 * the last word on every back-off command: it lets through only motion that increases clearance.
 * Pure: time is passed in [s].
 */
import type { SafetyView } from './safety-view';

export interface BlockedConfig {
  /** [s] at STOP this long before backing off. */
  timeoutSec: number;
  /** [s] how long one back-off lasts. */
  backoffSec: number;
  /** Back-offs before giving up (0: give up at the first timeout). */
  maxRetries: number;
  /** [m/s] reverse speed of a back-off. */
  reverseSpeed: number;
  /** [rad/s] turn rate of a back-off. */
  turnRate: number;
  /** Whether a back-off may reverse. */
  allowReverse: boolean;
  /** [m] a back-off ends early once the nearest obstacle is this far from base_link (room to turn). */
  clearance: number;
}

/** [s] a STOP not seen for this long is over. */
const FORGET_S = 1;

/** Velocity [m/s, rad/s]. */
export interface Twist2D {
  v: number;
  w: number;
}

export type BlockedAction =
  { kind: 'drive' } | { kind: 'backoff'; cmd: Twist2D } | { kind: 'retry' } | { kind: 'give_up'; reason: string };

/** [s] a back-off the gate holds at STOP this long gives way to the next way out. */
const REFUSED_S = 1;
/** [m] room straight ahead (SafetyState path_clear_distance) for a forward back-off. */
const FORWARD_ROOM_M = 0.5;
/** cos of 45°: an obstacle within this of straight ahead is in front. */
const COS_AHEAD = Math.SQRT1_2;

/**
 * The back-off command away from an obstacle at `bearing` [rad] in base_link (undefined: not known): a
 * slow reverse when it is ahead (or unknown) and reversing is allowed, else a turn on the spot that
 * moves the obstacle toward the robot's rear (clockwise for an obstacle on the left or dead ahead).
 */
export function backoffCommand(bearing: number | undefined, c: BlockedConfig): Twist2D {
  return backoffCommands(bearing, c, 0)[0]!;
}

/**
 * The ways out, best first, tried in turn while the gate refuses each one ({@link backoffCommand}'s
 * first; then, with `pathClear` [m] of room ahead and nothing within 45° of straight ahead, a slow drive
 * forward — a robot whose sensors do not cover its rear or flanks may neither reverse nor turn where it
 * stands, but gets room by driving where it sees; last, the turn the other way).
 */
export function backoffCommands(bearing: number | undefined, c: BlockedConfig, pathClear: number): Twist2D[] {
  const ahead = bearing === undefined || Math.cos(bearing) > 0;
  const left = bearing === undefined || Math.sin(bearing) >= 0;
  const out: Twist2D[] = [];
  if (ahead && c.allowReverse) out.push({ v: -c.reverseSpeed, w: 0 });
  out.push({ v: 0, w: left ? -c.turnRate : c.turnRate });
  if (bearing !== undefined && Math.cos(bearing) < COS_AHEAD && pathClear >= FORWARD_ROOM_M) {
    out.push({ v: c.reverseSpeed, w: 0 });
  }
  out.push({ v: 0, w: left ? c.turnRate : -c.turnRate });
  return out;
}

/** Watches one navigation step for being held at STOP; tells the caller when to back off, retry or give up. */
export class BlockedMonitor {
  /** Back-offs done in this step. */
  retries = 0;
  private since = Number.NaN;
  private backoffUntil = Number.NaN;
  private cmd: Twist2D = { v: 0, w: 0 };
  private ways: Twist2D[] = [];
  private way = 0;
  private refusedSince = Number.NaN;
  private lastBlock = '';
  private lastBlocked = Number.NEGATIVE_INFINITY;

  constructor(private readonly c: BlockedConfig) {}

  /** A new step (or a resumed one): nothing blocked yet, no back-off done. */
  reset(): void {
    this.retries = 0;
    this.since = Number.NaN;
    this.backoffUntil = Number.NaN;
    this.lastBlock = '';
    this.lastBlocked = Number.NEGATIVE_INFINITY;
  }

  /** Whether a back-off is running. */
  get backingOff(): boolean {
    return !Number.isNaN(this.backoffUntil);
  }

  /**
   * One control period at `now` [s] of a step that wants to move, with the gate's view `s`
   * (`ignorePeople`: a person near does not count, e.g. the person being accompanied).
   */
  step(now: number, s: SafetyView, ignorePeople = false): BlockedAction {
    if (this.backingOff) {
      const clear = s.distance !== undefined && this.c.clearance > 0 && s.distance >= this.c.clearance;
      if (now < this.backoffUntil && !clear) {
        // the gate holds this way out at STOP too: the next one, with a back-off of its own
        if (!s.blocked) this.refusedSince = Number.NaN;
        else if (Number.isNaN(this.refusedSince)) this.refusedSince = now;
        else if (now - this.refusedSince >= REFUSED_S && this.way + 1 < this.ways.length) {
          this.cmd = this.ways[++this.way]!;
          this.backoffUntil = now + this.c.backoffSec;
          this.refusedSince = Number.NaN;
        }
        return { kind: 'backoff', cmd: this.cmd };
      }
      this.backoffUntil = Number.NaN;
      this.since = Number.NaN;
      return { kind: 'retry' };
    }
    const blocked = s.blocked && !(ignorePeople && s.blockedBy === 'person');
    if (!blocked) {
      // a STOP that flickers (something at the edge of the stop zone) still counts: being blocked ends
      // only after FORGET_S without it
      if (now - this.lastBlocked > FORGET_S) this.since = Number.NaN;
      return { kind: 'drive' };
    }
    this.lastBlocked = now;
    if (Number.isNaN(this.since)) this.since = now;
    this.lastBlock = describeBlock(s);
    if (now - this.since < this.c.timeoutSec) return { kind: 'drive' };
    if (this.retries >= this.c.maxRetries) {
      const tries = this.retries === 1 ? '1 back-off' : `${this.retries} back-offs`;
      return {
        kind: 'give_up',
        reason: `blocked by ${this.lastBlock} for ${this.c.timeoutSec} s after ${tries}; needs a new plan`,
      };
    }
    this.retries++;
    this.ways = backoffCommands(s.bearing, this.c, s.pathClear);
    this.way = 0;
    this.refusedSince = Number.NaN;
    this.cmd = this.ways[0]!;
    this.backoffUntil = now + this.c.backoffSec;
    this.since = Number.NaN;
    return { kind: 'backoff', cmd: this.cmd };
  }
}

function describeBlock(s: SafetyView): string {
  const what = s.blockedBy === 'person' ? 'a person' : 'an obstacle';
  return s.distance !== undefined && s.bearing !== undefined
    ? `${what} (nearest obstacle ${s.distance.toFixed(2)} m at ${s.bearing.toFixed(2)} rad)`
    : what;
}
