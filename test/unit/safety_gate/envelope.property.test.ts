/**
 * Property-based tests (fast-check) of the gate's pure logic: for random footprints, obstacle sets,
 * scans, speeds and commands, what the gate lets through never leaves the braking envelope — driving it
 * for the reaction time and then braking along the same path never brings the footprint (grown by the
 * stop margin) onto an obstacle. The check is an independent time-stepped simulation of the robot's
 * pose, not the gate's closed-form sweep. fast-check prints the seed and the shrunk counterexample of a
 * failure; keep such cases in KEPT below so they are replayed on every run.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { Discs, Envelope, type PointSet } from '../../../nodes/safety_gate/envelope';
import { boxDistance, hitProgress, hitRounded, pointAfter, type Box } from '../../../nodes/safety_gate/sweep';
import { stopScale, stopProgress } from '../../../nodes/safety_gate/braking';
import { SafetyGate } from '../../../nodes/safety_gate/logic';
import { paramsSchema } from '../../../nodes/safety_gate/params';

const inside = (x: number, y: number, b: Box, g: number): boolean =>
  x <= b.front + g && x >= -b.rear - g && y <= b.halfWidth + g && y >= -b.halfWidth - g;

/**
 * Drives twist (vx, vy, wz) scaled by k for `reaction` s, then brakes it linearly to zero in k·M s
 * (M = time to brake the full twist), with small Euler steps of the pose; returns the first obstacle
 * point that comes inside `box` grown by `g - tol`, or undefined.
 */
function firstContact(
  pts: ReadonlyArray<[number, number]>,
  vx: number,
  vy: number,
  wz: number,
  k: number,
  reaction: number,
  M: number,
  box: Box,
  g: number,
  tol = 1e-3,
): [number, number] | undefined {
  const total = reaction + k * M;
  const steps = 2000;
  const dt = total / steps;
  let x = 0;
  let y = 0;
  let th = 0;
  for (let i = 0; i <= steps; i++) {
    const t = i * dt;
    const c = Math.cos(th);
    const s = Math.sin(th);
    for (const [px, py] of pts) {
      const dx = px - x;
      const dy = py - y;
      if (inside(c * dx + s * dy, -s * dx + c * dy, box, g - tol)) return [px, py];
    }
    // share of the full twist at mid-step (exact for the linear braking ramp)
    const tm = t + dt / 2;
    const share = tm < reaction ? k : Math.max(0, k - (tm - reaction) / (M > 0 ? M : 1));
    // midpoint heading for the step
    const thm = th + 0.5 * wz * share * dt;
    const cm = Math.cos(thm);
    const sm = Math.sin(thm);
    x += (vx * cm - vy * sm) * share * dt;
    y += (vx * sm + vy * cm) * share * dt;
    th += wz * share * dt;
  }
  return undefined;
}

const boxArb = fc.record({
  front: fc.double({ min: 0.1, max: 1.5, noNaN: true }),
  rear: fc.double({ min: 0.1, max: 1.5, noNaN: true }),
  halfWidth: fc.double({ min: 0.1, max: 1.0, noNaN: true }),
});
const pointArb = fc.tuple(fc.double({ min: -6, max: 6, noNaN: true }), fc.double({ min: -6, max: 6, noNaN: true }));
const twistArb = fc.tuple(
  fc.double({ min: -1, max: 2.5, noNaN: true }),
  fc.constantFrom(0, 0, 0, 0.2, -0.3),
  fc.double({ min: -1.5, max: 1.5, noNaN: true }),
);

/** stopScale's counterexample (u, reaction, brake time) found by fast-check: a denormal brake time. */
const KEPT_SCALE: Array<[number, number, number]> = [[0.00010000010000010002, 0.00010000010000010003, 5e-324]];

/** Counterexamples found by earlier runs (shrunk), replayed first on every run. */
const KEPT: Array<[Box, Array<[number, number]>, [number, number, number], number, number, number]> = [
  // a point just outside a corner while turning in place
  [{ front: 0.3, rear: 0.3, halfWidth: 0.25 }, [[0.42, 0.3]], [0, 0, -1.2], 0.1, 0.25, 1.0],
  // found by fast-check: a point just past the grown corner's x edge, slow turn (the reach filter used the
  // ungrown corner)
  [
    { front: 0.1, rear: 0.1, halfWidth: 0.1 },
    [[0.200001, 0.13521786585529993]],
    [0, 0, -0.026355966877257626],
    0.1,
    0.25,
    0.3,
  ],
  // found by fast-check: a point just outside the grown corner while turning slowly on the spot (passes
  // along it: checked against half the margin)
  [
    { front: 0.1, rear: 0.1, halfWidth: 0.1 },
    [[0.200001, 0.07070784962788784]],
    [0, 0, -0.04609517749123269],
    0.1,
    0.25,
    0.3,
  ],
  // straight ahead at speed, thin margin
  [{ front: 1.1, rear: 1.0, halfWidth: 0.8 }, [[2.2, 0.5]], [2.0, 0, 0], 0.4, 0.25, 1.4],
];

describe('braking envelope (property-based)', () => {
  it('never lets through a twist whose stopping path touches an obstacle', () => {
    fc.assert(
      fc.property(
        boxArb,
        fc.array(pointArb, { minLength: 1, maxLength: 30 }),
        twistArb,
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        (box, all, [vx, vy, wz], margin, reaction, decel) => {
          // obstacles start outside the stop zone (inside it, only escapes are allowed: tested below)
          const pts = all.filter(([x, y]) => !inside(x, y, box, margin + 1e-6));
          const env = new Envelope({
            footprint: box,
            stopMargin: margin,
            reactionS: reaction,
            decel,
            angularDecel: decel * 1.5,
            creepLinear: 0.05,
            creepAngular: 0.2,
            occlusionMinSpeed: 0.08,
            peopleAccel: 2,
          });
          const set: PointSet = {
            xs: Float64Array.from(pts.map((p) => p[0])),
            ys: Float64Array.from(pts.map((p) => p[1])),
            count: pts.length,
          };
          const r = env.evaluate(vx, vy, wz, [set], [true], undefined, new Discs(1));
          const M = Math.max(Math.hypot(vx, vy) / decel, Math.abs(wz) / (decel * 1.5));
          // passing along something inside the stop margin keeps half of it; anything else the whole margin
          expect(firstContact(pts, vx, vy, wz, r.k, reaction, M, box, 0.5 * margin)).toBeUndefined();
          if (!r.grazing) expect(firstContact(pts, vx, vy, wz, r.k, reaction, M, box, margin)).toBeUndefined();
        },
      ),
      {
        numRuns: 400,
        examples: KEPT.map(([box, pts, tw, margin, reaction, decel]) => [box, pts, tw, margin, reaction, decel]),
      },
    );
  });

  it('inside the stop zone lets through only twists that move away at creep speed, or pass along it and stop before half the margin', () => {
    fc.assert(
      fc.property(boxArb, pointArb, twistArb, (box, [px, py], [vx, vy, wz]) => {
        fc.pre(Math.hypot(vx, vy) > 0.01 || Math.abs(wz) > 0.01);
        // a point in the margin ring: inside the stop zone, outside the footprint
        const margin = 0.2;
        const x = Math.max(-box.rear - margin, Math.min(box.front + margin, px));
        const y = Math.max(-box.halfWidth - margin, Math.min(box.halfWidth + margin, py));
        fc.pre(!inside(x, y, box, 0) && inside(x, y, box, margin));
        const env = new Envelope({
          footprint: box,
          stopMargin: margin,
          reactionS: 0.2,
          decel: 1,
          angularDecel: 1.5,
          creepLinear: 0.05,
          creepAngular: 0.2,
          occlusionMinSpeed: 0.08,
          peopleAccel: 2,
        });
        const set: PointSet = { xs: Float64Array.of(x), ys: Float64Array.of(y), count: 1 };
        const r = env.evaluate(vx, vy, wz, [set], [true], undefined, new Discs(1));
        expect(r.inStop).toBe(true);
        if (r.k > 0) {
          expect(r.escaping || r.grazing).toBe(true);
          if (r.escaping) {
            expect(Math.hypot(vx, vy) * r.k).toBeLessThanOrEqual(0.05 + 1e-9);
            expect(Math.abs(wz) * r.k).toBeLessThanOrEqual(0.2 + 1e-9);
          } else {
            // passing along: half the margin is kept along the stopping path (and, by construction, for
            // half a turn or 2 m of the twist's own path)
            const M = Math.max(Math.hypot(vx, vy) / 1, Math.abs(wz) / 1.5);
            expect(firstContact([[x, y]], vx, vy, wz, r.k, 0.2, M, box, margin / 2)).toBeUndefined();
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('closed-form sweep agrees with the time-stepped one on when a point is first touched', () => {
    fc.assert(
      fc.property(boxArb, pointArb, twistArb, (box, [px, py], [vx, vy, wz]) => {
        fc.pre(!inside(px, py, box, 0.05));
        const horizon = 3;
        const u = hitProgress(px, py, vx, vy, wz, box, 0.05, horizon);
        // time-stepped at full scale: first contact progress
        const hit = firstContact([[px, py]], vx, vy, wz, 1, horizon, 0, box, 0.05, -1e-9);
        if (u === Number.POSITIVE_INFINITY) {
          // nothing within the horizon, except possibly a graze within the step
          const again = firstContact([[px, py]], vx, vy, wz, 1, horizon, 0, box, 0.05, 2e-3);
          expect(again).toBeUndefined();
        } else {
          expect(hit).toBeDefined();
          // and not touched (beyond a tolerance) before u
          const before = firstContact([[px, py]], vx, vy, wz, 1, Math.max(0, u - 0.01), 0, box, 0.05, 2e-3);
          expect(before).toBeUndefined();
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the rounded sweep (footprint grown by a disc) agrees with a time-stepped one', () => {
    const at = new Float64Array(2);
    fc.assert(
      fc.property(
        boxArb,
        pointArb,
        twistArb,
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        (box, [px, py], [vx, vy, wz], g) => {
          const horizon = 3;
          const u = hitRounded(px, py, vx, vy, wz, box, g, horizon);
          const within = (t: number, tol: number): boolean => {
            pointAfter(px, py, vx, vy, wz, t, at);
            return boxDistance(at[0]!, at[1]!, box) <= g + tol;
          };
          const steps = 1500;
          let first = Number.POSITIVE_INFINITY;
          for (let i = 0; i <= steps; i++) {
            if (within((horizon * i) / steps, -1e-6)) {
              first = (horizon * i) / steps;
              break;
            }
          }
          if (u === Number.POSITIVE_INFINITY) expect(first).toBe(Number.POSITIVE_INFINITY);
          else {
            // reached at u (within the step), and not before
            expect(within(u, 1e-6)).toBe(true);
            expect(first).toBeGreaterThanOrEqual(u - horizon / steps - 1e-9);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('stopScale inverts stopProgress', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        (u, tr, m) => {
          const k = stopScale(u, tr, m);
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThanOrEqual(1);
          expect(stopProgress(k, tr, m)).toBeLessThanOrEqual(u + 1e-9);
          if (k < 1 && u > 0) expect(stopProgress(Math.min(1, k + 1e-6), tr, m)).toBeGreaterThan(u - 1e-4);
        },
      ),
      { numRuns: 500, examples: KEPT_SCALE },
    );
  });
});

describe('safety gate output (property-based)', () => {
  const params = paramsSchema.parse({
    people_enabled: false,
    estop_timeout_s: 0,
    memory_decay_s: 0,
    footprint_front_m: 0.4,
    footprint_rear_m: 0.3,
    footprint_half_width_m: 0.3,
    stop_margin_m: 0.1,
    slowdown_margin_m: 0.1,
    max_linear_speed_mps: 2,
    max_linear_accel_mps2: 10,
    max_angular_accel_rps2: 10,
    braking_decel_mps2: 1.2,
    braking_angular_decel_rps2: 2,
    reaction_time_s: 0.2,
  });
  const box = { front: 0.4, rear: 0.3, halfWidth: 0.3 };
  it('for random scans and commands, the twist it outputs stops short of every return', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0.05, max: 8, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)), {
          minLength: 90,
          maxLength: 90,
        }),
        twistArb,
        (ranges, [vx, , wz]) => {
          const g = new SafetyGate(params, 0);
          const scan = {
            header: { frame_id: 'laser' },
            angle_min: -Math.PI,
            angle_max: Math.PI - (2 * Math.PI) / 90,
            angle_increment: (2 * Math.PI) / 90,
            range_min: 0.05,
            range_max: 10,
            ranges,
          };
          const tw = { linear: { x: vx, y: 0, z: 0 }, angular: { x: 0, y: 0, z: wz } };
          let o = g.out;
          for (let t = 0.05; t < 0.5; t += 0.05) {
            g.onScan(0, scan, t);
            g.onOdom(tw, t, { x: 0, y: 0, yaw: 0 });
            g.onCommand('nav', tw, t);
            o = g.step(t);
          }
          const pts: Array<[number, number]> = ranges
            .map((r, i): [number, number] => {
              const a = -Math.PI + (i * 2 * Math.PI) / 90;
              const d = Number.isFinite(r) ? r : 10;
              return [d * Math.cos(a), d * Math.sin(a)];
            })
            .filter(([x, y]) => !inside(x, y, box, 0.1));
          const M = Math.max(Math.abs(o.vx) / 1.2, Math.abs(o.wz) / 2);
          const hit = firstContact(pts, o.vx, 0, o.wz, 1, 0.2, M, box, 0.1);
          expect(hit).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });
});
