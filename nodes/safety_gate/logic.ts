/**
 * The safety gate's decision: what velocity the base may get now, and why. Pure: inputs arrive with the
 * time they were received (seconds on the node's clock), `step(now)` computes the output. No ROS, no
 * clock reads, no allocation per scan or step (results go into objects owned by the gate).
 *
 * Order of precedence, most restrictive first: e-stop latch (released only by a reset and then a
 * deliberate start), a refused input, a stale input, no fresh command; then the command is ramped by the
 * comfort limits, capped at once by the speed limit and the zones, and finally scaled at once by the
 * braking envelope (envelope.ts): the robot must be able to stop, at its braking deceleration and along
 * the path it sweeps, before anything it sees, remembers, cannot see, or that may close in on it.
 */
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import { capShare, detectionRange } from './braking';
import { clearAhead, Envelope, LIMIT_BLIND, LIMIT_NONE, LIMIT_PERSON } from './envelope';
import { footprintOf, type Params } from './params';
import { ScanPoints, scanProblem, type ScanLike } from './scan';
import { Surroundings } from './surroundings';
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
  /** The input that paused the robot (a person on site), while a local pause holds it; else ''. */
  localPause = '';
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
const ENV_K = 16; // the envelope's share of the latest step
const F_SIZE = 20;

const fmt = (n: number): string => n.toFixed(2);

/** The zone model of the gate's parameters. */
function zoneModel(p: Params): ZoneModel {
  return new ZoneModel({
    footprint: footprintOf(p),
    stopMargin: p.stop_margin_m,
    slowdownMargin: p.slowdown_margin_m,
    limitMargin: p.limit_margin_m,
  });
}

/** [m] the footprint grown by the stop margin, as bounds in base_link. */
function bodyBox(p: Params): { xMin: number; xMax: number; yMin: number; yMax: number } {
  const m = p.stop_margin_m;
  return {
    xMin: -p.footprint_rear_m - m,
    xMax: p.footprint_front_m + m,
    yMin: -p.footprint_half_width_m - m,
    yMax: p.footprint_half_width_m + m,
  };
}

/** The braking envelope of the gate's parameters. */
function envelope(p: Params): Envelope {
  return new Envelope({
    footprint: footprintOf(p),
    stopMargin: p.stop_margin_m,
    reactionS: p.reaction_time_s,
    decel: p.braking_decel_mps2,
    angularDecel: p.braking_angular_decel_rps2,
    creepLinear: p.creep_linear_speed_mps,
    creepAngular: p.creep_angular_speed_rps,
    occlusionMinSpeed: p.occlusion_min_speed_mps,
    peopleAccel: p.people_accel_mps2,
  });
}

export class SafetyGate {
  readonly scans: ScanPoints[];
  readonly surroundings: Surroundings;
  private readonly scanNames: string[];
  /** [s] when each scan source last delivered a valid scan. */
  private readonly scanSec: Float64Array;
  private readonly f = new Float64Array(F_SIZE);
  private zones: ZoneModel;
  private env: Envelope;
  private readonly zone = new ZoneResult();
  readonly out = new GateOutput();
  /** Sources refused most recently, by name → why. A refused scan stops the robot until a good one arrives. */
  private readonly refused = new Map<string, string>();
  private readonly px: Float64Array;
  private readonly py: Float64Array;

  private estopAsserted = false;
  /** The e-stop input has reported since the start. */
  private estopHeard = false;
  /** Latched because the gate started so (start_latched), not by an e-stop since. */
  private startLatch = false;
  private latched = false;
  /** The latch was reset; it clears on a deliberate start. */
  private armed = false;
  private timedOutMask = 0;
  private staleScanOrOdom = false;
  private phase = 0;

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
    f[ENV_K] = 1;
    // After a (re)start nobody knows whether an e-stop was pressed and released meanwhile: held until a
    // deliberate start, as after a reset (no unexpected start-up).
    if (p.start_latched) this.latched = this.armed = this.startLatch = true;
    const body = bodyBox(p);
    this.scans = p.scan_topics.map(
      (_, i) =>
        new ScanPoints({ x: p.scan_poses[3 * i]!, y: p.scan_poses[3 * i + 1]!, yaw: p.scan_poses[3 * i + 2]! }, body),
    );
    this.zones = zoneModel(p);
    this.env = envelope(p);
    this.surroundings = new Surroundings(p, this.scans);
    this.px = new Float64Array(32);
    this.py = new Float64Array(32);
  }

  /**
   * Rebuilds what the gate derives from its parameters (zones, envelope) after they changed at run time;
   * caps, limits and timeouts are read from the parameters at every step already.
   */
  reconfigure(): void {
    this.zones = zoneModel(this.p);
    this.env = envelope(this.p);
    const body = bodyBox(this.p);
    for (const s of this.scans) s.setBody(body);
    this.surroundings.reconfigure();
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
    pts.load(scan, detectionRange(this.p.min_obstacle_width_m, Math.abs(scan.angle_increment), scan.range_max));
    if (pts.invalidBeams > this.p.max_invalid_beam_fraction * pts.beams) {
      const why = `${pts.invalidBeams} of ${pts.beams} beams are NaN or below range_min (blind)`;
      pts.count = 0;
      pts.limitCount = 0;
      this.refused.set(name, why);
      return why;
    }
    if (this.refused.size > 0) this.refused.delete(name);
    this.scanSec[index] = now;
    this.surroundings.onScan(index, now);
    return undefined;
  }

  /**
   * Odometry arrived: its freshness, and its pose (x, y [m], yaw [rad] in odom) for the obstacle memory
   * and the tracks. Returns why it is refused, or undefined.
   */
  onOdom(twist: TwistLike, now: number, pose?: { x: number; y: number; yaw: number }): string | undefined {
    if (!finiteTwist(twist)) return 'odometry twist has NaN or Inf';
    if (pose && !(Number.isFinite(pose.x) && Number.isFinite(pose.y) && Number.isFinite(pose.yaw))) {
      return 'odometry pose has NaN or Inf';
    }
    this.f[ODOM_SEC] = now;
    if (pose) this.surroundings.onPose(pose.x, pose.y, pose.yaw);
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

  /** E-stop state: true asserts and latches (and cancels a reset); false alone does not release the latch. */
  onEstop(asserted: boolean, now: number): void {
    this.estopAsserted = asserted;
    this.estopHeard = true;
    this.f[ESTOP_SEC] = now;
    if (asserted) {
      this.latched = true;
      this.armed = false;
      this.startLatch = false;
    }
  }

  /**
   * An explicit reset. Returns why it is refused, or undefined when accepted: the latch then stays until a
   * deliberate start ({@link onMotionStart}); a reset alone never restarts motion (ISO 13850).
   */
  onEstopReset(now: number): string | undefined {
    if (this.estopAsserted) return 'e-stop is still asserted';
    if (this.estopSilent(now)) return `e-stop publisher silent for more than ${this.p.estop_timeout_s} s`;
    if (this.latched) this.armed = true;
    return undefined;
  }

  /** A deliberate start: releases a reset latch. Returns why it is refused, or undefined. */
  onMotionStart(now: number): string | undefined {
    if (!this.latched) return undefined;
    if (this.estopAsserted) return 'e-stop is still asserted';
    if (this.estopSilent(now)) return `e-stop publisher silent for more than ${this.p.estop_timeout_s} s`;
    if (!this.armed) return 'the e-stop has not been reset since it latched: reset first, then start';
    this.latched = false;
    this.armed = false;
    return undefined;
  }

  /**
   * A person on site paused the robot through `source` (the pause button, a touch screen, a speech
   * node): a latched, controlled stop that no decision and no deliberate start releases. Pausing while
   * paused keeps the first source.
   */
  onLocalPause(source: string): void {
    if (this.out.localPause === '') this.out.localPause = source;
  }

  /**
   * A person on site resumes through `source`. Returns why it is refused, or undefined when the pause
   * ended (or there was none): only the input that paused, or one `local_resume_sources` names, may.
   */
  onLocalResume(source: string): string | undefined {
    const by = this.out.localPause;
    if (by === '') return undefined;
    if (source !== by && !this.p.local_resume_sources.includes(source))
      return `paused through '${by}': only '${[by, ...this.p.local_resume_sources.filter((x) => x !== by)].join("' or '")}' may resume`;
    this.out.localPause = '';
    return undefined;
  }

  /** Speed limit [m/s] from the executive; 0 clears. Returns why it is refused, or undefined. */
  onSpeedLimit(limit: number): string | undefined {
    if (!Number.isFinite(limit) || limit < 0) return `speed limit ${limit} is not a finite number >= 0`;
    this.f[SPEED_LIMIT] = limit;
    return undefined;
  }

  /**
   * People detected (positions [m] in base_link) at time `now`. Returns why the message is refused, or
   * undefined.
   */
  onPeople(poses: ReadonlyArray<{ position: { x: number; y: number } }>, now: number): string | undefined {
    const n = Math.min(poses.length, this.px.length);
    for (let i = 0; i < n; i++) {
      const { x, y } = poses[i]!.position;
      if (!(Number.isFinite(x) && Number.isFinite(y))) return `person ${i} position (${x}, ${y}) is not finite`;
      this.px[i] = x;
      this.py[i] = y;
    }
    this.surroundings.onPeople(this.px, this.py, n, now);
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

    // An e-stop input that went silent is an e-stop (latched: reset, then start). One that has not
    // reported since the start holds the robot like any stale input until it does (a start latch, if the
    // gate started latched, stays as it is: then a start alone releases it).
    const estopNotUp = !this.estopHeard && this.estopSilent(now);
    if (this.estopHeard && this.estopSilent(now)) {
      this.latched = true;
      this.armed = false;
      this.startLatch = false;
    }
    this.updateTimedOut(now);

    // Which command: teleop while fresh, else the executive's while fresh.
    const teleopFresh = now - f[TELEOP_SEC]! <= p.teleop_timeout_s;
    const navFresh = now - f[NAV_SEC]! <= p.cmd_timeout_s;
    const req = teleopFresh ? TELEOP : NAV;
    o.teleopActive = teleopFresh;

    let rx = clamp(f[req]!, -p.max_reverse_speed_mps, p.max_linear_speed_mps);
    let ry = clamp(f[req + 1]!, -p.max_linear_speed_mps, p.max_linear_speed_mps);
    let rw = clamp(f[req + 2]!, -p.max_angular_speed_rps, p.max_angular_speed_rps);
    if (!teleopFresh && !navFresh) rx = ry = rw = 0;

    this.zones.evaluate(this.scans, this.zone);
    const z = this.zone;

    let stopReason = 0;
    if (this.latched) stopReason = S.REASON_ESTOP;
    else if (o.localPause !== '') stopReason = S.REASON_LOCAL_PAUSE;
    else if (estopNotUp) stopReason = S.REASON_SOURCE_TIMEOUT;
    else if (this.refused.size > 0) stopReason = S.REASON_SOURCE_INVALID;
    else if (this.staleScanOrOdom) stopReason = S.REASON_SOURCE_TIMEOUT;
    else if (!teleopFresh && !navFresh) stopReason = S.REASON_COMMAND_TIMEOUT;

    // Absolute caps, each with its reason; the smallest wins. They act at once (no ramp).
    let linCap = p.max_linear_speed_mps;
    let angCap = p.max_angular_speed_rps;
    let capReason: number = S.REASON_NONE;
    let capState: number = S.STATE_CLEAR;
    const limit = f[SPEED_LIMIT]!;
    if (limit > 0 && limit < linCap) {
      linCap = limit;
      capReason = S.REASON_SPEED_LIMIT;
      capState = S.STATE_SLOWDOWN;
    }
    if (p.people_enabled && now - f[PEOPLE_SEC]! > p.people_timeout_s && p.people_blind_speed_mps < linCap) {
      linCap = p.people_blind_speed_mps;
      capReason = S.REASON_SOURCE_TIMEOUT;
      capState = S.STATE_SLOWDOWN;
    }
    // Limit zone (Nav2 collision_monitor "limit"): absolute caps while anything is inside.
    if (z.inLimit) {
      if (p.limit_linear_speed_mps < linCap) {
        linCap = p.limit_linear_speed_mps;
        capReason = S.REASON_OBSTACLE;
        capState = S.STATE_SLOWDOWN;
      }
      angCap = Math.min(angCap, p.limit_angular_speed_rps);
    }
    // Slowdown zone: caps at the ratio of the profile maxima. (A ratio of the request would feed back
    // through the comfort ramp, which lags the request, and shrink the output to a crawl.)
    if (z.inSlowdown && !z.inStop) {
      const lin = p.slowdown_ratio * p.max_linear_speed_mps;
      if (lin < linCap) linCap = lin;
      const ang = p.slowdown_ratio * p.max_angular_speed_rps;
      if (ang < angCap) angCap = ang;
      capReason = S.REASON_OBSTACLE;
      capState = S.STATE_SLOWDOWN;
    }

    let state: number;
    let envK = 1;
    if (stopReason !== 0) {
      // Safety stops are immediate: no deceleration ramp.
      n.fill(0);
      state = stopReason === S.REASON_ESTOP ? S.STATE_ESTOP : S.STATE_STOP;
      o.reason = stopReason;
    } else {
      // The request within the caps (one factor: its curvature stays), approached along the comfort
      // ramp from the last output; whatever the ramp leaves above a cap is cut at once.
      const kr = capShare(rx, ry, rw, linCap, angCap);
      let tx = ramp(f[LAST]!, rx * kr, p.max_linear_accel_mps2, p.max_linear_decel_mps2, dt);
      let ty = ramp(f[LAST + 1]!, ry * kr, p.max_linear_accel_mps2, p.max_linear_decel_mps2, dt);
      let tw = ramp(f[LAST + 2]!, rw * kr, p.max_angular_accel_rps2, p.max_angular_accel_rps2, dt);
      // Speeding up on every axis: one factor for all, so the ramp keeps the request's curvature (a
      // wide arc from rest stays a wide arc, not a spin the envelope would refuse).
      const su = uniformShare(tx, ty, tw, rx * kr, ry * kr, rw * kr);
      // (never slowing an axis below where it was: that is the decel ramp's business)
      if (
        su >= 0 &&
        Math.abs(rx * kr * su) >= Math.abs(f[LAST]!) - NEGLIGIBLE &&
        Math.abs(ry * kr * su) >= Math.abs(f[LAST + 1]!) - NEGLIGIBLE &&
        Math.abs(rw * kr * su) >= Math.abs(f[LAST + 2]!) - NEGLIGIBLE
      ) {
        tx = rx * kr * su;
        ty = ry * kr * su;
        tw = rw * kr * su;
      }
      const k = capShare(tx, ty, tw, linCap, angCap);
      tx *= k;
      ty *= k;
      tw *= k;
      // The braking envelope, at once.
      const sur = this.surroundings;
      sur.refreshBlind(now);
      const e = this.env.evaluate(tx, ty, tw, sur.sets, sur.real, sur.blind, sur.buildDiscs(now));
      envK = e.k;
      // a share that leaves the robot all but standing (under 5 mm/s and 0.01 rad/s of a wanted twist) is a
      // stop, and says so: the executive's blocked-step rule counts STOP
      const wanted = Math.hypot(tx, ty) >= NEAR_STILL_MPS || Math.abs(tw) >= NEAR_STILL_RPS;
      if (envK > 0 && wanted && Math.hypot(tx, ty) * envK < NEAR_STILL_MPS && Math.abs(tw) * envK < NEAR_STILL_RPS) {
        envK = 0;
        e.k = 0;
        e.escaping = e.grazing = false;
      }
      n[0] = tx * envK;
      n[1] = ty * envK;
      n[2] = tw * envK;
      n[3] = Math.min(linCap, envK < 1 ? Math.hypot(n[0]!, n[1]!) : linCap);
      n[4] = Math.min(angCap, envK < 1 ? Math.abs(n[2]!) : angCap);
      const wants = rx !== 0 || ry !== 0 || rw !== 0;
      // While the output still ramps up towards the request, the state says what the request would meet
      // (so it does not flicker between CLEAR and APPROACH as the ramp climbs).
      if (
        envK === 1 &&
        wants &&
        Math.hypot(tx, ty) + Math.abs(tw) < Math.hypot(rx * kr, ry * kr) + Math.abs(rw * kr) - 1e-9
      ) {
        this.env.evaluate(rx * kr, ry * kr, rw * kr, sur.sets, sur.real, sur.blind, sur.discs);
      }
      const er = this.env.result;
      if ((er.k === 0 && wants) || (er.inStop && !er.escaping && !er.grazing)) {
        state = S.STATE_STOP;
        o.reason = er.limit === LIMIT_PERSON ? S.REASON_PERSON : S.REASON_OBSTACLE;
      } else if (er.k < 1 || er.escaping || er.grazing) {
        state = S.STATE_APPROACH;
        o.reason = er.limit === LIMIT_PERSON ? S.REASON_PERSON : S.REASON_OBSTACLE;
      } else {
        state = capState;
        o.reason = capReason;
      }
    }
    f[ENV_K] = stopReason !== 0 ? 0 : this.env.result.k;
    o.state = state;
    o.estopLatched = this.latched;
    f[LAST] = n[0]!;
    f[LAST + 1] = n[1]!;
    f[LAST + 2] = n[2]!;
    // the e-stop's phase (pressed, released, reset) changes the detail without changing the state
    const phase = this.latched ? (this.estopAsserted ? 1 : this.estopSilent(now) ? 4 : this.armed ? 3 : 2) : 0;
    if (state !== prevState || o.reason !== prevReason || phase !== this.phase) o.detail = this.describe(now);
    this.phase = phase;
    return o;
  }

  /**
   * What limits the speed after the latest step, in base_link [m]: the envelope's limiting point, or what
   * triggered the slowdown zone; undefined unless the reason is an obstacle or a person.
   */
  get limitingPoint(): { x: number; y: number } | undefined {
    const o = this.out;
    if (o.reason !== S.REASON_OBSTACLE && o.reason !== S.REASON_PERSON) return undefined;
    if (o.state === S.STATE_SLOWDOWN) return { x: this.zone.triggerX, y: this.zone.triggerY };
    const e = this.env.result;
    return e.limit === LIMIT_NONE && e.k === 1 ? undefined : { x: e.x, y: e.y };
  }

  /**
   * [m] How far the robot could drive straight ahead before meeting anything seen or remembered, up to
   * path_lookahead_m: for the executive's planning (giving way early), not a safety figure.
   */
  get pathClearDistance(): number {
    const sur = this.surroundings;
    const cfg = this.env.cfg; // rebuilt on reconfigure: the footprint and margin of now, no allocation per step
    return clearAhead(sur.sets, sur.real, cfg.footprint, cfg.stopMargin, this.p.path_lookahead_m);
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
      if (mask & (1 << 10)) names.push('people');
      this.out.timedOut = names.sort();
    }
  }

  private describe(now: number): string {
    const o = this.out;
    const z = this.zone;
    const e = this.env.result;
    switch (o.reason) {
      case S.REASON_ESTOP:
        return this.estopAsserted
          ? 'e-stop asserted'
          : this.estopSilent(now)
            ? this.estopHeard
              ? 'e-stop publisher silent'
              : 'waiting for the e-stop input to report'
            : this.armed
              ? this.startLatch
                ? 'started latched; waiting for a start'
                : 'e-stop reset; waiting for a start'
              : 'e-stop released; waiting for an explicit reset, then a start';
      case S.REASON_LOCAL_PAUSE:
        return `paused by a person (${o.localPause}); only a local resume releases it`;
      case S.REASON_SOURCE_INVALID:
        return [...this.refused].map(([k, v]) => `${k}: ${v}`).join('; ');
      case S.REASON_SOURCE_TIMEOUT:
        return `stale: ${o.timedOut.join(', ')}`;
      case S.REASON_COMMAND_TIMEOUT:
        return `no command for more than ${this.p.cmd_timeout_s} s`;
      case S.REASON_OBSTACLE:
      case S.REASON_PERSON: {
        if (o.state === S.STATE_SLOWDOWN) {
          return `slowdown zone: point at ${fmt(Math.hypot(z.triggerX, z.triggerY))} m, ${fmt(Math.atan2(z.triggerY, z.triggerX))} rad`;
        }
        if (e.escaping) return 'escaping at creep speed';
        if (e.grazing) return 'passing along something inside the stop margin';
        const what =
          e.limit === LIMIT_PERSON
            ? 'person'
            : e.limit === LIMIT_BLIND
              ? 'blind sector'
              : e.limit === LIMIT_NONE
                ? 'stop zone'
                : 'obstacle';
        const where = `${fmt(Math.hypot(e.x, e.y))} m, ${fmt(Math.atan2(e.y, e.x))} rad`;
        return o.state === S.STATE_STOP
          ? `${what} at ${where}: cannot stop in time`
          : `braking envelope: ${what} at ${where}, ${fmt(this.f[ENV_K]!)} of the command`;
      }
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

/**
 * The one share s in [0, 1] of the target (gx, gy, gw) that no axis of the ramped twist (tx, ty, tw)
 * falls short of, when every axis is speeding up toward its target (same sign, not past it); -1 otherwise.
 */
/** [m/s], [rad/s] an envelope share leaving less than this of a wanted twist is reported as a stop. */
const NEAR_STILL_MPS = 0.005;
const NEAR_STILL_RPS = 0.01;

/** [m/s], [rad/s] below this an axis of a twist counts as still. */
const NEGLIGIBLE = 1e-6;

export function uniformShare(tx: number, ty: number, tw: number, gx: number, gy: number, gw: number): number {
  let s = 1;
  for (const [t, g] of [
    [tx, gx],
    [ty, gy],
    [tw, gw],
  ] as const) {
    // an axis without a (measurable) target: it must not move either, and sets no share
    if (Math.abs(g) < NEGLIGIBLE) {
      if (Math.abs(t) >= NEGLIGIBLE) return -1;
      continue;
    }
    const r = t / g;
    if (r < 0 || r > 1) return -1;
    if (r < s) s = r;
  }
  return s;
}

/**
 * Moves `from` toward `to` by at most accel*dt when speeding up, decel*dt when slowing down; through zero,
 * braking first and speeding up only for what is left of dt.
 */
export function ramp(from: number, to: number, accel: number, decel: number, dt: number): number {
  if (to === from) return to;
  if (from !== 0 && Math.sign(to) !== Math.sign(from)) {
    // reversing (or stopping): brake to zero at decel, then speed up the other way at accel
    const stopIn = Math.abs(from) / decel;
    if (stopIn >= dt) return from - Math.sign(from) * decel * dt;
    const up = accel * (dt - stopIn);
    return Math.abs(to) <= up ? to : Math.sign(to) * up;
  }
  const speedingUp = Math.abs(to) > Math.abs(from) && Math.sign(to) * Math.sign(from) >= 0;
  const maxStep = (speedingUp ? accel : decel) * dt;
  const d = to - from;
  return Math.abs(d) <= maxStep ? to : from + Math.sign(d) * maxStep;
}
