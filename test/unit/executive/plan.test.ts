import { describe, it, expect } from '@jest/globals';
import { PROFILE_NAMES, TASKS, taskNames, decodeTaskArgs, encodeTaskArgs } from '../../../nodes/core/profiles';
import { TASK_PLANS, insideGeofence, planGoals } from '../../../nodes/executive/plan';
import { goToGoal } from '../../../nodes/executive/controller';
import { paramsSchema } from '../../../nodes/executive/params';
import { Executive, K, ST } from '../../../nodes/executive/logic';

const pose = (x: number, y: number) => ({ x, y, yaw: 0 });
const SAMPLE_ARGS: Record<string, Record<string, unknown>> = {
  accompany: { person_id: 'p1', destination: pose(1, 2), max_speed: 0.4 },
  remind_medication: { room: pose(3, 1), reminder_id: 'r1' },
  deliver_package: { pickup: pose(1, 0), dropoff: pose(2, 0), package_id: 'k' },
  move_material: { from: pose(1, 0), to: pose(2, 0), material_id: 'm' },
  water_row: { row_start: pose(0, 1), row_end: pose(20, 1) },
  survey_area: { waypoints: [pose(1, 1), pose(2, 2), pose(3, 1)] },
};

describe('task plans', () => {
  it('has a plan for every task of every profile in nodes/core/profiles.ts, built from primitives', () => {
    for (const profile of PROFILE_NAMES) {
      const p = paramsSchema.parse({ profile });
      expect(Object.keys(TASK_PLANS[profile]).sort()).toEqual(taskNames(profile).sort());
      for (const task of taskNames(profile)) {
        const decoded = decodeTaskArgs(profile, task, encodeTaskArgs(SAMPLE_ARGS[task] as never));
        expect(decoded.success).toBe(true);
        const steps = TASK_PLANS[profile][task]!(decoded.success ? decoded.data : {}, p);
        expect(steps.length).toBeGreaterThan(0);
        expect(steps.every((s) => ['navigate', 'wait', 'charge'].includes(s.kind))).toBe(true);
        expect(planGoals(steps).length).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(TASKS).sort()).toEqual([...PROFILE_NAMES].sort());
  });

  it('walks at the accompany pace and waters a row at the watering speed', () => {
    const care = paramsSchema.parse({ profile: 'care', accompany_speed_mps: 0.5 });
    expect(TASK_PLANS.care.accompany!({ destination: pose(1, 1) }, care)[0]).toMatchObject({ speedCap: 0.5 });
    expect(TASK_PLANS.care.accompany!({ destination: pose(1, 1), max_speed: 0.3 }, care)[0]).toMatchObject({
      speedCap: 0.3,
    });
    const farm = paramsSchema.parse({ profile: 'farm', watering_speed_mps: 0.25 });
    expect(TASK_PLANS.farm.water_row!(SAMPLE_ARGS.water_row!, farm)[1]).toMatchObject({
      kind: 'navigate',
      speedCap: 0.25,
    });
  });
});

describe('geofence and controller', () => {
  it('tells inside from outside a polygon, and treats no fence as everywhere', () => {
    const fence = [0, 0, 10, 0, 10, 10, 0, 10];
    expect(insideGeofence(fence, 5, 5)).toBe(true);
    expect(insideGeofence(fence, 11, 5)).toBe(false);
    expect(insideGeofence([0, 0, 10, 0, 5, 5], 5, 6)).toBe(false);
    expect(insideGeofence([], 1e6, 1e6)).toBe(true);
  });

  it('turns on the spot toward a goal behind it, drives when facing it, and ends at the goal heading', () => {
    const c = {
      maxLinear: 1,
      maxAngular: 1,
      kLinear: 1,
      kAngular: 2,
      rotateInPlace: 0.6,
      goalTolerance: 0.1,
      yawTolerance: 0.1,
    };
    expect(goToGoal({ x: 0, y: 0, yaw: 0 }, pose(-2, 0), c)).toMatchObject({ v: 0, done: false });
    const ahead = goToGoal({ x: 0, y: 0, yaw: 0 }, pose(5, 0), c, 0.4);
    expect(ahead.v).toBeCloseTo(0.4, 9);
    expect(goToGoal({ x: 5, y: 0, yaw: 1 }, pose(5, 0), c)).toMatchObject({ v: 0, done: false });
    expect(goToGoal({ x: 5, y: 0, yaw: 0.05 }, pose(5, 0), c)).toMatchObject({ done: true });
  });
});

describe('Executive state machine', () => {
  const decision = (over: Record<string, unknown>) => ({
    decision_id: 'x',
    kind: K.KIND_NAVIGATE_TO,
    source: K.SOURCE_CLOUD,
    priority: 10,
    target: {
      header: { frame_id: 'map' },
      pose: { position: { x: 1, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    },
    speed_limit: 0,
    task_name: '',
    task_args: [],
    expires_at: { sec: 0, nanosec: 0 },
    ...over,
  });

  it('rejects invalid decisions with a reason code', () => {
    let n = 0;
    const e = new Executive(paramsSchema.parse({ profile: 'factory' }), 0, () => String(++n));
    e.onDecision(decision({ decision_id: '' }), 1);
    e.onDecision(decision({ decision_id: 'a', kind: 0 }), 1);
    e.onDecision(decision({ decision_id: 'b', speed_limit: Number.NaN }), 1);
    e.onDecision(
      decision({
        decision_id: 'c',
        target: {
          header: { frame_id: 'map' },
          pose: { position: { x: Number.NaN, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
        },
      }),
      1,
    );
    e.onDecision(
      decision({
        decision_id: 'd',
        target: {
          header: { frame_id: 'map' },
          pose: { position: { x: 1, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 2 } },
        },
      }),
      1,
    );
    e.onDecision(decision({ decision_id: 'e', kind: K.KIND_RESUME }), 1);
    e.onDecision(decision({ decision_id: 'f' }), 1);
    e.onDecision(decision({ decision_id: 'f' }), 1);
    const out = e.drain().statuses.filter((s) => s.state === ST.STATE_REJECTED);
    expect(out.map((s) => `${s.decisionId}:${s.reasonCode}`)).toEqual([
      ':INVALID',
      'a:INVALID',
      'b:INVALID',
      'c:INVALID',
      'd:INVALID',
      'e:NOTHING_TO_RESUME',
      'f:DUPLICATE',
    ]);
  });

  it('sends Nav2 goals with the nav2 backend, cancels them on preemption and ignores stale results', () => {
    const e = new Executive(paramsSchema.parse({ profile: 'delivery', navigation_backend: 'nav2' }), 0, () => 'id');
    e.onDecision(decision({ decision_id: 'n1' }), 0);
    e.tick(0.1);
    const goal = e.drain().nav;
    expect(goal).toEqual([{ type: 'goal', token: 1, goal: { x: 1, y: 0, yaw: 0 } }]);
    e.onNavFeedback(1, 0.5);
    e.onDecision(decision({ decision_id: 'n2', priority: 20 }), 0.2);
    const after = e.drain();
    expect(after.nav).toEqual([{ type: 'cancel', token: 1 }]);
    expect(after.statuses.find((s) => s.decisionId === 'n1')).toMatchObject({
      state: ST.STATE_PREEMPTED,
      preemptedBy: 'n2',
    });
    e.onNavResult(1, false, 'canceled', 0.3); // stale: ignored
    e.tick(0.4);
    expect(e.drain().nav).toEqual([{ type: 'goal', token: 2, goal: { x: 1, y: 0, yaw: 0 } }]);
    e.onNavResult(2, true, '', 0.5);
    expect(e.drain().statuses.find((s) => s.decisionId === 'n2')).toMatchObject({
      state: ST.STATE_SUCCEEDED,
      progress: 1,
    });
  });

  it("a NAVIGATE_TO's own goal tolerances (task_args) decide when it is reached; bad ones are INVALID", () => {
    const tol = [
      { key: 'goal_tolerance_m', value: '0.5' },
      { key: 'yaw_tolerance_rad', value: '0.4' },
    ];
    const reached = (args: Array<{ key: string; value: string }>) => {
      const e = new Executive(paramsSchema.parse({ profile: 'factory' }), 0, () => 'id');
      e.onPose({ x: 0.6, y: 0, yaw: 0.3 }, 0);
      e.onDecision(decision({ decision_id: 't', task_args: args }), 0);
      for (let t = 0.1; t < 0.5; t += 0.1) e.tick(t);
      return e
        .drain()
        .statuses.filter((s) => s.decisionId === 't')
        .map((s) => s.state);
    };
    // 0.4 m and 0.3 rad from the goal: within the decision's own tolerances, not within the parameters'
    expect(reached(tol)).toContain(ST.STATE_SUCCEEDED);
    expect(reached([])).not.toContain(ST.STATE_SUCCEEDED);
    const e = new Executive(paramsSchema.parse({ profile: 'factory' }), 0, () => 'id');
    e.onDecision(decision({ decision_id: 'u', task_args: [{ key: 'goal_tolerance_m', value: '-1' }] }), 0);
    e.onDecision(decision({ decision_id: 'v', task_args: [{ key: 'speed', value: '1' }] }), 0);
    expect(
      e
        .drain()
        .statuses.filter((s) => s.state === ST.STATE_REJECTED)
        .map((s) => `${s.decisionId}:${s.reasonCode}`),
    ).toEqual(['u:INVALID', 'v:INVALID']);
  });

  it('keeps status messages within the contract bound of 256 characters', () => {
    const e = new Executive(paramsSchema.parse({ profile: 'care' }), 0, () => 'id');
    e.onDecision(decision({ decision_id: 'big', kind: K.KIND_TASK, task_name: 'y'.repeat(300) }), 0);
    const rejected = e.drain().statuses[0]!;
    expect(rejected.reasonCode).toBe('UNKNOWN_TASK');
    expect(rejected.message).toHaveLength(256);
    expect(rejected.message.endsWith('…')).toBe(true);
  });
});
