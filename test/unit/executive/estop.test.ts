/** ISO 13850 on the executive's side: an e-stop reset never restarts; only a new deliberate decision does. */
import { describe, it, expect } from '@jest/globals';
import { Executive, K, ST, RQ } from '../../../nodes/executive/logic';
import { StartGuard } from '../../../nodes/executive/start-guard';
import { ESTOP, WAITING_FOR_START, decision, executive, gate, params } from './helpers';

/** Runs `e` from `from` to `to` [s] at 10 Hz; returns the commands and everything drained. */
function run(e: Executive, from: number, to: number) {
  const cmds: Array<{ v: number; w: number }> = [];
  let starts = 0;
  const statuses = [];
  const requests = [];
  const decisions = [];
  for (let t = from; t < to - 1e-9; t += 0.1) {
    cmds.push(e.tick(t));
    const o = e.drain();
    starts += o.motionStarts;
    statuses.push(...o.statuses);
    requests.push(...o.requests);
    decisions.push(...o.decisions);
  }
  return { cmds, starts, statuses, requests, decisions, moved: cmds.some((c) => c.v !== 0 || c.w !== 0) };
}

describe('executive: e-stop reset never restarts (ISO 13850)', () => {
  it('abandons the running decision on an e-stop (FAILED, ESTOP) and does not resume it after the reset', () => {
    const e = executive();
    const d = decision(K.KIND_NAVIGATE_TO);
    e.onDecision(d, 1);
    expect(run(e, 1, 2).cmds.at(-1)!.v).toBeGreaterThan(0);
    e.onSafety(ESTOP(), 2);
    const out = e.drain();
    expect(out.statuses.at(-1)).toMatchObject({
      decisionId: d.decision_id,
      state: ST.STATE_FAILED,
      reasonCode: 'ESTOP',
    });
    expect(out.statuses.at(-1)!.message).toMatch(/abandoned: emergency stop \(e-stop asserted\); .*new decision/);
    expect(out.requests).toEqual([
      expect.objectContaining({ reason: RQ.REASON_OUTCOME, lastDecisionId: d.decision_id, lastState: ST.STATE_FAILED }),
    ]);
    expect(e.activeDecision).toBeUndefined();
    // the gate of ISO 13850 keeps its latch after the reset; an older gate clears it: neither restarts
    e.onSafety(WAITING_FOR_START(), 3);
    const latched = run(e, 3, 6);
    e.onSafety(gate(), 6);
    const cleared = run(e, 6, 20);
    for (const r of [latched, cleared]) {
      expect(r.moved).toBe(false);
      expect(r.starts).toBe(0);
      expect(r.statuses.filter((s) => s.decisionId === d.decision_id)).toEqual([]);
    }
    expect(e.startNeeded).toBe(true);
  });

  it('sends exactly one motion start for a new cloud decision while the gate waits for a start, then drives', () => {
    const e = executive();
    e.onDecision(decision(K.KIND_NAVIGATE_TO), 1);
    e.onSafety(ESTOP(), 1.5);
    e.onSafety(WAITING_FOR_START(), 3);
    e.drain();
    const d = decision(K.KIND_NAVIGATE_TO, {}, 4, 0);
    e.onDecision(d, 4);
    const first = e.drain();
    expect(first.motionStarts).toBe(1);
    expect(first.statuses.map((s) => s.state)).toEqual([ST.STATE_ACCEPTED, ST.STATE_ACTIVE]);
    const waiting = run(e, 4, 4.5); // the gate has not answered yet: no second start
    expect(waiting.starts).toBe(0);
    e.onSafety(gate(), 4.5); // the gate took the start
    const after = run(e, 4.5, 8);
    expect(after.starts).toBe(0);
    expect(after.cmds.at(-1)!.v).toBeGreaterThan(0);
    expect(e.activeDecision?.id).toBe(d.decision_id);
    expect(e.startNeeded).toBe(false);
  });

  it('at boot, a decision that comes before the gate has reported sends a start, and the gate starting latched does not abandon it', () => {
    const e = new Executive(params(), 0, () => 'x');
    e.onBridge(true, 0);
    e.onPose({ x: 0, y: 0, yaw: 0 });
    const d = decision(K.KIND_NAVIGATE_TO);
    e.onDecision(d, 0.1);
    expect(e.drain().motionStarts).toBe(1);
    // the gate's first report: started latched, waiting for a start (not an e-stop that just happened)
    e.onSafety(WAITING_FOR_START(), 0.2);
    expect(e.drain().statuses.filter((s) => s.state === ST.STATE_FAILED)).toEqual([]);
    e.onSafety(gate(), 0.3); // the gate took the start
    const r = run(e, 0.3, 2);
    expect(r.moved).toBe(true);
    expect(r.starts).toBe(0);
    expect(e.activeDecision?.id).toBe(d.decision_id);
  });

  it('counts a dock as needing motion, and a HOLD, STOP or speed limit as not', () => {
    const e = executive();
    e.onSafety(WAITING_FOR_START(), 1);
    for (const kind of [K.KIND_HOLD, K.KIND_STOP, K.KIND_SET_SPEED_LIMIT]) {
      e.onDecision(decision(kind, { speed_limit: kind === K.KIND_SET_SPEED_LIMIT ? 0.5 : 0 }), 2);
      expect(e.drain().motionStarts).toBe(0);
    }
    e.onDecision(decision(K.KIND_DOCK, { priority: 20 }), 3);
    expect(e.drain().motionStarts).toBe(1);
  });

  it('fails a decision whose start the gate did not take (e-stop still pressed), and a later reset does not start it', () => {
    const e = executive({ motion_start_timeout_s: 2 });
    e.onSafety(ESTOP(), 1);
    const d = decision(K.KIND_NAVIGATE_TO);
    e.onDecision(d, 2);
    expect(e.drain().motionStarts).toBe(1);
    const r = run(e, 2, 4.5);
    const failed = r.statuses.find((s) => s.decisionId === d.decision_id && s.state === ST.STATE_FAILED);
    expect(failed).toMatchObject({ reasonCode: 'ESTOP' });
    expect(failed!.message).toMatch(/still holds its e-stop latch 2 s after the start/);
    e.onSafety(WAITING_FOR_START(), 5);
    e.onSafety(gate(), 6);
    const later = run(e, 6, 12);
    expect(later.moved).toBe(false);
    expect(later.starts).toBe(0);
  });

  it('keeps the local fallback from starting motion after an e-stop: HOLD instead of DOCK, no start', () => {
    const e = executive({ fallback_policy: 'return_to_dock', cloud_timeout_s: 2, low_battery_fraction: 0.3 });
    e.onWorld(true, 0.1, false);
    e.onSafety(ESTOP(), 0.5);
    e.onSafety(WAITING_FOR_START(), 1);
    e.onBridge(false, 1);
    const r = run(e, 1, 10);
    expect(e.inFallback).toBe(true);
    expect(r.decisions.map((d) => d.kind)).toEqual([K.KIND_HOLD]);
    expect(r.starts).toBe(0);
    expect(r.moved).toBe(false);
    e.onSafety(gate(), 10); // an older gate clears its latch at the reset: still no dock on its own
    const cleared = run(e, 10, 15);
    expect(cleared.decisions).toEqual([]);
    expect(cleared.moved).toBe(false);
  });

  it('refuses a local fallback decision that needs motion while a start is needed (ESTOP_LATCHED)', () => {
    const e = executive();
    e.onSafety(ESTOP(), 1);
    const d = decision(K.KIND_DOCK, { source: K.SOURCE_LOCAL_FALLBACK });
    e.onDecision(d, 2);
    const out = e.drain();
    expect(out.motionStarts).toBe(0);
    expect(out.statuses).toEqual([
      expect.objectContaining({ decisionId: d.decision_id, state: ST.STATE_REJECTED, reasonCode: 'ESTOP_LATCHED' }),
    ]);
  });

  it('does not resume a decision paused under a HOLD when the hold expires after an e-stop; a RESUME does, with one start', () => {
    for (const ending of ['expiry', 'resume'] as const) {
      const e = executive();
      const nav = decision(K.KIND_NAVIGATE_TO);
      e.onDecision(nav, 1);
      e.onDecision(decision(K.KIND_HOLD, { expires_at: { sec: 8, nanosec: 0 } }), 2);
      e.onSafety(ESTOP(), 3);
      e.onSafety(WAITING_FOR_START(), 4);
      e.drain();
      if (ending === 'expiry') {
        const r = run(e, 4, 10);
        expect(r.statuses.find((s) => s.decisionId === nav.decision_id)).toMatchObject({
          state: ST.STATE_FAILED,
          reasonCode: 'ESTOP',
        });
        expect(r.moved).toBe(false);
        expect(r.starts).toBe(0);
      } else {
        e.onDecision(decision(K.KIND_RESUME), 5);
        const out = e.drain();
        expect(out.motionStarts).toBe(1);
        expect(e.activeDecision?.id).toBe(nav.decision_id);
        e.onSafety(gate(), 5.2);
        expect(run(e, 5.2, 6).cmds.at(-1)!.v).toBeGreaterThan(0);
      }
    }
  });

  it('does not count an abandoned decision toward the failures that start the fallback', () => {
    const e = executive({ max_consecutive_failures: 2 });
    for (let i = 0; i < 3; i++) {
      e.onSafety(gate(), 10 * i);
      e.onDecision(decision(K.KIND_NAVIGATE_TO), 10 * i + 1);
      e.onSafety(ESTOP(), 10 * i + 2);
      run(e, 10 * i + 2, 10 * i + 3);
    }
    expect(e.inFallback).toBe(false);
  });
});

describe('StartGuard', () => {
  it('needs a start after the rising edge only, and sends one only while latched', () => {
    const g = new StartGuard();
    expect(g.onLatch(false)).toBe(false);
    expect(g.mayMoveOnItsOwn).toBe(true);
    expect(g.onLatch(true)).toBe(true);
    expect(g.onLatch(true)).toBe(false);
    expect(g.startNeeded).toBe(true);
    expect(g.deliberateStart(1)).toBe(true);
    expect(g.startRefused(2, 2)).toBe(false);
    expect(g.startRefused(3, 2)).toBe(true);
    expect(g.startNeeded).toBe(true);
    g.onLatch(false);
    expect(g.mayMoveOnItsOwn).toBe(false);
    expect(g.deliberateStart(4)).toBe(false);
    expect(g.mayMoveOnItsOwn).toBe(true);
  });
});
