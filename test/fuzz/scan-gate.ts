/**
 * The safety gate's pure logic (SafetyGate) under generated input, for fuzzing: laser scans with REP 117
 * special values (±Inf, NaN, below range_min, above range_max) and hostile shapes (wrong lengths, empty,
 * angle_increment 0, negative or not finite, wrong frame, range limits that make no sense), odometry and
 * commands with NaN/Inf and huge values, speed limits, e-stop events, and time steps of 0 to 2 s.
 * `GateFuzz.run` returns what broke an invariant:
 *
 * - nothing throws;
 * - every output (vx, vy, wz and the caps) is finite, within the configured maxima (forward, reverse,
 *   angular) and within the speed limit in force;
 * - speed never grows faster than the configured acceleration allows (per axis);
 * - a scan refused as the latest word of its source stops the robot in that step;
 * - a scan whose shape is wrong by construction is refused (counted), as are NaN/Inf odometry and
 *   commands.
 *
 * Pure: time is a number advanced by the harness.
 */
import fc from 'fast-check';
import { SafetyGate } from '../../nodes/safety_gate/logic';
import { paramsSchema, type Params } from '../../nodes/safety_gate/params';
import type { ScanLike } from '../../nodes/safety_gate/scan';

/** A range value: a plain distance (share of range_max) or a REP 117 special value or junk. */
const rangeArb = fc.oneof(
  // uniform in [0, 1] (fc.double is uniform over the bit patterns: mostly tiny values, all below range_min)
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 100_000 }).map((i) => i / 100_000) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      -1,
      -0,
      0,
      1e308,
      5e-324,
      -1e308,
      Number.MAX_VALUE,
    ),
  },
);

/** How a generated scan is built. */
export interface ScanSpec {
  beams: number;
  /** 0: a consistent full or partial sweep; otherwise a hostile shape (see buildScan). */
  shape: number;
  span: number;
  ranges: Array<number>;
  rangeMax: number;
  wrongFrame: boolean;
}

const scanSpecArb: fc.Arbitrary<ScanSpec> = fc.record({
  beams: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 5, max: 720 }), fc.constant(2200)),
  shape: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) }),
  span: fc.double({ min: 0.1, max: 2 * Math.PI, noNaN: true }),
  ranges: fc.array(rangeArb, { minLength: 1, maxLength: 64 }),
  rangeMax: fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: 0.5, max: 30, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, 1e6, Number.NaN) },
  ),
  wrongFrame: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** The scan of `s` and whether its shape is wrong by construction (it must be refused). */
export function buildScan(s: ScanSpec, frame: string): { scan: ScanLike; mustRefuse: boolean } {
  const n = s.beams;
  let a0 = -s.span / 2;
  let a1 = s.span / 2;
  let da = n > 1 ? s.span / (n - 1) : 0.01;
  let lo = 0.05;
  let hi = s.rangeMax;
  let beams = n;
  let bad = s.wrongFrame || n === 0 || !(hi > lo) || !Number.isFinite(hi) || hi > 100;
  switch (s.shape) {
    case 1:
      da = 0;
      bad = true;
      break;
    case 2:
      if (n > 1) {
        da = -da; // wrong way for a0 < a1
        bad = true;
      }
      break;
    case 3:
      da = Number.NaN;
      bad = true;
      break;
    case 4:
      da = Number.POSITIVE_INFINITY;
      bad = true;
      break;
    case 5:
      beams = n * 2 + 3; // ranges do not match the angle limits
      bad ||= n > 1 || beams > 1;
      break;
    case 6:
      lo = 5;
      hi = 1; // range_min above range_max
      bad = true;
      break;
    case 7:
      a0 = Number.NEGATIVE_INFINITY;
      bad = true;
      break;
    case 8:
      // a clockwise scan: negative increment from a larger angle_min (REP 103 allows it)
      [a0, a1] = [a1, a0];
      da = -da;
      break;
    case 9:
      a0 = -100;
      a1 = 100; // angles far beyond a turn
      bad = true;
      break;
    case 10:
      lo = Number.NaN;
      bad = true;
      break;
    case 11:
      da = 1e-300; // tiny but not zero: thousands of beams in no angle
      bad ||= n > 1;
      break;
    case 12:
      lo = -1;
      bad = true;
      break;
  }
  const ranges = new Array<number>(beams);
  for (let i = 0; i < beams; i++) {
    const r = s.ranges[i % s.ranges.length]!;
    // plain distances scale into [0, 1.2 range_max]: some beyond range_max (REP 117: no return)
    ranges[i] = r >= 0 && r <= 1 && Number.isFinite(hi) ? r * 1.2 * hi : r;
  }
  return {
    scan: {
      header: { frame_id: s.wrongFrame ? `${frame}_x` : frame },
      angle_min: a0,
      angle_max: a1,
      angle_increment: da,
      range_min: lo,
      range_max: hi,
      ranges,
    },
    mustRefuse: bad,
  };
}

const hostile = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308, 5e-324);
/** [m/s or rad/s] uniform in [-3, 3] (not fc.double, which is mostly tiny values), or hostile. */
const speedArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -30_000, max: 30_000 }).map((i) => i / 10_000) },
  { weight: 1, arbitrary: hostile },
);

export type GateEvent =
  | { type: 'scan'; spec: ScanSpec }
  | { type: 'odom'; vx: number; wz: number; x: number; y: number; yaw: number }
  | { type: 'cmd'; kind: 'nav' | 'teleop'; vx: number; vy: number; wz: number }
  | { type: 'limit'; limit: number }
  | { type: 'estop'; asserted: boolean }
  | { type: 'reset' };

const eventArb: fc.Arbitrary<GateEvent> = fc.oneof(
  { weight: 4, arbitrary: scanSpecArb.map((spec) => ({ type: 'scan' as const, spec })) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('odom' as const),
      vx: speedArb,
      wz: speedArb,
      x: fc.oneof(fc.double({ min: -100, max: 100, noNaN: true }), hostile),
      y: fc.double({ min: -100, max: 100, noNaN: true }),
      yaw: fc.oneof(fc.double({ min: -4, max: 4, noNaN: true }), hostile),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('cmd' as const),
      kind: fc.constantFrom('nav' as const, 'teleop' as const),
      vx: speedArb,
      vy: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: speedArb }),
      wz: speedArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('limit' as const),
      limit: fc.oneof(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.constantFrom(-1, Number.NaN, Number.POSITIVE_INFINITY),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('estop' as const), asserted: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ type: 'reset' as const }) },
);

/**
 * One case: when `fresh`, the healthy inputs of a running robot first (a clear scan, still odometry, an
 * e-stop heartbeat), so that the gate is not merely stopped for silence; then the generated events, then
 * a step `dt` [s] later.
 */
export interface GateCase {
  fresh: boolean;
  events: GateEvent[];
  dt: number;
}

export const gateCaseArb: fc.Arbitrary<GateCase> = fc.record({
  fresh: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  events: fc.array(eventArb, { minLength: 1, maxLength: 6 }),
  dt: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0.05) },
    { weight: 2, arbitrary: fc.double({ min: 0, max: 2, noNaN: true }) },
  ),
});

export interface GateCounts {
  cases: number;
  steps: number;
  scans: number;
  scansRefused: number;
  scansMustRefuse: number;
  odom: number;
  odomRefused: number;
  commands: number;
  commandsRefused: number;
  limits: number;
  limitsRefused: number;
  stoppedSteps: number;
  movingSteps: number;
  broken: number;
  firstBroken: string[];
}

export function emptyGateCounts(): GateCounts {
  return {
    cases: 0,
    steps: 0,
    scans: 0,
    scansRefused: 0,
    scansMustRefuse: 0,
    odom: 0,
    odomRefused: 0,
    commands: 0,
    commandsRefused: 0,
    limits: 0,
    limitsRefused: 0,
    stoppedSteps: 0,
    movingSteps: 0,
    broken: 0,
    firstBroken: [],
  };
}

const EPS = 1e-9;
/** 361 beams, everything 8 m away. */
const CLEAR_RANGES = new Array<number>(361).fill(8);

/** One long-lived gate, fed case after case. */
export class GateFuzz {
  readonly p: Params;
  readonly gate: SafetyGate;
  readonly counts = emptyGateCounts();
  now = 0;
  private limit = 0;
  private prevSpeed = 0;
  private prevVx = 0;
  private prevVy = 0;
  private prevW = 0;

  constructor() {
    this.p = paramsSchema.parse({ people_enabled: false, estop_timeout_s: 0.5 });
    this.gate = new SafetyGate(this.p, 0);
  }

  /** Feeds case `c`, steps, and returns the invariants broken (empty when all held). Never throws. */
  run(c: GateCase): string[] {
    const broken: string[] = [];
    const k = this.counts;
    const g = this.gate;
    const p = this.p;
    k.cases++;
    try {
      let lastScanRefused: boolean | undefined;
      if (c.fresh) {
        const clear: ScanLike = {
          header: { frame_id: p.scan_frames[0]! },
          angle_min: -Math.PI,
          angle_max: Math.PI,
          angle_increment: Math.PI / 180,
          range_min: 0.05,
          range_max: 20,
          ranges: CLEAR_RANGES,
        };
        if (g.onScan(0, clear, this.now) !== undefined) broken.push('a clear scan was refused');
        g.onOdom({ linear: { x: this.prevSpeed, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, this.now);
        g.onEstop(false, this.now);
      }
      for (const e of c.events) {
        switch (e.type) {
          case 'scan': {
            const { scan, mustRefuse } = buildScan(e.spec, p.scan_frames[0]!);
            k.scans++;
            const why = g.onScan(0, scan, this.now);
            if (why !== undefined) k.scansRefused++;
            if (mustRefuse) {
              k.scansMustRefuse++;
              if (why === undefined) broken.push(`a scan of a wrong shape (${e.spec.shape}) was taken`);
            }
            if (why !== undefined && (typeof why !== 'string' || why.length === 0))
              broken.push('a refusal without a reason');
            lastScanRefused = why !== undefined;
            break;
          }
          case 'odom': {
            k.odom++;
            const twist = { linear: { x: e.vx, y: 0, z: 0 }, angular: { x: 0, y: 0, z: e.wz } };
            const why = g.onOdom(twist, this.now, { x: e.x, y: e.y, yaw: e.yaw });
            if (why !== undefined) k.odomRefused++;
            const bad = ![e.vx, e.wz, e.x, e.y, e.yaw].every(Number.isFinite);
            if (bad && why === undefined) broken.push('odometry with NaN/Inf was taken');
            if (!bad && why !== undefined) broken.push(`finite odometry was refused: ${why}`);
            break;
          }
          case 'cmd': {
            k.commands++;
            const twist = { linear: { x: e.vx, y: e.vy, z: 0 }, angular: { x: 0, y: 0, z: e.wz } };
            const why = g.onCommand(e.kind, twist, this.now);
            if (why !== undefined) k.commandsRefused++;
            if (![e.vx, e.vy, e.wz].every(Number.isFinite) !== (why !== undefined)) {
              broken.push(`a command was ${why ? 'refused' : 'taken'} wrongly (${e.vx}, ${e.vy}, ${e.wz})`);
            }
            break;
          }
          case 'limit': {
            k.limits++;
            const why = g.onSpeedLimit(e.limit);
            if (why !== undefined) k.limitsRefused++;
            else this.limit = e.limit;
            break;
          }
          case 'estop':
            g.onEstop(e.asserted, this.now);
            break;
          case 'reset':
            g.onEstopReset(this.now);
            g.onMotionStart(this.now);
            break;
        }
      }
      this.now += c.dt;
      const o = g.step(this.now);
      k.steps++;
      const out = [o.vx, o.vy, o.wz, o.linearCap, o.angularCap];
      if (!out.every(Number.isFinite)) broken.push(`output not finite: ${out.join(', ')}`);
      if (o.vx > p.max_linear_speed_mps + EPS) broken.push(`vx ${o.vx} above max ${p.max_linear_speed_mps}`);
      if (o.vx < -p.max_reverse_speed_mps - EPS)
        broken.push(`vx ${o.vx} beyond reverse max ${p.max_reverse_speed_mps}`);
      if (Math.abs(o.vy) > p.max_linear_speed_mps + EPS) broken.push(`vy ${o.vy} above max`);
      if (Math.abs(o.wz) > p.max_angular_speed_rps + EPS)
        broken.push(`wz ${o.wz} above max ${p.max_angular_speed_rps}`);
      const speed = Math.hypot(o.vx, o.vy);
      if (this.limit > 0 && speed > this.limit + EPS) broken.push(`speed ${speed} above the limit ${this.limit}`);
      // Per axis, as Nav2's velocity_smoother limits it (a holonomic diagonal may gain accel·dt on each axis);
      // through zero ramp() brakes first and speeds up only for the rest of the step.
      const grow = (): number => p.max_linear_accel_mps2 * c.dt + 1e-6;
      if (
        c.dt > 0 &&
        (Math.abs(o.vx) > Math.abs(this.prevVx) + grow() || Math.abs(o.vy) > Math.abs(this.prevVy) + grow())
      ) {
        broken.push(
          `speed grew from (${this.prevVx}, ${this.prevVy}) to (${o.vx}, ${o.vy}) in ${c.dt} s (accel ${p.max_linear_accel_mps2})`,
        );
      }
      if (c.dt > 0 && Math.abs(o.wz) > Math.abs(this.prevW) + p.max_angular_accel_rps2 * c.dt + 1e-6) {
        broken.push(`turn rate grew from ${this.prevW} to ${o.wz} in ${c.dt} s`);
      }
      if (lastScanRefused === true && (speed > EPS || Math.abs(o.wz) > EPS)) {
        broken.push(`moving (${o.vx}, ${o.vy}, ${o.wz}) right after its only scan source was refused`);
      }
      if (speed > EPS || Math.abs(o.wz) > EPS) k.movingSteps++;
      else k.stoppedSteps++;
      this.prevSpeed = speed;
      this.prevVx = o.vx;
      this.prevVy = o.vy;
      this.prevW = o.wz;
    } catch (err) {
      broken.push(`threw ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`);
    }
    if (broken.length > 0) {
      k.broken++;
      if (k.firstBroken.length < 10) k.firstBroken.push(...broken.slice(0, 10 - k.firstBroken.length));
    }
    return broken;
  }
}
