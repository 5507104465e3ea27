/**
 * Perception's model of the robot and its surroundings, condensed into a WorldSummary. Pure: every
 * input arrives with its receive time [s], `summary(now)` builds the picture, `significant(a, b)` says
 * whether two pictures differ enough to publish at once. No ROS, no clock reads.
 */
import { FaultTracker, type ActiveFault } from '../core/faults';
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import { ScanPoints, scanProblem, POINT_OBSTACLE, type ScanLike } from '../safety_gate/scan';
import type { Params } from './params';

const F = MESSAGE_CONSTANTS['kizuna_msgs/msg/Fault'];
const D = MESSAGE_CONSTANTS['diagnostic_msgs/msg/DiagnosticStatus'];

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}
export interface Quat extends Vec3 {
  w: number;
}

export type FaultView = ActiveFault;

export interface SourceView {
  name: string;
  received: boolean;
  age: number;
  timeout: number;
  stale: boolean;
}

/** The content of a kizuna_msgs/WorldSummary, times in seconds. */
export interface Summary {
  frameId: string;
  position: Vec3;
  orientation: Quat;
  poseValid: boolean;
  linear: Vec3;
  angular: Vec3;
  obstacleDetected: boolean;
  obstacleDistance: number;
  obstacleBearing: number;
  peopleCount: number;
  personDistance: number;
  personBearing: number;
  batteryValid: boolean;
  batteryPercentage: number;
  batteryVoltage: number;
  batteryCharging: boolean;
  estopActive: boolean;
  sources: SourceView[];
  faults: FaultView[];
}

/** Subsets of the input messages read here. */
export interface OdomLike {
  header: { frame_id: string };
  pose: { pose: { position: Vec3; orientation: Quat } };
  twist: { twist: { linear: Vec3; angular: Vec3 } };
}
export interface BatteryLike {
  voltage: number;
  percentage: number;
  power_supply_status: number;
}
export interface ImuLike {
  orientation: Quat;
  orientation_covariance: ArrayLike<number>;
}
export interface DiagnosticLike {
  status: ReadonlyArray<{ level: number; name: string; message: string }>;
}

interface SourceState {
  name: string;
  timeout: number;
  lastSec: number;
}

const finite3 = (v: Vec3): boolean => Number.isFinite(v.x) && Number.isFinite(v.y) && Number.isFinite(v.z);

const BATTERY_CHARGING = MESSAGE_CONSTANTS['sensor_msgs/msg/BatteryState'].POWER_SUPPLY_STATUS_CHARGING;

export class Perception {
  private readonly sources = new Map<string, SourceState>();
  private readonly scans: ScanPoints[];
  private readonly scanRefused: Array<string | undefined>;
  private odom: OdomLike | undefined;
  private battery: BatteryLike | undefined;
  private tiltRad = 0;
  private people: Array<{ x: number; y: number }> = [];
  private estop = false;
  private diagErrors = new Map<string, { level: number; message: string }>();
  /** Active faults by code+source, keeping their start time across summaries. */
  private readonly faults = new FaultTracker();

  constructor(private readonly p: Params) {
    const add = (name: string, timeout: number): void => {
      if (timeout > 0) this.sources.set(name, { name, timeout, lastSec: Number.NEGATIVE_INFINITY });
    };
    p.scan_topics.forEach((t) => add(t, p.scan_timeout_s));
    add('odom', p.odom_timeout_s);
    add('battery', p.battery_timeout_s);
    add('imu', p.imu_timeout_s);
    add('people', p.people_timeout_s);
    add('estop', p.estop_timeout_s);
    this.scans = p.scan_topics.map(
      (_, i) => new ScanPoints({ x: p.scan_poses[3 * i]!, y: p.scan_poses[3 * i + 1]!, yaw: p.scan_poses[3 * i + 2]! }),
    );
    this.scanRefused = p.scan_topics.map(() => undefined);
  }

  /** Whether a source is watched (its timeout is > 0). */
  uses(name: 'odom' | 'battery' | 'imu' | 'people' | 'estop'): boolean {
    return this.sources.has(name);
  }

  private touch(name: string, now: number): void {
    const s = this.sources.get(name);
    if (s) s.lastSec = now;
  }

  /** A scan of source `index`; returns why it was refused, or undefined. */
  onScan(index: number, scan: ScanLike, now: number): string | undefined {
    const problem = scanProblem(scan, this.p.scan_frames[index]!, this.p.max_plausible_range_m);
    if (problem !== undefined) {
      this.scanRefused[index] = problem;
      return problem;
    }
    const pts = this.scans[index]!;
    pts.load(scan);
    if (pts.invalidBeams > this.p.max_invalid_beam_fraction * pts.beams) {
      pts.count = 0;
      this.scanRefused[index] = `${pts.invalidBeams} of ${pts.beams} beams are NaN or below range_min (blind)`;
      return this.scanRefused[index];
    }
    this.scanRefused[index] = undefined;
    this.touch(this.p.scan_topics[index]!, now);
    return undefined;
  }

  onOdom(m: OdomLike, now: number): string | undefined {
    const q = m.pose.pose.orientation;
    if (!finite3(m.pose.pose.position) || !finite3(q) || !Number.isFinite(q.w)) return 'odometry pose has NaN or Inf';
    if (!finite3(m.twist.twist.linear) || !finite3(m.twist.twist.angular)) return 'odometry twist has NaN or Inf';
    this.odom = m;
    this.touch('odom', now);
    return undefined;
  }

  onBattery(m: BatteryLike, now: number): string | undefined {
    // sensor_msgs/BatteryState: NaN percentage means "unmeasured"; that is not a usable state of charge.
    if (!Number.isFinite(m.percentage) || m.percentage < 0 || m.percentage > 1) {
      return `battery percentage ${m.percentage} is not on the 0..1 scale`;
    }
    this.battery = m;
    this.touch('battery', now);
    return undefined;
  }

  onImu(m: ImuLike, now: number): string | undefined {
    // orientation_covariance[0] = -1 means "no orientation estimate" (sensor_msgs/Imu).
    if (m.orientation_covariance[0] === -1) {
      this.touch('imu', now);
      return undefined;
    }
    const q = m.orientation;
    if (!finite3(q) || !Number.isFinite(q.w)) return 'IMU orientation has NaN or Inf';
    const roll = Math.atan2(2 * (q.w * q.x + q.y * q.z), 1 - 2 * (q.x * q.x + q.y * q.y));
    const pitch = Math.asin(Math.max(-1, Math.min(1, 2 * (q.w * q.y - q.z * q.x))));
    this.tiltRad = Math.max(Math.abs(roll), Math.abs(pitch));
    this.touch('imu', now);
    return undefined;
  }

  /** People positions in base_link [m]; a pose with NaN is skipped and reported. */
  onPeople(positions: ReadonlyArray<Vec3>, frameId: string, now: number): string | undefined {
    if (frameId !== this.p.base_frame) return `people in frame '${frameId}', expected '${this.p.base_frame}'`;
    const good: Array<{ x: number; y: number }> = [];
    let bad = 0;
    for (const q of positions) {
      if (Number.isFinite(q.x) && Number.isFinite(q.y)) good.push({ x: q.x, y: q.y });
      else bad++;
    }
    this.people = good;
    this.touch('people', now);
    return bad > 0 ? `${bad} person positions with NaN or Inf skipped` : undefined;
  }

  onEstop(asserted: boolean, now: number): void {
    this.estop = asserted;
    this.touch('estop', now);
  }

  /** ERROR and STALE entries of a DiagnosticArray become faults until the same name reports better. */
  onDiagnostics(m: DiagnosticLike): void {
    for (const s of m.status) {
      if (s.level >= D.ERROR) this.diagErrors.set(s.name, { level: s.level, message: s.message });
      else this.diagErrors.delete(s.name);
    }
  }

  /** The picture at `now` [s]. */
  summary(now: number): Summary {
    const p = this.p;
    const batch = this.faults.begin(now);
    const fault = batch.add;

    const sources: SourceView[] = [];
    for (const s of this.sources.values()) {
      const received = s.lastSec !== Number.NEGATIVE_INFINITY;
      const age = received ? Math.max(0, now - s.lastSec) : 0;
      const stale = !received || age > s.timeout;
      sources.push({ name: s.name, received, age, timeout: s.timeout, stale });
      if (stale) {
        const critical = s.name === 'odom' || p.scan_topics.includes(s.name) || s.name === 'estop';
        fault(
          `${s.name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_STALE`,
          s.name,
          critical ? F.SEVERITY_ERROR : F.SEVERITY_WARN,
          received ? `no message for ${age.toFixed(2)} s (timeout ${s.timeout} s)` : 'no message received yet',
        );
      }
    }
    sources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.scanRefused.forEach((why, i) => {
      if (why !== undefined) fault('SCAN_INVALID', p.scan_topics[i]!, F.SEVERITY_ERROR, why);
    });

    // nearest obstacle over every scan that is fresh
    let best = Number.POSITIVE_INFINITY;
    let bx = 0;
    let by = 0;
    this.scans.forEach((pts, i) => {
      const src = this.sources.get(p.scan_topics[i]!);
      if (src && now - src.lastSec > src.timeout) return;
      for (let k = 0; k < pts.count; k++) {
        if (pts.kinds[k] !== POINT_OBSTACLE) continue;
        const d2 = pts.xs[k]! * pts.xs[k]! + pts.ys[k]! * pts.ys[k]!;
        if (d2 < best) {
          best = d2;
          bx = pts.xs[k]!;
          by = pts.ys[k]!;
        }
      }
    });

    let count = 0;
    let pd = Number.POSITIVE_INFINITY;
    let pb = 0;
    const peopleFresh = this.isFresh('people', now);
    if (peopleFresh) {
      for (const q of this.people) {
        const d = Math.hypot(q.x, q.y);
        if (d > p.people_radius_m) continue;
        count++;
        if (d < pd) {
          pd = d;
          pb = Math.atan2(q.y, q.x);
        }
      }
    }

    const bat = this.battery;
    if (bat && this.isFresh('battery', now)) {
      if (bat.percentage < p.battery_critical_fraction) {
        fault(
          'BATTERY_CRITICAL',
          'battery',
          F.SEVERITY_ERROR,
          `state of charge ${(bat.percentage * 100).toFixed(0)} %`,
        );
      } else if (bat.percentage < p.battery_low_fraction) {
        fault('BATTERY_LOW', 'battery', F.SEVERITY_WARN, `state of charge ${(bat.percentage * 100).toFixed(0)} %`);
      }
    }
    if (this.isFresh('imu', now) && this.tiltRad > p.max_tilt_rad) {
      fault('TILT', 'imu', F.SEVERITY_ERROR, `tilt ${this.tiltRad.toFixed(2)} rad beyond ${p.max_tilt_rad} rad`);
    }
    for (const [name, d] of this.diagErrors) {
      fault('DIAGNOSTICS_ERROR', name, d.level === D.STALE ? F.SEVERITY_WARN : F.SEVERITY_ERROR, d.message);
    }
    // forget start times of faults that ended
    const faults = batch.end();
    faults.sort((a, b) => (a.code + a.source < b.code + b.source ? -1 : 1));

    const o = this.odom;
    const zero = { x: 0, y: 0, z: 0 };
    return {
      frameId: o?.header.frame_id ?? 'odom',
      position: o ? { ...o.pose.pose.position } : { ...zero },
      orientation: o ? { ...o.pose.pose.orientation } : { x: 0, y: 0, z: 0, w: 1 },
      poseValid: o !== undefined,
      linear: o ? { ...o.twist.twist.linear } : { ...zero },
      angular: o ? { ...o.twist.twist.angular } : { ...zero },
      obstacleDetected: best !== Number.POSITIVE_INFINITY,
      obstacleDistance: best !== Number.POSITIVE_INFINITY ? Math.sqrt(best) : 0,
      obstacleBearing: best !== Number.POSITIVE_INFINITY ? halfOpen(Math.atan2(by, bx)) : 0,
      peopleCount: count,
      personDistance: count > 0 ? pd : 0,
      personBearing: count > 0 ? halfOpen(pb) : 0,
      batteryValid: bat !== undefined,
      batteryPercentage: bat?.percentage ?? 0,
      batteryVoltage: bat && Number.isFinite(bat.voltage) ? bat.voltage : 0,
      batteryCharging: bat?.power_supply_status === BATTERY_CHARGING,
      estopActive: this.estop,
      sources,
      faults,
    };
  }

  private isFresh(name: string, now: number): boolean {
    const s = this.sources.get(name);
    return s !== undefined && now - s.lastSec <= s.timeout;
  }
}

/** An angle from atan2 in (-pi, pi], as WorldSummary documents its bearings (atan2 can return -pi). */
function halfOpen(a: number): number {
  return a <= -Math.PI ? a + 2 * Math.PI : a;
}

/** Whether `b` differs from `a` enough to publish right away (thresholds from the parameters). */
export function significant(a: Summary | undefined, b: Summary, p: Params): boolean {
  if (!a) return true;
  if (a.obstacleDetected !== b.obstacleDetected) return true;
  if (Math.abs(a.obstacleDistance - b.obstacleDistance) >= p.obstacle_change_m) return true;
  if (a.peopleCount !== b.peopleCount) return true;
  if (Math.abs(a.personDistance - b.personDistance) >= p.person_change_m) return true;
  if (a.estopActive !== b.estopActive || a.batteryCharging !== b.batteryCharging) return true;
  if (a.poseValid !== b.poseValid || a.batteryValid !== b.batteryValid) return true;
  if (a.faults.length !== b.faults.length) return true;
  for (let i = 0; i < a.faults.length; i++) {
    if (a.faults[i]!.code !== b.faults[i]!.code || a.faults[i]!.source !== b.faults[i]!.source) return true;
  }
  for (let i = 0; i < a.sources.length; i++) if (a.sources[i]!.stale !== b.sources[i]?.stale) return true;
  return false;
}
