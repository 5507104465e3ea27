/** Escape, not deadlock: a step the gate keeps at STOP backs off, retries, and is reported blocked. */
import { describe, it, expect } from '@jest/globals';
import { encodeTaskArgs } from '../../../nodes/core/profiles';
import { K, ST, RQ } from '../../../nodes/executive/logic';
import { BlockedMonitor, backoffCommand, backoffCommands, type BlockedConfig } from '../../../nodes/executive/blocked';
import { NO_SAFETY } from '../../../nodes/executive/safety-view';
import { SS, decision, executive, gate } from './helpers';

const CFG: BlockedConfig = {
  timeoutSec: 3,
  backoffSec: 1,
  maxRetries: 2,
  reverseSpeed: 0.1,
  turnRate: 0.3,
  allowReverse: true,
  clearance: 0,
};
const blockedAt = (bearing?: number, reason: number = SS.REASON_OBSTACLE) =>
  gate({ state: SS.STATE_STOP, reason, ...(bearing !== undefined ? { bearing } : {}) });

describe('backoffCommand', () => {
  it('reverses slowly from an obstacle ahead, and turns away when reversing is not allowed or it is beside', () => {
    expect(backoffCommand(0.2, CFG)).toEqual({ v: -0.1, w: 0 });
    expect(backoffCommand(undefined, CFG)).toEqual({ v: -0.1, w: 0 });
    const noReverse = { ...CFG, allowReverse: false };
    expect(backoffCommand(0.2, noReverse)).toEqual({ v: 0, w: -0.3 }); // on the left: turn right
    expect(backoffCommand(-0.2, noReverse)).toEqual({ v: 0, w: 0.3 }); // on the right: turn left
    expect(backoffCommand(2.0, CFG)).toEqual({ v: 0, w: -0.3 }); // behind on the left: no reverse into it
    expect(backoffCommand(-2.5, CFG)).toEqual({ v: 0, w: 0.3 });
  });
});

describe('executive: blocked navigation', () => {
  const over = {
    blocked_timeout_s: 3,
    backoff_s: 1,
    max_blocked_retries: 2,
    stall_timeout_s: 60,
    detour_offset_m: 0,
    yield_distance_m: 0, // giving way early (yield.test.ts) aside: the gate holds STOP from the start here
  };

  it('backs off after blocked_timeout_s, retries, and after max_blocked_retries fails BLOCKED and asks for a new plan', () => {
    const e = executive(over);
    const d = decision(K.KIND_NAVIGATE_TO);
    e.onDecision(d, 1);
    e.tick(1);
    e.onSafety(blockedAt(0.1), 1.05);
    e.drain();
    const phases: string[] = [];
    const statuses = [];
    const requests = [];
    for (let t = 1.1; t < 20; t += 0.1) {
      const c = e.tick(t);
      const o = e.drain();
      statuses.push(...o.statuses);
      requests.push(...o.requests);
      const phase = c.v < 0 ? 'reverse' : c.v > 0 ? 'drive' : 'zero';
      if (phases.at(-1) !== phase) phases.push(phase);
    }
    // the controller drives (the gate holds zero) for 3 s, reverses 1 s, tries again, twice, then holds
    expect(phases).toEqual(['drive', 'reverse', 'drive', 'reverse', 'drive', 'zero']);
    expect(statuses.filter((s) => /retry after back-off/.test(s.message)).map((s) => s.message)).toEqual([
      'retry after back-off 1: step 1/1: go to target',
      'retry after back-off 2: step 1/1: go to target',
    ]);
    const end = statuses.find((s) => s.state === ST.STATE_FAILED)!;
    expect(end).toMatchObject({ decisionId: d.decision_id, reasonCode: 'BLOCKED' });
    expect(end.message).toMatch(
      /blocked by an obstacle \(nearest obstacle 0\.40 m at 0\.10 rad\) for 3 s after 2 back-offs/,
    );
    expect(requests).toEqual([
      expect.objectContaining({ reason: RQ.REASON_OUTCOME, lastDecisionId: d.decision_id, lastState: ST.STATE_FAILED }),
    ]);
    expect(e.activeDecision).toBeUndefined();
  });

  it('turns away instead of reversing when backoff_reverse is false', () => {
    const e = executive({ ...over, backoff_reverse: false });
    e.onDecision(decision(K.KIND_NAVIGATE_TO), 1);
    e.onSafety(blockedAt(-0.3, SS.REASON_PERSON), 1);
    const cmds = [];
    for (let t = 1; t < 5; t += 0.1) cmds.push(e.tick(t));
    expect(cmds).toContainEqual({ v: 0, w: 0.3 });
    expect(cmds.every((c) => c.v >= 0)).toBe(true);
  });

  it('does not back off when the block clears (for over 1 s) before the timeout, and starts counting again after it', () => {
    const e = executive(over);
    e.onDecision(decision(K.KIND_NAVIGATE_TO, {}, 50, 0), 1);
    let reversed = false;
    for (let t = 1; t < 20; t += 0.1) {
      // blocked 2 s out of every 3.5 s: never 3 s in a row
      e.onSafety((t - 1) % 3.5 < 2 ? blockedAt(0) : gate(), t);
      if (e.tick(t).v < 0) reversed = true;
    }
    expect(reversed).toBe(false);
    expect(e.activeDecision).toBeDefined();
  });

  it('counts a STOP that flickers (clear for moments under 1 s) as one block, and backs off', () => {
    const e = executive(over);
    e.onDecision(decision(K.KIND_NAVIGATE_TO, {}, 50, 0), 1);
    let reversed = false;
    for (let t = 1; t < 8; t += 0.1) {
      // blocked 1 s out of every 1.4 s: a gate at the edge of its stop zone
      e.onSafety((t - 1) % 1.4 < 1 ? blockedAt(0) : gate(), t);
      if (e.tick(t).v < 0) reversed = true;
    }
    expect(reversed).toBe(true);
  });

  it('does not back off from the person it accompanies', () => {
    const care = executive({ ...over, profile: 'care', accompany_lost_timeout_s: 100 });
    care.onWorld(true, 0.9, false, 1, 1.0);
    care.onDecision(
      decision(K.KIND_TASK, {
        task_name: 'accompany',
        task_args: encodeTaskArgs({ person_id: 'p', destination: { x: 5, y: 0, yaw: 0 } }),
      }),
      1,
    );
    care.onSafety(blockedAt(0, SS.REASON_PERSON), 1);
    const v: number[] = [];
    for (let t = 1; t < 10; t += 0.1) v.push(care.tick(t).v);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeGreaterThan(0);
    expect(care.drain().statuses.some((s) => s.state === ST.STATE_FAILED)).toBe(false);
  });
});

describe('backoffCommands: the ways out, tried in turn while the gate refuses each', () => {
  it('reverse and turn away first; forward only with room ahead and nothing in front; the other turn last', () => {
    const fwd = { v: 0.1, w: 0 };
    // something on the left flank (a front-only robot's blind side), room ahead: reverse, turn, forward, turn
    expect(backoffCommands(1.12, CFG, 0.8)).toEqual([{ v: -0.1, w: 0 }, { v: 0, w: -0.3 }, fwd, { v: 0, w: 0.3 }]);
    // no room ahead, or the obstacle in front (within 45°): never forward
    expect(backoffCommands(1.12, CFG, 0.3)).not.toContainEqual(fwd);
    expect(backoffCommands(0.5, CFG, 5)).not.toContainEqual(fwd);
    expect(backoffCommands(undefined, CFG, 5)).not.toContainEqual(fwd);
    // behind: no reverse into it
    expect(backoffCommands(-2.5, CFG, 5)).toEqual([{ v: 0, w: 0.3 }, fwd, { v: 0, w: -0.3 }]);
  });

  it('a back-off the gate holds at STOP gives way to the next after 1 s, each with a back-off of its own', () => {
    const m = new BlockedMonitor({ ...CFG, timeoutSec: 1, backoffSec: 4 });
    const held = {
      ...NO_SAFETY,
      blocked: true,
      blockedBy: 'obstacle' as const,
      bearing: 1.12,
      distance: 0.6,
      pathClear: 0.8,
    };
    const cmds: string[] = [];
    for (let t = 0; t < 6; t += 0.1) {
      const a = m.step(Number(t.toFixed(2)), held);
      if (a.kind === 'backoff') {
        const c = `${a.cmd.v},${a.cmd.w}`;
        if (cmds.at(-1) !== c) cmds.push(c);
      }
    }
    // held throughout: reverse, turn right, forward, turn left, each after 1 s (plus the tick it is seen) of refusal
    expect(cmds).toEqual(['-0.1,0', '0,-0.3', '0.1,0', '0,0.3']);
    // the forward one let through: it runs on to the end of its own back-off
    const m2 = new BlockedMonitor({ ...CFG, timeoutSec: 1, backoffSec: 4 });
    let last = '';
    for (let t = 0; t < 12; t += 0.1) {
      const now = Number(t.toFixed(2));
      const free = last === '0.1,0';
      const a = m2.step(now, free ? { ...held, blocked: false } : held);
      if (a.kind === 'backoff') last = `${a.cmd.v},${a.cmd.w}`;
      if (a.kind === 'retry') break;
    }
    expect(last).toBe('0.1,0');
  });
});
