/** A person on site always wins (issue 18): while the gate holds a local pause the executive drives nothing and no decision ends it. */
import { describe, it, expect } from '@jest/globals';
import { K, ST, type Executive } from '../../../nodes/executive/logic';
import { LocalPauseView } from '../../../nodes/executive/local-pause';
import { decision, executive, gate, SS } from './helpers';

const PAUSED = (by = 'button') => gate({ state: SS.STATE_STOP, reason: SS.REASON_LOCAL_PAUSE, pausedBy: by });

/** Runs `e` from `from` to `to` [s] at 10 Hz; returns the commands and everything drained. */
function run(e: Executive, from: number, to: number) {
  const cmds: Array<{ v: number; w: number }> = [];
  const statuses = [];
  const requests = [];
  for (let t = from; t < to - 1e-9; t += 0.1) {
    e.onBridge(true, t);
    cmds.push(e.tick(t));
    const o = e.drain();
    statuses.push(...o.statuses);
    requests.push(...o.requests);
  }
  return { cmds, statuses, requests, moved: cmds.some((c) => c.v !== 0 || c.w !== 0) };
}

describe('executive: local pause', () => {
  it('holds the running decision while paused and carries it on after the local resume', () => {
    const e = executive();
    const d = decision(K.KIND_NAVIGATE_TO, {}, 8, 0);
    e.onDecision(d, 1);
    expect(run(e, 1, 2).moved).toBe(true);
    e.onSafety(PAUSED('touch'), 2);
    expect(e.drain().statuses.at(-1)).toMatchObject({
      decisionId: d.decision_id,
      state: ST.STATE_ACTIVE,
      reasonCode: 'LOCAL_PAUSE',
      message: 'paused by a person on site (touch)',
    });
    // long enough to stall, block or ask for a decision many times over: none of it happens
    const held = run(e, 2, 60);
    expect(held.moved).toBe(false);
    expect(held.requests).toEqual([]);
    expect(held.statuses.filter((s) => s.state !== ST.STATE_ACTIVE || s.reasonCode !== 'LOCAL_PAUSE')).toEqual([]);
    expect(e.activeDecision?.id).toBe(d.decision_id);
    e.onSafety(gate(), 60);
    const resumed = e.drain().statuses.at(-1)!;
    expect(resumed).toMatchObject({ decisionId: d.decision_id, state: ST.STATE_ACTIVE, reasonCode: 'LOCAL_RESUME' });
    expect(resumed.message).toBe('resumed by a person on site (touch) after 58.0 s');
    expect(run(e, 60, 61).moved).toBe(true);
  });

  it('refuses every decision that could move it or end the pause, of any priority and source; takes stop, speed limits and its own fallback hold', () => {
    const e = executive();
    e.onDecision(decision(K.KIND_NAVIGATE_TO), 1);
    e.onSafety(PAUSED(), 2);
    e.drain();
    const refused = [
      decision(K.KIND_RESUME, { priority: 255 }),
      decision(K.KIND_NAVIGATE_TO, { priority: 255 }),
      decision(K.KIND_HOLD, { priority: 255 }),
      decision(K.KIND_DOCK, { priority: 255 }),
      decision(K.KIND_NAVIGATE_TO, { priority: 255, source: K.SOURCE_LOCAL_FALLBACK }),
      decision(K.KIND_HOLD, { priority: 255, source: K.SOURCE_OPERATOR }),
    ];
    for (const d of refused) e.onDecision(d, 3);
    const out = e.drain();
    expect(out.statuses.map((s) => [s.decisionId, s.state, s.reasonCode])).toEqual(
      refused.map((d) => [d.decision_id, ST.STATE_REJECTED, 'LOCAL_PAUSE']),
    );
    expect(out.statuses[0]!.message).toMatch(
      /^paused by a person on site \(button\) for 1\.0 s; only a local resume releases it$/,
    );
    expect(run(e, 3, 10).moved).toBe(false);
    const limit = decision(K.KIND_SET_SPEED_LIMIT, { speed_limit: 0.3 });
    e.onDecision(limit, 10);
    expect(e.drain().statuses.map((s) => s.state)).toEqual([ST.STATE_ACCEPTED, ST.STATE_SUCCEEDED]);
    const stop = decision(K.KIND_STOP);
    e.onDecision(stop, 11);
    expect(e.activeDecision).toBeUndefined();
    // stopped, still paused: nothing moves, nothing is asked for
    const after = run(e, 11, 30);
    expect(after.moved).toBe(false);
    expect(after.requests).toEqual([]);
  });

  it('does not expire the held decision while paused', () => {
    const e = executive();
    const d = decision(K.KIND_NAVIGATE_TO, { expires_at: { sec: 20, nanosec: 0 } }, 30, 0);
    e.onDecision(d, 1);
    e.onSafety(PAUSED(), 2);
    run(e, 2, 25);
    expect(e.activeDecision?.id).toBe(d.decision_id);
    // once resumed, its own expiry applies again
    e.onSafety(gate(), 25);
    const r = run(e, 25, 26);
    expect(r.statuses.at(-1)).toMatchObject({ decisionId: d.decision_id, state: ST.STATE_EXPIRED });
  });
});

describe('LocalPauseView', () => {
  it('reports a pause and a resume with its duration, once each', () => {
    const v = new LocalPauseView();
    expect(v.update('', 0)).toBeUndefined();
    expect(v.update('button', 1)).toEqual({ kind: 'paused', source: 'button' });
    expect(v.update('button', 2)).toBeUndefined();
    expect(v.pausedFor(3.5)).toBe(2.5);
    expect(v.update('', 4)).toEqual({ kind: 'resumed', source: 'button', pausedS: 3 });
    expect(v.paused).toBe(false);
    expect(v.pausedFor(9)).toBe(0);
  });
});
