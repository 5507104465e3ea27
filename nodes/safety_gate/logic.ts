/**
 * The safety gate's decision: what velocity the base may get now, and why. Pure: inputs arrive with the
 * time they were received (seconds on the node's clock), `step(now)` computes the output. No ROS, no
 * clock reads, no allocation per scan or step (results go into objects owned by the gate).
 *
 * Order of precedence, most restrictive first: e-stop latch, a refused input, a stale input, no fresh
 * command, an obstacle in the stop zone, a person inside the separation distance; then speed caps (people
 * S = K*T + C, slowdown zone, approach, speed limit, profile maxima) and acceleration limits.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import type { Params } from './params';
import { ScanPoints, scanProblem, type ScanLike } from './scan';
import { ZoneModel, ZoneResult } from './zones';

const S = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];

/** A planar twist: vx, vy [m/s], wz [rad/s]. */
export interface Twist2D {
  vx: number;
  vy: number;
  wz: number;
}

/** The subset of geometry_msgs/msg/Twist read here. */
export interface TwistLike {
  linear: { x: number; y: number; z: number };
  angular: { x: number; y: number; z: number };
}

/** What the gate decided in one step. Owned by the gate and overwritten by the next step. */
export class GateOutput {
  /** @internal vx, vy [m/s], wz [rad/s], linear cap [m/s], angular cap [rad/s]: a typed array, so no double is boxed per step. */
  readonly n = new Float64Array(5);
  /** [m/s] */
  get vx(): number {
    return this.n[0]!;
  }
  /** [m/s] */
  get vy(): number {
    return this.n[1]!;
  }
  /** [rad/s] */
  get wz(): number {
    return this.n[2]!;
  }
  /** [m/s] max linear speed allowed now */
  get linearCap(): number {
    return this.n[3]!;
  }
  /** [rad/s] max angular speed allowed now */
  get angularCap(): number {
    return this.n[4]!;
  }
  state: number = S.STATE_STOP;
  reason: number = S.REASON_SOURCE_TIMEOUT;
  estopLatched = false;
  teleopActive = false;
  /** Sorted names of inputs whose timeout has expired; a new array only when the set changes. */
  timedOut: string[] = [];
  /** Short cause; built only when the state or reason changes. */
  detail = '';
}

// Indices into SafetyGate.f, the gate's numeric state (a Float64Array: stores never box a double).
const NAV = 0; // vx, vy, wz of the executive's command
const TELEOP = 3; // vx, vy, wz of teleop
const LAST = 6; // vx, vy, wz of the last output
const NAV_SEC = 9;
const TELEOP_SEC = 10;
const ESTOP_SEC = 11;
const ODOM_SEC = 12;
const PEOPLE_SEC = 13;
const LAST_STEP_SEC = 14;
const SPEED_LIMIT = 15; // [m/s], 0 = none
const PERSON_D = 16; // [m]
const REQ = 17; // vx, vy, wz of the request within the profile maxima
const F_SIZE = 20;

const fmt = (n: number): string => n.toFixed(2);

/** Derived per-profile constants. */
function separationDistance(p: Params): number {
  return p.separation_k_mps * p.separation_t_s + p.separation_c_m;
}

/** The zone model of the gate's parameters. */
function zoneModel(p: Params): ZoneModel {
  return new ZoneModel({
    footprint: { front: p.footprint_front_m, rear: p.footprint_rear_m, halfWidth: p.footprint_half_width_m },
    stopMargin: p.stop_margin_m,
    slowdownMargin: p.slowdown_margin_m,
    limitMargin: p.limit_margin_m,
    approachTime: p.approach_time_s,
    approachStep: p.approach_step_s,
    approachMargin: p.approach_margin_m,
  });
}

export class SafetyGate {
  readonly scans: ScanPoints[];
  private readonly scanNames: string[];
  /** [s] when each scan source last delivered a valid scan. */
  private readonly scanSec: Float64Array;
  private readonly f = new Float64Array(F_SIZE);
  private zones: ZoneModel;
  private readonly zone = new ZoneResult();
  readonly out = new GateOutput();
  /** Sources refused most recently, by name → why. A refused scan stops the robot until a good one arrives. */
  private readonly refused = new Map<string, string>();

  private estopAsserted = false;
  private latched = false;
  private peopleCount = 0;
  private separation: number;
  private timedOutMask = 0;
  private approachStop = false;
  private staleScanOrOdom = false;

  constructor(
    private readonly p: Params,
    startSec: number,
  ) {
    this.scanNames = [...p.scan_topics];
    this.scanSec = new Float64Array(p.scan_topics.length).fill(Number.NEGATIVE_INFINITY);
    const f = this.f;
    f[NAV_SEC] = f[TELEOP_SEC] = f[ODOM_SEC] = f[PEOPLE_SEC] = Number.NEGATIVE_INFINITY;
    f[ESTOP_SEC] = startSec; // grace: silence counts from start
    f[LAST_STEP_SEC] = startSec;
    this.scans = p.scan_topics.map(
      (_, i) => new ScanPoints({ x: p.scan_poses[3 * i]!, y: p.scan_poses[3 * i + 1]!, yaw: p.scan_poses[3 * i + 2]! }),
    );
    this.zones = zoneModel(p);
    this.separation = separationDistance(p);
  }

  /**
   * Rebuilds what the gate derives from its parameters (zones, people separation) after they changed
   * at run time; caps, limits and timeouts are read from the parameters at every step already.
   */
  reconfigure(): void {
    this.zones = zoneModel(this.p);
    this.separation = separationDistance(this.p);
  }

  /** [m] the people separation distance S = K*T + C. */
  get separationDistance(): number {
    return this.separation;
  }

  /**
   * A scan from source `index`: refused (returns why) when its frame, limits or share of invalid beams
   * make no sense; otherwise loaded and undefined returned.
   */
  onScan(index: number, scan: ScanLike, now: number): string | undefined {
    const name = this.scanNames[index]!;
    const problem = scanProblem(scan, this.p.scan_frames[index]!, this.p.max_plausible_range_m);
    if (problem !== undefined) {
      this.refused.set(name, problem);
      return problem;
    }
    const pts = this.scans[index]!;
    pts.load(scan);
    if (pts.invalidBeams > this.p.max_invalid_beam_fraction * pts.beams) {
      const why = `${pts.invalidBeams} of ${pts.beams} beams are NaN or below range_min (blind)`;
      pts.count = 0;
      this.refused.set(name, why);
      return why;
    }
    if (this.refused.size > 0) this.refused.delete(name);
    this.scanSec[index] = now;
    return undefined;
  }

  /** Odometry arrived (only its freshness matters here). Returns why it is refused, or undefined. */
  onOdom(twist: TwistLike, now: number): string | undefined {
    if (!finiteTwist(twist)) return 'odometry twist has NaN or Inf';
    this.f[ODOM_SEC] = now;
    return undefined;
  }

  /** A velocity command; NaN/Inf commands are dropped (returns why). */
  onCommand(kind: 'nav' | 'teleop', twist: TwistLike, now: number): string | undefined {
    if (!finiteTwist(twist)) return `${kind} command has NaN or Inf (${describeTwist(twist)}); dropped`;
    const f = this.f;
    const at = kind === 'nav' ? NAV : TELEOP;
    f[at] = twist.linear.x;
    f[at + 1] = twist.linear.y;
    f[at + 2] = twist.angular.z;
    f[kind === 'nav' ? NAV_SEC : TELEOP_SEC] = now;
    return undefined;
  }

  /** E-stop state: true asserts and latches; false alone does not release the latch. */
  onEstop(asserted: boolean, now: number): void {
    this.estopAsserted = asserted;
    this.f[ESTOP_SEC] = now;
    if (asserted) this.latched = true;
  }

  /** An explicit resume. Returns why it is refused, or undefined when the latch was released (or none was set). */
  onEstopReset(now: number): string | undefined {
    if (this.estopAsserted) return 'e-stop is still asserted';
    if (this.estopSilent(now)) return `e-stop publisher silent for more than ${this.p.estop_timeout_s} s`;
    this.latched = false;
    return undefined;
  }

  /** Speed limit [m/s] from the executive; 0 clears. Returns why it is refused, or undefined. */
  onSpeedLimit(limit: number): string | undefined {
    if (!Number.isFinite(limit) || limit < 0) return `speed limit ${limit} is not a finite number >= 0`;
    this.f[SPEED_LIMIT] = limit;
    return undefined;
  }

  /** People near the robot from WorldSummary. Returns why it is refused, or undefined. */
  onPeople(count: number, nearestDistance: number, now: number): string | undefined {
    if (count > 0 && !(Number.isFinite(nearestDistance) && nearestDistance >= 0)) {
      return `nearest person distance ${nearestDistance} is not a finite number >= 0`;
    }
    this.peopleCount = count;
    this.f[PERSON_D] = nearestDistance;
    this.f[PEOPLE_SEC] = now;
    return undefined;
  }

  private estopSilent(now: number): boolean {
    return this.p.estop_timeout_s > 0 && now - this.f[ESTOP_SEC]! > this.p.estop_timeout_s;
  }

  /** Computes the output for time `now` [s] into {@link out} and returns it. */
  step(now: number): GateOutput {
    const p = this.p;
    const o = this.out;
    const prevState = o.state;
    const prevReason = o.reason;
    const f = this.f;
    const n = o.n;
    let dt = now - f[LAST_STEP_SEC]!;
    if (!(dt >= 0)) dt = 0;
    if (dt > 0.25) dt = 0.25;
    f[LAST_STEP_SEC] = now;

    if (this.estopSilent(now)) this.latched = true;
    this.updateTimedOut(now);

    // Which command: teleop while fresh, else the executive's while fresh.
    const teleopFresh = now - f[TELEOP_SEC]! <= p.teleop_timeout_s;
    const navFresh = now - f[NAV_SEC]! <= p.cmd_timeout_s;
    const req = teleopFresh ? TELEOP : NAV;
    o.teleopActive = teleopFresh;

    // The request within the profile maxima. Zones and approach look at the request itself (as Nav2's
    // collision_monitor does), so their caps do not feed back through the acceleration limit.
    let rx = clamp(f[req]!, -p.max_reverse_speed_mps, p.max_linear_speed_mps);
    let ry = clamp(f[req + 1]!, -p.max_linear_speed_mps, p.max_linear_speed_mps);
    let rw = clamp(f[req + 2]!, -p.max_angular_speed_rps, p.max_angular_speed_rps);
    if (!teleopFresh && !navFresh) rx = ry = rw = 0;

    f[REQ] = rx;
    f[REQ + 1] = ry;
    f[REQ + 2] = rw;
    this.zones.evaluate(this.scans, f, REQ, this.zone);
    const z = this.zone;

    let stopReason = 0;
    let state: number = S.STATE_CLEAR;
    this.approachStop = false;
    if (this.latched) stopReason = S.REASON_ESTOP;
    else if (this.refused.size > 0) stopReason = S.REASON_SOURCE_INVALID;
    else if (this.staleScanOrOdom) stopReason = S.REASON_SOURCE_TIMEOUT;
    else if (!teleopFresh && !navFresh) stopReason = S.REASON_COMMAND_TIMEOUT;
    else if (z.inStop) stopReason = S.REASON_OBSTACLE;

    // Linear speed caps, each with its reason; the smallest wins.
    let linCap = p.max_linear_speed_mps;
    let capReason: number = S.REASON_NONE;
    let capState: number = S.STATE_CLEAR;
    const limit = f[SPEED_LIMIT]!;
    if (limit > 0 && limit < linCap) {
      linCap = limit;
      capReason = S.REASON_SPEED_LIMIT;
      capState = S.STATE_SLOWDOWN;
    }
    if (p.people_enabled && stopReason === 0) {
      const fresh = now - f[PEOPLE_SEC]! <= p.people_timeout_s;
      if (!fresh) {
        if (p.people_blind_speed_mps < linCap) {
          linCap = p.people_blind_speed_mps;
          capReason = S.REASON_SOURCE_TIMEOUT;
          capState = S.STATE_SLOWDOWN;
        }
      } else if (this.peopleCount > 0) {
        const margin = f[PERSON_D]! - this.separation;
        if (margin <= 0) stopReason = S.REASON_PERSON;
        else {
          // Close the remaining margin no faster than the robot can stop within T.
          const cap = p.separation_t_s > 0 ? margin / p.separation_t_s : linCap;
          if (cap < linCap) {
            linCap = cap;
            capReason = S.REASON_PERSON;
            capState = S.STATE_SLOWDOWN;
          }
        }
      }
    }
    // Limit zone (Nav2 collision_monitor "limit"): absolute caps while anything is inside.
    let angCap = p.max_angular_speed_rps;
    if (z.inLimit && stopReason === 0) {
      if (p.limit_linear_speed_mps < linCap) {
        linCap = p.limit_linear_speed_mps;
        capReason = S.REASON_OBSTACLE;
        capState = S.STATE_SLOWDOWN;
      }
      angCap = Math.min(angCap, p.limit_angular_speed_rps);
    }
    // Zone and approach factors scale the request (ratio of the requested twist).
    let scale = 1;
    if (z.inSlowdown && stopReason === 0) {
      scale = p.slowdown_ratio;
      capReason = S.REASON_OBSTACLE;
      capState = S.STATE_SLOWDOWN;
    }
    if (stopReason === 0 && p.approach_time_s > 0 && z.timeToCollision < p.approach_time_s) {
      const approach = z.timeToCollision / p.approach_time_s;
      if (approach < scale) {
        scale = approach;
        capReason = S.REASON_OBSTACLE;
        capState = S.STATE_APPROACH;
      }
      if (approach <= 0) {
        stopReason = S.REASON_OBSTACLE;
        this.approachStop = true;
      }
    }

    if (stopReason !== 0) {
      // Safety stops are immediate: no deceleration ramp.
      n.fill(0);
      state = stopReason === S.REASON_ESTOP ? S.STATE_ESTOP : S.STATE_STOP;
      o.reason = stopReason;
    } else {
      // Zone factors cap relative to the request (immediately); otherwise only the speed caps apply, so a
      // commanded slow-down follows the deceleration limit.
      // The zone factor scales the request itself (all three components, so the curvature stays); it
      // must not scale the previous output again, or the speed would shrink step after step towards
      // accel·dt·ratio/(1 − ratio) (a crawl of 2 cm/s found in the fleet simulation).
      const lin = linCap;
      const ang = angCap;
      if (scale < 1) {
        rx *= scale;
        ry *= scale;
        rw *= scale;
      }
      // Acceleration limits from the last output, then one factor for the whole twist (keeps the path's curvature).
      const tx = ramp(f[LAST]!, rx, p.max_linear_accel_mps2, p.max_linear_decel_mps2, dt);
      const ty = ramp(f[LAST + 1]!, ry, p.max_linear_accel_mps2, p.max_linear_decel_mps2, dt);
      const tw = ramp(f[LAST + 2]!, rw, p.max_angular_accel_rps2, p.max_angular_accel_rps2, dt);
      const speed = Math.hypot(tx, ty);
      let k = 1;
      if (speed > lin) k = lin / speed;
      if (Math.abs(tw) > ang && Math.abs(tw) * k > ang) k = ang / Math.abs(tw);
      n[0] = tx * k;
      n[1] = ty * k;
      n[2] = tw * k;
      n[3] = linCap * scale;
      n[4] = angCap * scale;
      state = capState;
      o.reason = capReason;
    }
    o.state = state;
    o.estopLatched = this.latched;
    f[LAST] = n[0]!;
    f[LAST + 1] = n[1]!;
    f[LAST + 2] = n[2]!;
    if (state !== prevState || o.reason !== prevReason) o.detail = this.describe(now);
    return o;
  }

  /** Zone facts of the latest step: nearest obstacle and what triggered a zone. */
  get zoneResult(): Readonly<ZoneResult> {
    return this.zone;
  }

  /** Updates the stale-source set as a bit mask; the name list is rebuilt only when the mask changes. */
  private updateTimedOut(now: number): void {
    const to = this.p.source_timeout_s;
    let mask = 0;
    for (let i = 0; i < this.scanSec.length; i++) if (now - this.scanSec[i]! > to) mask |= 1 << i;
    if (now - this.f[ODOM_SEC]! > to) mask |= 1 << 8;
    this.staleScanOrOdom = mask !== 0;
    if (this.estopSilent(now)) mask |= 1 << 9;
    if (this.p.people_enabled && now - this.f[PEOPLE_SEC]! > this.p.people_timeout_s) mask |= 1 << 10;
    if (mask !== this.timedOutMask) {
      this.timedOutMask = mask;
      const names: string[] = [];
      this.scanNames.forEach((name, i) => {
        if (mask & (1 << i)) names.push(name);
      });
      if (mask & (1 << 8)) names.push('odom');
      if (mask & (1 << 9)) names.push('estop');
      if (mask & (1 << 10)) names.push('world_summary');
      this.out.timedOut = names.sort();
    }
  }

  private describe(now: number): string {
    const o = this.out;
    const z = this.zone;
    switch (o.reason) {
      case S.REASON_ESTOP:
        return this.estopAsserted
          ? 'e-stop asserted'
          : this.estopSilent(now)
            ? 'e-stop publisher silent'
            : 'e-stop released; waiting for an explicit resume';
      case S.REASON_SOURCE_INVALID:
        return [...this.refused].map(([k, v]) => `${k}: ${v}`).join('; ');
      case S.REASON_SOURCE_TIMEOUT:
        return `stale: ${o.timedOut.join(', ')}`;
      case S.REASON_COMMAND_TIMEOUT:
        return `no command for more than ${this.p.cmd_timeout_s} s`;
      case S.REASON_OBSTACLE:
        if (this.approachStop) return `approach: collision within ${fmt(this.p.approach_step_s)} s`;
        if (o.state === S.STATE_APPROACH) return `approach: collision in ${fmt(z.timeToCollision)} s`;
        return `${o.state === S.STATE_STOP ? 'stop' : 'slowdown'} zone: point at ${fmt(Math.hypot(z.triggerX, z.triggerY))} m, ${fmt(Math.atan2(z.triggerY, z.triggerX))} rad`;
      case S.REASON_PERSON:
        return `person at ${fmt(this.f[PERSON_D]!)} m, separation ${fmt(this.separation)} m`;
      case S.REASON_SPEED_LIMIT:
        return `speed limit ${fmt(this.f[SPEED_LIMIT]!)} m/s`;
      default:
        return '';
    }
  }
}

function finiteTwist(t: TwistLike): boolean {
  return (
    Number.isFinite(t.linear.x) &&
    Number.isFinite(t.linear.y) &&
    Number.isFinite(t.linear.z) &&
    Number.isFinite(t.angular.x) &&
    Number.isFinite(t.angular.y) &&
    Number.isFinite(t.angular.z)
  );
}

function describeTwist(t: TwistLike): string {
  return `linear ${t.linear.x}, ${t.linear.y}, ${t.linear.z}; angular ${t.angular.x}, ${t.angular.y}, ${t.angular.z}`;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Moves `from` toward `to` by at most accel*dt when speeding up, decel*dt when slowing down. */
export function ramp(from: number, to: number, accel: number, decel: number, dt: number): number {
  if (to === from) return to;
  const speedingUp = Math.abs(to) > Math.abs(from) && Math.sign(to) * Math.sign(from) >= 0;
  const maxStep = (speedingUp ? accel : decel) * dt;
  const d = to - from;
  return Math.abs(d) <= maxStep ? to : from + Math.sign(d) * maxStep;
}
