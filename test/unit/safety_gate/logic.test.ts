import { describe, it, expect } from '@jest/globals';
import { paramsSchema } from '../../../nodes/safety_gate/params';
import { SafetyGate, ramp } from '../../../nodes/safety_gate/logic';
import { ScanPoints, scanProblem, POINT_HORIZON, POINT_OBSTACLE, type ScanLike } from '../../../nodes/safety_gate/scan';
import { ZoneModel, ZoneResult } from '../../../nodes/safety_gate/zones';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';

const S = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];

function scan(ranges: number[], over: Partial<ScanLike> = {}): ScanLike {
  const n = ranges.length;
  return {
    header: { frame_id: 'laser' },
    angle_min: -Math.PI / 2,
    angle_max: Math.PI / 2,
    angle_increment: n > 1 ? Math.PI / (n - 1) : 0.1,
    range_min: 0.05,
    range_max: 10,
    ranges,
    ...over,
  };
}

const twist = (x: number, wz = 0) => ({ linear: { x, y: 0, z: 0 }, angular: { x: 0, y: 0, z: wz } });

describe('scanProblem', () => {
  it('accepts a sane scan and names what is wrong with a bad one', () => {
    expect(scanProblem(scan([1, 2, 3]), 'laser', 100)).toBeUndefined();
    expect(scanProblem(scan([1, 2, 3], { header: { frame_id: '' } }), 'laser', 100)).toMatch(/frame '' is not/);
    expect(scanProblem(scan([1, 2, 3], { angle_increment: Number.NaN }), 'laser', 100)).toMatch(/not finite/);
    expect(scanProblem(scan([1, 2, 3], { range_min: 2, range_max: 1 }), 'laser', 100)).toMatch(/make no sense/);
    expect(scanProblem(scan([1, 2, 3], { range_max: 500 }), 'laser', 100)).toMatch(/plausible/);
    expect(scanProblem(scan([1, 2, 3], { angle_increment: -Math.PI / 2 }), 'laser', 100)).toMatch(/wrong way/);
    expect(scanProblem(scan([1, 2, 3, 4, 5, 6, 7]), 'laser', 100)).toBeUndefined();
    expect(scanProblem(scan([1, 2, 3, 4, 5, 6, 7], { angle_increment: Math.PI / 20 }), 'laser', 100)).toMatch(
      /do not match the angle limits/,
    );
    expect(scanProblem(scan([]), 'laser', 100)).toMatch(/no ranges/);
    expect(scanProblem(scan([1, 2], { angle_increment: 0 }), 'laser', 100)).toMatch(/is 0/);
  });
});

describe('ScanPoints (REP 117)', () => {
  it('places -Inf at the sensor, +Inf at range_max as a horizon, and counts NaN and below-range_min as invalid', () => {
    const pts = new ScanPoints({ x: 0.2, y: 0, yaw: 0 });
    pts.load(
      scan([Number.NEGATIVE_INFINITY, Number.NaN, 0.01, Number.POSITIVE_INFINITY, 2], {
        angle_min: 0,
        angle_max: 0.4,
        angle_increment: 0.1,
      }),
    );
    expect(pts.beams).toBe(5);
    expect(pts.invalidBeams).toBe(2);
    expect(pts.count).toBe(3);
    expect(pts.kinds[0]).toBe(POINT_OBSTACLE);
    expect(pts.xs[0]).toBeCloseTo(0.2, 9); // at the sensor
    expect(pts.kinds[1]).toBe(POINT_HORIZON);
    expect(Math.hypot(pts.xs[1]! - 0.2, pts.ys[1]!)).toBeCloseTo(10, 9);
    expect(pts.kinds[2]).toBe(POINT_OBSTACLE);
    expect(Math.hypot(pts.xs[2]! - 0.2, pts.ys[2]!)).toBeCloseTo(2, 6);
  });

  it('reuses its buffers for scans of the same or smaller size', () => {
    const pts = new ScanPoints({ x: 0, y: 0, yaw: 0 });
    pts.load(scan(new Array(1080).fill(3)));
    const xs = pts.xs;
    pts.load(scan(new Array(1080).fill(2)));
    pts.load(scan(new Array(360).fill(2)));
    expect(pts.xs).toBe(xs);
    expect(pts.count).toBe(360);
  });
});

describe('ZoneModel', () => {
  const model = new ZoneModel({
    footprint: { front: 0.3, rear: 0.3, halfWidth: 0.25 },
    stopMargin: 0.1,
    slowdownMargin: 0.5,
    limitMargin: 1.0,
  });
  const pointsAt = (...xy: Array<[number, number]>): ScanPoints => {
    const pts = new ScanPoints({ x: 0, y: 0, yaw: 0 });
    pts.load(
      scan(
        xy.map(([x, y]) => Math.hypot(x, y)),
        { angle_min: 0, angle_max: 0, angle_increment: 0.1 },
      ),
    );
    // place exactly: override the converted points
    xy.forEach(([x, y], i) => {
      pts.xs[i] = x;
      pts.ys[i] = y;
    });
    return pts;
  };

  it('finds stop and slowdown zones and the nearest obstacle', () => {
    const out = new ZoneResult();
    model.evaluate([pointsAt([0.35, 0])], out);
    expect(out).toMatchObject({ inStop: true, inSlowdown: true, obstacleDetected: true });
    model.evaluate([pointsAt([0.6, 0.1])], out);
    expect(out).toMatchObject({ inStop: false, inSlowdown: true });
    expect(out.nearestDistance).toBeCloseTo(Math.hypot(0.6, 0.1), 9);
    model.evaluate([pointsAt([1.0, 0])], out);
    expect(out).toMatchObject({ inStop: false, inSlowdown: false, inLimit: true });
    model.evaluate([pointsAt([3, 0])], out);
    expect(out).toMatchObject({ inStop: false, inSlowdown: false, inLimit: false });
  });
});

describe('SafetyGate.step', () => {
  const params = paramsSchema.parse({ people_enabled: false, estop_timeout_s: 0.5 });
  const fresh = (g: SafetyGate, t: number): void => {
    g.onScan(
      0,
      scan(new Array(181).fill(8), { angle_min: -Math.PI, angle_max: Math.PI, angle_increment: Math.PI / 90 }),
      t,
    );
    g.onOdom(twist(0), t);
    g.onEstop(false, t);
  };

  it('is stopped for stale sources until scan and odometry arrive', () => {
    const g = new SafetyGate(params, 0);
    g.onCommand('nav', twist(0.5), 0);
    expect(g.step(0)).toMatchObject({ vx: 0, state: S.STATE_STOP, reason: S.REASON_SOURCE_TIMEOUT });
    expect(g.out.timedOut).toEqual(['odom', 'scan']);
    fresh(g, 0.05);
    g.onCommand('nav', twist(0.5), 0.05);
    expect(g.step(0.1).state).toBe(S.STATE_CLEAR);
  });

  it('ramps up by accel * dt and caps at the profile maximum', () => {
    const g = new SafetyGate({ ...params, max_linear_speed_mps: 0.6, max_linear_accel_mps2: 1 }, 0);
    let t = 0;
    let prev = 0;
    for (let i = 0; i < 40; i++) {
      t += 0.05;
      fresh(g, t);
      g.onCommand('nav', twist(2), t);
      const v = g.step(t).vx;
      expect(v - prev).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(v).toBeLessThanOrEqual(0.6);
      prev = v;
    }
    expect(prev).toBeCloseTo(0.6, 9);
    expect(g.onSpeedLimit(5)).toBeUndefined();
    t += 0.05;
    fresh(g, t);
    expect(g.step(t).vx).toBeCloseTo(0.6, 9);
    expect(g.onSpeedLimit(-1)).toMatch(/not a finite number/);
  });

  it('slows down on command no faster than the deceleration limit, but obeys a new speed limit at once', () => {
    const g = new SafetyGate({ ...params, max_linear_accel_mps2: 10, max_linear_decel_mps2: 1 }, 0);
    let t = 0;
    const run = (vx: number, steps: number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < steps; i++) {
        t += 0.05;
        fresh(g, t);
        g.onCommand('nav', twist(vx), t);
        out.push(g.step(t).vx);
      }
      return out;
    };
    expect(run(1, 10).pop()).toBeCloseTo(1, 9);
    const down = run(0.2, 20);
    expect(down[0]).toBeCloseTo(0.95, 9); // 1 m/s^2 * 0.05 s
    expect(down.pop()).toBeCloseTo(0.2, 9);
    run(1, 10);
    g.onSpeedLimit(0.3);
    expect(run(1, 1)[0]).toBeCloseTo(0.3, 9);
  });

  it('in the slowdown zone caps at the slowdown ratio of the maxima, not at a crawl, keeping the curvature', () => {
    // Found in the fleet simulation: the zone factor was applied again to the previous output at every
    // step whenever the request had some turn in it, so the speed shrank to accel * dt * r / (1 - r).
    const g = new SafetyGate({ ...params, slowdown_margin_m: 2, slowdown_ratio: 0.4, max_linear_accel_mps2: 0.6 }, 0);
    const behind = scan(new Array(181).fill(8), {
      angle_min: -Math.PI,
      angle_max: Math.PI,
      angle_increment: Math.PI / 90,
    });
    (behind.ranges as number[])[0] = 1.0; // a wall 1 m behind: in the slowdown zone, nowhere near the path
    let t = 0;
    let out = g.out;
    for (let i = 0; i < 100; i++) {
      t += 0.05;
      g.onScan(0, behind, t);
      g.onOdom(twist(0), t);
      g.onEstop(false, t);
      g.onCommand('nav', twist(1, 0.05), t);
      out = g.step(t);
    }
    expect(out).toMatchObject({ state: S.STATE_SLOWDOWN, reason: S.REASON_OBSTACLE });
    expect(out.vx).toBeCloseTo(0.4, 6);
    expect(out.wz).toBeCloseTo(0.02, 6); // the same factor on the turn: the curvature stays
  });

  it('caps linear and angular speed absolutely while something is in the limit zone', () => {
    const g = new SafetyGate(
      {
        ...params,
        limit_margin_m: 2,
        limit_linear_speed_mps: 0.3,
        limit_angular_speed_rps: 0.2,
        max_linear_accel_mps2: 10,
        max_angular_accel_rps2: 10,
      },
      0,
    );
    const post = scan(new Array(181).fill(8), {
      angle_min: -Math.PI,
      angle_max: Math.PI,
      angle_increment: Math.PI / 90,
    });
    (post.ranges as number[])[45] = 1.5; // 1.5 m to the right: beyond the slowdown zone, inside the limit zone
    let t = 0;
    let out = g.out;
    for (let i = 0; i < 10; i++) {
      t += 0.05;
      g.onScan(0, post, t);
      g.onOdom(twist(0), t);
      g.onEstop(false, t);
      g.onCommand('nav', twist(1, 0), t);
      out = g.step(t);
    }
    expect(out).toMatchObject({ state: S.STATE_SLOWDOWN, reason: S.REASON_OBSTACLE });
    expect(out.vx).toBeCloseTo(0.3, 9);
    t += 0.05;
    g.onScan(0, post, t);
    g.onOdom(twist(0), t);
    g.onCommand('nav', twist(0, 1), t);
    expect(Math.abs(g.step(t).wz)).toBeLessThanOrEqual(0.2 + 1e-9);
  });

  it('refuses a reset while the e-stop is asserted; after a reset it still holds zero until a deliberate start', () => {
    const g = new SafetyGate(params, 0);
    fresh(g, 0);
    g.onEstop(true, 0.1);
    expect(g.step(0.1).state).toBe(S.STATE_ESTOP);
    expect(g.onEstopReset(0.15)).toMatch(/still asserted/);
    expect(g.onMotionStart(0.16)).toMatch(/still asserted/);
    g.onEstop(false, 0.2);
    expect(g.step(0.2).state).toBe(S.STATE_ESTOP);
    // a start before the reset is refused
    expect(g.onMotionStart(0.22)).toMatch(/reset first/);
    expect(g.onEstopReset(0.25)).toBeUndefined();
    // reset alone: a fresh command still gets zero, for as long as nobody starts (ISO 13850)
    for (let t = 0.3; t < 3; t += 0.1) {
      fresh(g, t);
      g.onEstop(false, t);
      g.onCommand('nav', twist(0.2), t);
      const o = g.step(t);
      expect(o).toMatchObject({ state: S.STATE_ESTOP, estopLatched: true, vx: 0 });
    }
    expect(g.out.detail).toMatch(/waiting for a start/);
    expect(g.onMotionStart(3)).toBeUndefined();
    fresh(g, 3.05);
    g.onEstop(false, 3.05);
    g.onCommand('nav', twist(0.2), 3.05);
    expect(g.step(3.05)).toMatchObject({ state: S.STATE_CLEAR, estopLatched: false });
    expect(g.out.vx).toBeGreaterThan(0);
  });

  it('holds zero through a local pause that no start, reset or command releases; only a local resume from the pausing input (or a named one) does', () => {
    const g = new SafetyGate({ ...params, local_resume_sources: ['touch'] }, 0);
    const drive = (t: number) => {
      fresh(g, t);
      g.onCommand('nav', twist(0.3), t);
      return g.step(t);
    };
    for (let t = 0; t < 1; t += 0.1) drive(t);
    expect(g.out.vx).toBeGreaterThan(0);
    g.onLocalPause('button');
    expect(drive(1)).toMatchObject({ state: S.STATE_STOP, reason: S.REASON_LOCAL_PAUSE, localPause: 'button', vx: 0 });
    expect(g.out.detail).toBe('paused by a person (button); only a local resume releases it');
    // a deliberate start (the executive on a new decision), an e-stop reset, teleop: none of them moves it
    expect(g.onMotionStart(1.1)).toBeUndefined();
    expect(g.onEstopReset(1.1)).toBeUndefined();
    g.onCommand('teleop', twist(0.3), 1.1);
    g.onLocalPause('speech'); // a second pause keeps the first input
    for (let t = 1.1; t < 3; t += 0.1) expect(drive(t)).toMatchObject({ vx: 0, wz: 0, localPause: 'button' });
    expect(g.onLocalResume('speech')).toBe("paused through 'button': only 'button' or 'touch' may resume");
    expect(drive(3).vx).toBe(0);
    // the touch screen the parameters name may resume a pause made with the button
    expect(g.onLocalResume('touch')).toBeUndefined();
    for (let t = 3.1; t < 4; t += 0.1) drive(t);
    expect(g.out).toMatchObject({ state: S.STATE_CLEAR, localPause: '' });
    expect(g.out.vx).toBeGreaterThan(0);
    expect(g.onLocalResume('speech')).toBeUndefined(); // nothing to resume: no error
  });

  it('lets an e-stop win over a local pause, and keeps the pause after the e-stop is reset and started', () => {
    const g = new SafetyGate(params, 0);
    fresh(g, 0);
    g.onLocalPause('touch');
    g.onEstop(true, 0.1);
    expect(g.step(0.1)).toMatchObject({ state: S.STATE_ESTOP, localPause: 'touch' });
    g.onEstop(false, 0.2);
    expect(g.onEstopReset(0.25)).toBeUndefined();
    expect(g.onMotionStart(0.3)).toBeUndefined();
    fresh(g, 0.35);
    g.onCommand('nav', twist(0.3), 0.35);
    expect(g.step(0.35)).toMatchObject({ state: S.STATE_STOP, reason: S.REASON_LOCAL_PAUSE, vx: 0 });
  });

  it('at boot, waits for an e-stop input that has not reported yet without asking for a reset; one that went silent needs it', () => {
    const g = new SafetyGate({ ...params, start_latched: true }, 0);
    g.onScan(
      0,
      scan(new Array(181).fill(8), { angle_min: -Math.PI, angle_max: Math.PI, angle_increment: Math.PI / 90 }),
      0.6,
    );
    g.onOdom(twist(0), 0.6);
    expect(g.step(0.6)).toMatchObject({ state: S.STATE_ESTOP });
    expect(g.out.detail).toBe('waiting for the e-stop input to report');
    expect(g.onMotionStart(0.65)).toMatch(/silent/);
    g.onEstop(false, 0.7);
    fresh(g, 0.7);
    g.step(0.7);
    expect(g.out.detail).toBe('started latched; waiting for a start');
    expect(g.onMotionStart(0.75)).toBeUndefined();
    fresh(g, 0.8);
    g.onCommand('nav', twist(0.2), 0.8);
    expect(g.step(0.8).state).toBe(S.STATE_CLEAR);
    // heard, then silent: an e-stop; a start alone no longer releases it
    g.step(1.5);
    expect(g.out.detail).toBe('e-stop publisher silent');
    g.onEstop(false, 1.6);
    expect(g.onMotionStart(1.6)).toMatch(/reset first/);
  });

  it('without start_latched, an e-stop input not up yet at boot is a stale input, not a latch: once it reports, the robot may go', () => {
    const g = new SafetyGate(params, 0);
    g.onScan(
      0,
      scan(new Array(181).fill(8), { angle_min: -Math.PI, angle_max: Math.PI, angle_increment: Math.PI / 90 }),
      0.6,
    );
    g.onOdom(twist(0), 0.6);
    g.onCommand('nav', twist(0.2), 0.6);
    expect(g.step(0.6)).toMatchObject({
      state: S.STATE_STOP,
      reason: S.REASON_SOURCE_TIMEOUT,
      estopLatched: false,
      vx: 0,
    });
    expect(g.out.timedOut).toContain('estop');
    fresh(g, 0.7);
    g.onCommand('nav', twist(0.2), 0.7);
    expect(g.step(0.7)).toMatchObject({ state: S.STATE_CLEAR, estopLatched: false });
    expect(g.out.vx).toBeGreaterThan(0);
  });

  it('forgets a reset when the e-stop is pressed again before the start', () => {
    const g = new SafetyGate(params, 0);
    fresh(g, 0);
    g.onEstop(true, 0.1);
    g.onEstop(false, 0.2);
    expect(g.onEstopReset(0.25)).toBeUndefined();
    g.onEstop(true, 0.3);
    g.onEstop(false, 0.4);
    expect(g.onMotionStart(0.45)).toMatch(/reset first/);
    expect(g.step(0.45).state).toBe(S.STATE_ESTOP);
  });
});

describe('ramp', () => {
  it('limits speeding up by accel and slowing down by decel, including through zero', () => {
    expect(ramp(0, 1, 1, 2, 0.1)).toBeCloseTo(0.1, 12);
    expect(ramp(1, 0, 1, 2, 0.1)).toBeCloseTo(0.8, 12);
    // through zero: 0.05 s braking at 2, then 0.05 s speeding up at 1
    expect(ramp(0.1, -1, 1, 2, 0.1)).toBeCloseTo(-0.05, 12);
    expect(ramp(0.5, 0.55, 1, 2, 0.1)).toBe(0.55);
  });
});

describe('two scan sources', () => {
  const params = paramsSchema.parse({
    people_enabled: false,
    estop_timeout_s: 0,
    scan_topics: ['scan_front', 'scan_rear'],
    scan_frames: ['laser_front', 'laser_rear'],
    scan_poses: [0.3, 0, 0, -0.3, 0, Math.PI],
  });
  const ring = (frame: string, r: number): ScanLike =>
    scan(new Array(181).fill(r), {
      header: { frame_id: frame },
      angle_min: -Math.PI / 2,
      angle_max: Math.PI / 2,
      angle_increment: Math.PI / 180,
    });

  it('places the rear laser behind the robot; with an obstacle there it only lets the robot creep away', () => {
    const g = new SafetyGate(params, 0);
    g.onScan(0, ring('laser_front', 5), 0);
    const rear = ring('laser_rear', 5);
    (rear.ranges as number[])[90] = 0.05; // straight out of the rear laser at -0.3 m: a point at -0.35 m
    g.onScan(1, rear, 0);
    g.onOdom(twist(0), 0);
    g.onCommand('nav', twist(0.2), 0);
    // forward moves away from it: an escape at creep speed
    expect(g.step(0)).toMatchObject({ state: S.STATE_APPROACH, reason: S.REASON_OBSTACLE });
    expect(g.out.detail).toMatch(/escaping/);
    expect(g.out.vx).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(Math.abs(g.zoneResult.nearestBearing)).toBeCloseTo(Math.PI, 6);
    expect(g.zoneResult.nearestDistance).toBeCloseTo(0.35, 6);
  });

  it("names only the stale source and refuses a scan in the other laser's frame", () => {
    const g = new SafetyGate({ ...params, source_timeout_s: 0.3 }, 0);
    g.onScan(0, ring('laser_front', 5), 0);
    g.onScan(1, ring('laser_rear', 5), 0);
    g.onOdom(twist(0), 0.4);
    g.onScan(0, ring('laser_front', 5), 0.4);
    g.onCommand('nav', twist(0.2), 0.4);
    expect(g.step(0.4)).toMatchObject({ state: S.STATE_STOP, reason: S.REASON_SOURCE_TIMEOUT });
    expect(g.out.timedOut).toEqual(['scan_rear']);
    expect(g.onScan(1, ring('laser_front', 5), 0.45)).toMatch(/frame 'laser_front' is not the configured 'laser_rear'/);
    expect(g.step(0.45).reason).toBe(S.REASON_SOURCE_INVALID);
    g.onScan(1, ring('laser_rear', 5), 0.5);
    g.onOdom(twist(0), 0.5);
    g.onCommand('nav', twist(0.2), 0.5);
    expect(g.step(0.5).state).toBe(S.STATE_CLEAR);
  });
});

describe('people tracked over several detections', () => {
  const base = paramsSchema.parse({ estop_timeout_s: 0, max_linear_accel_mps2: 10, memory_decay_s: 0 });
  const open = scan(new Array(181).fill(8), { angle_min: -Math.PI, angle_max: Math.PI, angle_increment: Math.PI / 90 });
  /** The speed the gate allows with a person `x0` m ahead moving at `vp` m/s along x (robot standing at the origin). */
  const allowed = (over: Partial<typeof base>, x0: number, vp: number): number => {
    const g = new SafetyGate({ ...base, ...over }, 0);
    let o = g.out;
    for (let i = 1; i <= 8; i++) {
      const t = i * 0.1;
      g.onScan(0, open, t);
      g.onOdom(twist(0), t, { x: 0, y: 0, yaw: 0 });
      g.onPeople([{ position: { x: x0 + vp * t, y: 0 } }], t);
      g.onCommand('nav', twist(1), t);
      o = g.step(t);
    }
    return o.vx;
  };
  it('lets a person walking away count at their measured velocity, and one running at the robot at theirs', () => {
    const k = { people_accel_mps2: 0 }; // always K
    const awayK = allowed(k, 3, 0.6);
    const away = allowed({}, 3, 0.6);
    expect(away).toBeGreaterThan(awayK + 0.05);
    // running at the robot faster than K: the measured speed, so less than K would allow
    const runK = allowed(k, 6, -2.5);
    expect(allowed({}, 6, -2.5)).toBeLessThanOrEqual(runK + 1e-9);
    // with K everywhere, a runner still counts at their own speed, not at K
    expect(runK).toBeLessThan(allowed({ ...k, separation_k_mps: 1.6 }, 6, -1.0) - 0.05);
    // and never more than with K for someone standing still, by more than the uncertainty allows
    expect(allowed({}, 3, 0)).toBeGreaterThanOrEqual(allowed(k, 3, 0));
  });
});
