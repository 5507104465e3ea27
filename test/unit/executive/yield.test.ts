/** Giving way before a deadlock: hold for traffic on the right, keep right for what is ahead or on the left. */
import { describe, it, expect } from '@jest/globals';
import { YieldMonitor, type YieldConfig } from '../../../nodes/executive/yield';
import { K } from '../../../nodes/executive/logic';
import { SS, decision, executive, gate } from './helpers';

const CFG: YieldConfig = {
  distance: 4,
  slowSpeed: 0.5,
  afterSec: 1,
  holdSec: 2,
  maxHoldSec: 3,
  maxSidesteps: 2,
  rightBearing: 0.26,
};
const slowFor = (bearing: number, distance = 2, cap = 0.2) =>
  gate({ state: SS.STATE_APPROACH, reason: SS.REASON_OBSTACLE, bearing, distance, cap });

describe('YieldMonitor', () => {
  it('keeps right for something ahead that holds the robot slow, after afterSec, at most maxSidesteps times', () => {
    const y = new YieldMonitor(CFG);
    expect(y.step(0, slowFor(0.1), 10).kind).toBe('none');
    expect(y.step(0.5, slowFor(0.1), 10).kind).toBe('none');
    expect(y.step(1.0, slowFor(0.1), 10).kind).toBe('sidestep');
    expect(y.step(1.5, slowFor(0.1), 10).kind).toBe('none'); // the clock starts again
    expect(y.step(2.5, slowFor(0.1), 10).kind).toBe('sidestep');
    expect(y.step(3.5, slowFor(0.1), 10).kind).toBe('none');
    expect(y.step(9.5, slowFor(0.1), 10).kind).toBe('none'); // maxSidesteps reached
    expect(y.sidesteps).toBe(2);
  });

  it('holds for traffic on the right front, for holdSec at a time and maxHoldSec in all, then keeps right', () => {
    const y = new YieldMonitor(CFG);
    y.step(0, slowFor(-0.7), 10);
    expect(y.step(1, slowFor(-0.7), 10).kind).toBe('hold');
    // standing still the gate limits nothing, and the hold still runs its time
    expect(y.step(2, gate(), 10).kind).toBe('hold');
    expect(y.step(3, gate(), 10).kind).toBe('none');
    y.step(3.1, slowFor(-0.7), 10);
    expect(y.step(4.2, slowFor(-0.7), 10).kind).toBe('hold'); // 1 s of hold left
    expect(y.step(5.0, gate(), 10).kind).toBe('hold');
    expect(y.step(5.2, gate(), 10).kind).toBe('none');
    y.step(6, slowFor(-0.7), 10);
    expect(y.step(7, slowFor(-0.7), 10).kind).toBe('sidestep');
  });

  it('holds longer only while something moves in the path; something standing in it is not traffic to wait for', () => {
    const cfg = { ...CFG, maxHoldSec: 10 };
    const inPath = (pathClear: number) => gate({ pathClear });
    // a crossing robot in the path, nearer and farther as it goes by: the hold runs on
    const y = new YieldMonitor(cfg);
    y.step(0, slowFor(-0.7), 10);
    expect(y.step(1, slowFor(-0.7), 10).kind).toBe('hold');
    expect(y.step(2, inPath(2.0), 10).kind).toBe('hold');
    expect(y.step(3, inPath(2.4), 10).kind).toBe('hold'); // holdSec over, the path moved: on
    expect(y.step(4, inPath(2.9), 10).kind).toBe('hold');
    // something standing 3.4 m along the path (a person at a station, a parked cart): no longer
    const z = new YieldMonitor(cfg);
    z.step(0, slowFor(-0.7), 10);
    expect(z.step(1, slowFor(-0.7), 10).kind).toBe('hold');
    expect(z.step(2, inPath(3.4), 10).kind).toBe('hold');
    expect(z.step(3.05, inPath(3.4), 10).kind).toBe('none');
  });

  it('ignores what is behind, beside, far, beyond the goal, or not slowing the robot; and latched stops', () => {
    const y = new YieldMonitor(CFG);
    for (const v of [
      slowFor(2.5), // behind
      slowFor(0, 5), // farther than distance
      slowFor(0, 2, 0.8), // the cap is not slow
      gate({ state: SS.STATE_SLOWDOWN, reason: SS.REASON_SPEED_LIMIT, bearing: 0, cap: 0.1 }),
      gate({ state: SS.STATE_ESTOP, reason: SS.REASON_ESTOP, latched: true, bearing: 0 }),
    ]) {
      expect(y.step(0, v, 10).kind).toBe('none');
      expect(y.step(5, v, 10).kind).toBe('none');
    }
    // the goal lies before the obstacle: drive up to it
    expect(y.step(10, slowFor(0, 2), 2.2).kind).toBe('none');
    expect(y.step(15, slowFor(0, 2), 2.2).kind).toBe('none');
  });

  it('keeps right for something in the path that comes toward the robot, not for a wall it drives up to', () => {
    // oncoming: the path closes in at 2 m/s while the robot drives at 1 m/s
    const y = new YieldMonitor(CFG);
    const kinds: string[] = [];
    for (let t = 0; t <= 3; t += 0.1)
      kinds.push(y.step(t, gate({ pathClear: Math.max(0.5, 5.9 - 2 * t) }), 20, 1).kind);
    expect(kinds).toContain('sidestep');
    // a wall: the path closes in at the robot's own speed
    const w = new YieldMonitor(CFG);
    for (let t = 0; t <= 3; t += 0.1) expect(w.step(t, gate({ pathClear: 5.9 - t }), 20, 1).kind).toBe('none');
    // nothing within distance, or giving way switched off
    const far = new YieldMonitor(CFG);
    for (let t = 0; t <= 2; t += 0.1) expect(far.step(t, gate({ pathClear: 6 }), 20, 0).kind).toBe('none');
    const off = new YieldMonitor({ ...CFG, distance: 0 });
    for (let t = 0; t <= 2; t += 0.1) expect(off.step(t, gate({ pathClear: 3.9 - 2 * t }), 20, 0).kind).toBe('none');
  });
});

describe('executive: giving way', () => {
  it('held slow by something ahead, a navigation step keeps right through a detour waypoint, then goes on', () => {
    const e = executive({ yield_after_s: 1, stall_timeout_s: 60 });
    e.onDecision(decision(K.KIND_NAVIGATE_TO, {}, 10, 0), 1);
    e.tick(1);
    e.onSafety(slowFor(0.05, 2, 0.1), 1.05);
    e.drain();
    let turnedRight = false;
    const messages: string[] = [];
    for (let t = 1.1; t < 3; t += 0.1) {
      const c = e.tick(t);
      if (c.w < 0) turnedRight = true;
      messages.push(...e.drain().statuses.map((s) => s.message));
    }
    expect(messages).toContain('giving way: step 1/2: keep right: 0.7 m to the right');
    expect(turnedRight).toBe(true);
  });
});
