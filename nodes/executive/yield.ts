/**
 * Give way before a deadlock: two robots that meet head-on, or cross, each slow the other down through
 * their safety gates until both stand still face to face, where neither can turn without sweeping into
 * the other. So while a navigation step is held slow by something near ahead (the gate's cap below
 * `slowSpeed` for `afterSec`), and the goal lies beyond it, the executive gives way early, by one rule
 * every robot follows, so two robots never choose the same. The same holds when something in the
 * straight path within `distance` (the gate's path_clear_distance) comes toward the robot, before the
 * gate slows anything:
 * - something ahead or on the left, or in the path: step aside to the right (a detour waypoint; two
 *   robots head-on both keep right and pass);
 * - something on the right front: hold still for `holdSec`, longer while something moves in the path
 *   (at most `maxHoldSec` per step), so crossing traffic from the right goes first, as at a junction
 *   without signs.
 * The gate still judges every motion; this only keeps robots from driving into the corner where only
 * the blocked-step back-off (blocked.ts) helps. Pure: time is passed in [s].
 */
import type { SafetyView } from './safety-view';

export interface YieldConfig {
  /** [m] only something nearer than this (from base_link) is given way to; 0 disables yielding. */
  distance: number;
  /** [m/s] the gate's linear cap below which the robot counts as held slow. */
  slowSpeed: number;
  /** [s] held slow this long before giving way. */
  afterSec: number;
  /** [s] one hold for traffic on the right. */
  holdSec: number;
  /** [s] total holding per navigation step; after that the robot only steps aside. */
  maxHoldSec: number;
  /** Sidesteps per navigation step. */
  maxSidesteps: number;
  /** [rad] bearings below -this count as "on the right". */
  rightBearing: number;
}

export type YieldAction = { kind: 'none' } | { kind: 'hold' } | { kind: 'sidestep' };

/** [rad] something within this bearing of straight ahead is in the way (about 30°). */
const AHEAD_RAD = 0.5;
/** [rad] on the right front down to this bearing (about 70°) is traffic to wait for. */
const RIGHT_FRONT_RAD = 1.2;
/** [m/s] the path closing in this much faster than the robot drives means something comes toward it. */
const ONCOMING_MPS = 0.3;
/** [m] something in the path counts as coming toward the robot only once it has closed in this much. */
const ONCOMING_MIN_M = 1;
/** [m] path_clear_distance changing by more than this during a hold: traffic moves in the path. */
const PATH_MOVED_M = 0.15;
/** [s] a conflict not seen for this long is over. */
const FORGET_S = 0.5;

const NONE: YieldAction = { kind: 'none' };
const HOLD: YieldAction = { kind: 'hold' };
const SIDESTEP: YieldAction = { kind: 'sidestep' };

/** A bearing [rad] on the right front: right of `right`, not behind the right side. */
function onRightFront(bearing: number | undefined, right: number): boolean {
  return bearing !== undefined && bearing < -right && bearing > -RIGHT_FRONT_RAD;
}

/** Watches one navigation step for being held slow by something ahead; says when to give way and how. */
export class YieldMonitor {
  /** Sidesteps taken in this step. */
  sidesteps = 0;
  private since = Number.NaN;
  private holdUntil = Number.NaN;
  private holdStart = Number.NaN;
  private held = 0;
  /** path_clear_distance [m] seen during the running hold period, nearest and farthest. */
  private pathMin = Number.POSITIVE_INFINITY;
  private pathMax = Number.NEGATIVE_INFINITY;
  private lastSeen = Number.NEGATIVE_INFINITY;
  /** path_clear_distance [m] at clearAt [s], when it came within distance (or last grew). */
  private clearAt = Number.NaN;
  private clear0 = 0;
  /** The latest conflict the gate limited for lay on the right front. */
  private rightSide = false;

  constructor(private readonly c: YieldConfig) {}

  /** A new step: nothing held, no way given yet. */
  reset(): void {
    this.sidesteps = 0;
    this.since = Number.NaN;
    this.holdUntil = Number.NaN;
    this.holdStart = Number.NaN;
    this.held = 0;
    this.lastSeen = Number.NEGATIVE_INFINITY;
    this.rightSide = false;
    this.clearAt = Number.NaN;
  }

  /** Whether a hold is running. */
  get holding(): boolean {
    return !Number.isNaN(this.holdUntil);
  }

  /**
   * One control period at `now` [s] of a navigation step whose goal is `goalDistance` [m] away, with the
   * gate's view `s`.
   */
  step(now: number, s: SafetyView, goalDistance: number, speed = 0): YieldAction {
    const c = this.c;
    if (!(c.distance > 0) || s.latched) return NONE;
    if (this.holding) {
      // standing still, the gate limits nothing: the hold runs its time, and longer while traffic still
      // moves in the path (something within distance, nearer or farther than a moment ago), within
      // maxHoldSec; something that stands in the path is not traffic to wait for (the gate judges the way on)
      if (s.pathClear < this.pathMin) this.pathMin = s.pathClear;
      if (s.pathClear > this.pathMax) this.pathMax = s.pathClear;
      if (now < this.holdUntil) return HOLD;
      const moving = this.pathMax - this.pathMin > PATH_MOVED_M;
      if (s.pathClear < c.distance && moving && now - this.holdStart + this.held < c.maxHoldSec) {
        this.holdUntil = Math.min(now + c.holdSec, this.holdStart - this.held + c.maxHoldSec);
        this.pathMin = this.pathMax = s.pathClear;
        return HOLD;
      }
      this.held += now - this.holdStart;
      this.holdUntil = Number.NaN;
      this.since = Number.NaN;
      return NONE;
    }
    const limitedAhead = this.limitedAhead(s, goalDistance);
    // (not while the gate limits the robot for a person: people step aside themselves)
    const blockedPath =
      this.oncoming(now, s.pathClear, speed) && s.limitedBy !== 'person' && goalDistance > s.pathClear + 0.5;
    if (limitedAhead) this.rightSide = s.limitBearing! < -c.rightBearing;
    // something entering the path: from the right front (the nearest obstacle there) it goes first
    else if (blockedPath) this.rightSide = onRightFront(s.bearing, c.rightBearing);
    if (!limitedAhead && !blockedPath) {
      // the gate's state flickers between its envelope and its zones as things move: a conflict ends
      // only after FORGET_S without one
      if (now - this.lastSeen > FORGET_S) this.since = Number.NaN;
      return NONE;
    }
    this.lastSeen = now;
    if (Number.isNaN(this.since)) this.since = now;
    if (now - this.since < c.afterSec) return NONE;
    this.since = Number.NaN;
    if (this.rightSide && this.held < c.maxHoldSec) {
      this.holdStart = now;
      this.holdUntil = now + Math.min(c.holdSec, c.maxHoldSec - this.held);
      // (what the path looked like while driving up is not compared: only what it does while standing)
      this.pathMin = Number.POSITIVE_INFINITY;
      this.pathMax = Number.NEGATIVE_INFINITY;
      return HOLD;
    }
    if (this.sidesteps >= c.maxSidesteps) return NONE;
    this.sidesteps++;
    return SIDESTEP;
  }

  /**
   * Something in the straight path within `distance` comes nearer faster than the robot's own `speed`
   * [m/s] explains (by ONCOMING_MPS): oncoming traffic, not a wall the robot drives up to (that one the
   * gate stops it short of, and the blocked-step rule takes over), measured since it came within
   * `distance`.
   */
  private oncoming(now: number, clear: number, speed: number): boolean {
    if (!(clear < this.c.distance) || Number.isNaN(this.clearAt) || clear > this.clear0 + 0.3) {
      // out of range, or farther again (it went by, or was something else): start measuring afresh
      this.clearAt = clear < this.c.distance ? now : Number.NaN;
      this.clear0 = clear;
      return false;
    }
    const closed = this.clear0 - clear;
    const dt = now - this.clearAt;
    // steadily nearer, by at least ONCOMING_MIN_M, faster than the robot's own speed explains: something
    // that only steps into the path (a person out of a doorway) closes in by a few decimetres at most
    return closed >= ONCOMING_MIN_M && dt > 0 && closed / dt > Math.max(0, speed) + ONCOMING_MPS;
  }

  /** The gate holds the robot slow for an obstacle (not a person) in front, nearer than the goal. */
  private limitedAhead(s: SafetyView, goalDistance: number): boolean {
    const d = s.limitDistance;
    const b = s.limitBearing;
    // people: the gate keeps its distance from them, and they step aside themselves; traffic gives way
    if (s.limitedBy !== 'obstacle' || d === undefined || b === undefined || !(s.linearCap < this.c.slowSpeed))
      return false;
    // ahead (to step aside from) or on the right front (to wait for); not beside the robot
    if (d > this.c.distance || b > AHEAD_RAD || b < -RIGHT_FRONT_RAD) return false;
    return goalDistance > d + 0.5;
  }
}
