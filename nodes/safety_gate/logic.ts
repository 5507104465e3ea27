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
  vx = 0;
  vy = 0;
  wz = 0;
  state: number = S.STATE_STOP;
  reason: number = S.REASON_SOURCE_TIMEOUT;
  /** [m/s] */
  linearCap = 0;
  /** [rad/s] */
  angularCap = 0;
  estopLatched = false;
  teleopActive = false;
  /** Sorted names of inputs whose timeout has expired; a new array only when the set changes. */
  timedOut: string[] = [];
  /** Short cause; built only when the state or reason changes. */
  detail = '';
}

interface Source {
  name: string;
  lastSec: number;
}

const fmt = (n: number): string => n.toFixed(2);

/** Derived per-profile constants. */
function separationDistance(p: Params): number {
  return p.separation_k_mps * p.separation_t_s + p.separation_c_m;
}

export class SafetyGate {
  readonly scans: ScanPoints[];
  private readonly scanSources: Source[];
  private readonly odom: Source = { name: 'odom', lastSec: Number.NEGATIVE_INFINITY };
  private readonly zones: ZoneModel;
  private readonly zone = new ZoneResult();
  readonly out = new GateOutput();
  /** Sources refused most recently, by name → why. A refused scan stops the robot until a good one arrives. */
  private readonly refused = new Map<string, string>();

  private nav: Twist2D = { vx: 0, vy: 0, wz: 0 };
  private navSec = Number.NEGATIVE_INFINITY;
  private teleop: Twist2D = { vx: 0, vy: 0, wz: 0 };
  private teleopSec = Number.NEGATIVE_INFINITY;
  private estopAsserted = false;
  private estopSec: number;
  private latched = false;
  private speedLimit = 0; // 0 = none
  private peopleCount = 0;
  private personDistance = 0;
  private peopleSec = Number.NEGATIVE_INFINITY;
  private last: Twist2D = { vx: 0, vy: 0, wz: 0 };
  private lastStepSec: number;
  private readonly separation: number;
  private timedOutMask = 0;
  private approachStop = false;
  private staleScanOrOdom = false;

  constructor(
    private readonly p: Params,
    startSec: number,
  ) {
    this.scanSources = p.scan_topics.map((name) => ({ name, lastSec: Number.NEGATIVE_INFINITY }));
    this.scans = p.scan_topics.map(
      (_, i) => new ScanPoints({ x: p.scan_poses[3 * i]!, y: p.scan_poses[3 * i + 1]!, yaw: p.scan_poses[3 * i + 2]! }),
    );
    this.zones = new ZoneModel({
      footprint: { front: p.footprint_front_m, rear: p.footprint_rear_m, halfWidth: p.footprint_half_width_m },
      stopMargin: p.stop_margin_m,
      slowdownMargin: p.slowdown_margin_m,
      approachTime: p.approach_time_s,
      approachStep: p.approach_step_s,
      approachMargin: p.approach_margin_m,
    });
    this.estopSec = startSec; // grace: silence counts from start
    this.lastStepSec = startSec;
    this.separation = separationDistance(p);
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
    const src = this.scanSources[index]!;
    const problem = scanProblem(scan, this.p.scan_frames[index]!, this.p.max_plausible_range_m);
    if (problem !== undefined) {
      this.refused.set(src.name, problem);
      return problem;
    }
    const pts = this.scans[index]!;
    pts.load(scan);
    if (pts.invalidBeams > this.p.max_invalid_beam_fraction * pts.beams) {
      const why = `${pts.invalidBeams} of ${pts.beams} beams are NaN or below range_min (blind)`;
      pts.count = 0;
      this.refused.set(src.name, why);
      return why;
    }
    this.refused.delete(src.name);
    src.lastSec = now;
    return undefined;
  }

  /** Odometry arrived (only its freshness matters here). Returns why it is refused, or undefined. */
  onOdom(twist: TwistLike, now: number): string | undefined {
    if (!finiteTwist(twist)) return 'odometry twist has NaN or Inf';
    this.odom.lastSec = now;
    return undefined;
  }

  /** A velocity command; NaN/Inf commands are dropped (returns why). */
  onCommand(kind: 'nav' | 'teleop', twist: TwistLike, now: number): string | undefined {
    if (!finiteTwist(twist)) return `${kind} command has NaN or Inf (${describeTwist(twist)}); dropped`;
    const t = kind === 'nav' ? this.nav : this.teleop;
    t.vx = twist.linear.x;
    t.vy = twist.linear.y;
    t.wz = twist.angular.z;
    if (kind === 'nav') this.navSec = now;
    else this.teleopSec = now;
    return undefined;
  }

  /** E-stop state: true asserts and latches; false alone does not release the latch. */
  onEstop(asserted: boolean, now: number): void {
    this.estopAsserted = asserted;
    this.estopSec = now;
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
    this.speedLimit = limit;
    return undefined;
  }

  /** People near the robot from WorldSummary. Returns why it is refused, or undefined. */
  onPeople(count: number, nearestDistance: number, now: number): string | undefined {
    if (count > 0 && !(Number.isFinite(nearestDistance) && nearestDistance >= 0)) {
      return `nearest person distance ${nearestDistance} is not a finite number >= 0`;
    }
    this.peopleCount = count;
    this.personDistance = nearestDistance;
    this.peopleSec = now;
    return undefined;
  }

  private estopSilent(now: number): boolean {
    return this.p.estop_timeout_s > 0 && now - this.estopSec > this.p.estop_timeout_s;
  }

  /** Computes the output for time `now` [s] into {@link out} and returns it. */
  step(now: number): GateOutput {
    const p = this.p;
    const o = this.out;
    const prevState = o.state;
    const prevReason = o.reason;
    let dt = now - this.lastStepSec;
    if (!(dt >= 0)) dt = 0;
    if (dt > 0.25) dt = 0.25;
    this.lastStepSec = now;

    if (this.estopSilent(now)) this.latched = true;
    this.updateTimedOut(now);

    // Which command: teleop while fresh, else the executive's while fresh.
    const teleopFresh = now - this.teleopSec <= p.teleop_timeout_s;
    const navFresh = now - this.navSec <= p.cmd_timeout_s;
    const req = teleopFresh ? this.teleop : this.nav;
    o.teleopActive = teleopFresh;

    // The request within the profile maxima. Zones and approach look at the request itself (as Nav2's
    // collision_monitor does), so their caps do not feed back through the acceleration limit.
    let rx = clamp(req.vx, -p.max_reverse_speed_mps, p.max_linear_speed_mps);
    let ry = clamp(req.vy, -p.max_linear_speed_mps, p.max_linear_speed_mps);
    let rw = clamp(req.wz, -p.max_angular_speed_rps, p.max_angular_speed_rps);
    if (!teleopFresh && !navFresh) rx = ry = rw = 0;

    this.zones.evaluate(this.scans, rx, ry, rw, this.zone);
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
    if (this.speedLimit > 0 && this.speedLimit < linCap) {
      linCap = this.speedLimit;
      capReason = S.REASON_SPEED_LIMIT;
      capState = S.STATE_SLOWDOWN;
    }
    if (p.people_enabled && stopReason === 0) {
      const fresh = now - this.peopleSec <= p.people_timeout_s;
      if (!fresh) {
        if (p.people_blind_speed_mps < linCap) {
          linCap = p.people_blind_speed_mps;
          capReason = S.REASON_SOURCE_TIMEOUT;
          capState = S.STATE_SLOWDOWN;
        }
      } else if (this.peopleCount > 0) {
        const margin = this.personDistance - this.separation;
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
      o.vx = o.vy = o.wz = 0;
      o.linearCap = 0;
      o.angularCap = 0;
      state = stopReason === S.REASON_ESTOP ? S.STATE_ESTOP : S.STATE_STOP;
      o.reason = stopReason;
    } else {
      const reqSpeed = Math.hypot(rx, ry);
      const lin = Math.min(linCap, reqSpeed * scale);
      const ang = Math.abs(rw) * scale;
      // Acceleration limits from the last output, then one factor for the whole twist (keeps the path's curvature).
      const tx = ramp(this.last.vx, rx, p.max_linear_accel_mps2, p.max_linear_decel_mps2, dt);
      const ty = ramp(this.last.vy, ry, p.max_linear_accel_mps2, p.max_linear_decel_mps2, dt);
      const tw = ramp(this.last.wz, rw, p.max_angular_accel_rps2, p.max_angular_accel_rps2, dt);
      const speed = Math.hypot(tx, ty);
      let f = 1;
      if (speed > lin) f = lin / speed;
      if (Math.abs(tw) > ang && Math.abs(tw) * f > ang) f = ang / Math.abs(tw);
      o.vx = tx * f;
      o.vy = ty * f;
      o.wz = tw * f;
      o.linearCap = linCap * scale;
      o.angularCap = p.max_angular_speed_rps * scale;
      state = capState;
      o.reason = capReason;
    }
    o.state = state;
    o.estopLatched = this.latched;
    this.last.vx = o.vx;
    this.last.vy = o.vy;
    this.last.wz = o.wz;
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
    for (let i = 0; i < this.scanSources.length; i++) if (now - this.scanSources[i]!.lastSec > to) mask |= 1 << i;
    if (now - this.odom.lastSec > to) mask |= 1 << 8;
    this.staleScanOrOdom = mask !== 0;
    if (this.estopSilent(now)) mask |= 1 << 9;
    if (this.p.people_enabled && now - this.peopleSec > this.p.people_timeout_s) mask |= 1 << 10;
    if (mask !== this.timedOutMask) {
      this.timedOutMask = mask;
      const names: string[] = [];
      this.scanSources.forEach((src, i) => {
        if (mask & (1 << i)) names.push(src.name);
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
        return `person at ${fmt(this.personDistance)} m, separation ${fmt(this.separation)} m`;
      case S.REASON_SPEED_LIMIT:
        return `speed limit ${fmt(this.speedLimit)} m/s`;
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
