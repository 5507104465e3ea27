import { describe, it, expect } from '@jest/globals';
import { PROFILE_NAMES } from '../../../nodes/core/profiles';
import { eventSchema, stateSchema, type State } from '../../../nodes/core/contract';
import {
  PROFILE_POLICIES,
  applyEventPolicy,
  applyRequestPolicy,
  applyStatePolicy,
  roundTo,
} from '../../../nodes/cloud_bridge/policy';
import { effectivePolicy } from '../../../nodes/cloud_bridge/node';
import { paramsSchema } from '../../../nodes/cloud_bridge/params';

const state: State = {
  v: '1.0',
  t: 1,
  pose: [12.3456, -5.6789, 1.23456],
  vel: [0.5, 0.1],
  ppl: 2,
  obs: 1.5,
  mode: 'idle',
  faults: 0,
};

describe('data minimisation per profile, on every outbound payload', () => {
  it('care: pose rounded to 1 m, free text withheld from events and requests; the result still matches the contract', () => {
    const p = PROFILE_POLICIES.care;
    const s = applyStatePolicy(state, p);
    expect(s.pose).toEqual([12, -6, 1.235]);
    expect(stateSchema.safeParse(s).success).toBe(true);
    const ev = applyEventPolicy(
      {
        v: '1.0',
        robotId: 'r',
        at: 1,
        type: 'decision_failed',
        decisionId: 'd',
        source: 'cloud',
        kind: 'navigate_to',
        message: 'Mrs Tanaka blocked the corridor',
      },
      p,
    );
    expect(ev).not.toHaveProperty('message');
    expect(eventSchema.safeParse({ ...ev, seq: 1 }).success).toBe(true);
    const req = applyRequestPolicy(
      {
        v: '1.0',
        robotId: 'r',
        requestId: 'q',
        at: 1,
        reason: 'node_asked',
        profile: 'care',
        detail: 'Mr Sato asks for tea',
      },
      p,
    );
    expect(req).not.toHaveProperty('detail');
  });

  it('every profile has a policy; factory keeps text and centimetre poses, delivery rounds to 0.1 m', () => {
    for (const name of PROFILE_NAMES) expect(PROFILE_POLICIES[name]).toBeDefined();
    expect(applyStatePolicy(state, PROFILE_POLICIES.factory).pose).toEqual([12.35, -5.68, 1.235]);
    expect(applyStatePolicy(state, PROFILE_POLICIES.delivery).pose).toEqual([12.3, -5.7, 1.235]);
    const msg = {
      v: '1.0' as const,
      robotId: 'r',
      at: 1,
      type: 'fault_raised' as const,
      code: 'X',
      source: 's',
      severity: 'warn' as const,
      message: 'text',
    };
    expect(applyEventPolicy(msg, PROFILE_POLICIES.factory)).toHaveProperty('message', 'text');
  });

  it('parameters tighten a profile policy: pose_precision_m 0 withholds the pose, send_free_text false drops text', () => {
    const p = effectivePolicy(
      paramsSchema.parse({
        robot_id: 'r',
        fleet: 'f',
        profile: 'factory',
        pose_precision_m: 0,
        send_free_text: 'false',
      }),
    );
    expect(applyStatePolicy(state, p)).not.toHaveProperty('pose');
    expect(p.freeText).toBe(false);
    expect(effectivePolicy(paramsSchema.parse({ robot_id: 'r', fleet: 'f', profile: 'care' }))).toEqual(
      PROFILE_POLICIES.care,
    );
  });

  it('rounds without binary noise', () => {
    expect(roundTo(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(roundTo(-5.6789, 0.01)).toBe(-5.68);
    expect(roundTo(12.5, 1)).toBe(13);
  });
});

describe('local pause events under the data policy', () => {
  const paused = {
    v: '1.3',
    robotId: 'r',
    at: 1,
    type: 'resumed_by_person',
    count: 2,
    pausedS: 12.3,
    input: 'speech',
    decisionId: 'd-7',
    pose: [3.14159, -2.56],
  } as const;

  it('care keeps only the count and the duration: not where, not which input, not which decision', () => {
    const ev = applyEventPolicy({ ...paused, pose: [3.14159, -2.56] }, PROFILE_POLICIES.care);
    expect(ev).toEqual({ v: '1.3', robotId: 'r', at: 1, type: 'resumed_by_person', count: 2, pausedS: 12.3 });
    expect(eventSchema.safeParse({ ...ev, seq: 1 }).success).toBe(true);
  });

  it('delivery keeps all of it, the pose rounded as its state pose; send_pause_detail and pose_precision_m override', () => {
    expect(applyEventPolicy({ ...paused, pose: [3.14159, -2.56] }, PROFILE_POLICIES.delivery)).toMatchObject({
      input: 'speech',
      decisionId: 'd-7',
      pose: [3.1, -2.6],
    });
    const off = effectivePolicy(
      paramsSchema.parse({ robot_id: 'r', fleet: 'f', profile: 'delivery', send_pause_detail: 'false' }),
    );
    expect(applyEventPolicy({ ...paused, pose: [3.14159, -2.56] }, off)).not.toHaveProperty('input');
    const on = effectivePolicy(
      paramsSchema.parse({ robot_id: 'r', fleet: 'f', profile: 'care', send_pause_detail: 'true' }),
    );
    expect(applyEventPolicy({ ...paused, pose: [3.14159, -2.56] }, on)).toMatchObject({
      input: 'speech',
      pose: [3, -3],
    });
    const noPose = effectivePolicy(
      paramsSchema.parse({ robot_id: 'r', fleet: 'f', profile: 'delivery', pose_precision_m: 0 }),
    );
    const ev = applyEventPolicy({ ...paused, pose: [3.14159, -2.56] }, noPose);
    expect(ev).not.toHaveProperty('pose');
    expect(ev).toMatchObject({ input: 'speech', decisionId: 'd-7' });
  });
});
