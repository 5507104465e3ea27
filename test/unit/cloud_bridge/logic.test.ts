import { describe, it, expect } from '@jest/globals';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { decodeTaskArgs } from '../../../nodes/core/profiles';
import { assertMessage } from '../../../nodes/core/interfaces/validate';
import { CONTRACT_VERSION, decisionSchema, eventSchema, stateSchema } from '../../../nodes/core/contract';
import {
  ProgressFilter,
  RobotPicture,
  msToRosTime,
  requestPayload,
  rosTimeToMs,
  significantChange,
  toRosDecision,
  yawOf,
} from '../../../nodes/cloud_bridge/logic';

const D = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const HS = MESSAGE_CONSTANTS['kizuna_msgs/msg/HealthSummary'];
const msg = <T extends Parameters<typeof createMessage>[0]>(t: T): Record<string, unknown> => createMessage(t);

describe('cloud_bridge logic: ROS ↔ contract', () => {
  it('turns a validated contract decision into a kizuna_msgs/Decision the executive can decode', () => {
    const d = decisionSchema.parse({
      v: '1.0',
      decisionId: 'd-1',
      robotId: 'r',
      requestId: 'req-9',
      issuedAt: 1795849200123,
      expiresAt: 1795849500000,
      priority: 7,
      kind: {
        type: 'perform_task',
        profile: 'construction',
        task: 'survey_area',
        args: {
          waypoints: [
            { x: 1, y: 2, yaw: 0 },
            { x: 3, y: 4 },
          ],
        },
      },
    });
    const ros = toRosDecision(d, 'cloud', { sec: 5, nanosec: 0 });
    assertMessage('kizuna_msgs/msg/Decision', ros);
    expect(ros).toMatchObject({
      kind: D.KIND_TASK,
      source: D.SOURCE_CLOUD,
      priority: 7,
      task_name: 'survey_area',
      request_id: 'req-9',
    });
    expect(decodeTaskArgs('construction', 'survey_area', ros.task_args)).toEqual({
      success: true,
      data: {
        waypoints: [
          { x: 1, y: 2, yaw: 0 },
          { x: 3, y: 4, yaw: 0 },
        ],
      },
    });
    expect(rosTimeToMs(ros.issued_at)).toBe(1795849200123);

    const nav = toRosDecision(
      decisionSchema.parse({
        ...d,
        kind: { type: 'navigate_to', target: { x: 1, y: 2, yaw: Math.PI / 2 }, maxSpeed: 0.4 },
      }),
      'broadcast',
      { sec: 5, nanosec: 0 },
    );
    assertMessage('kizuna_msgs/msg/Decision', nav);
    expect(nav.target.header.frame_id).toBe('map');
    expect(yawOf(nav.target.pose.orientation)).toBeCloseTo(Math.PI / 2, 9);
    expect(nav.speed_limit).toBeCloseTo(0.4, 6);
    expect(nav.source).toBe(D.SOURCE_BROADCAST);
  });

  it('maps decision statuses to lifecycle events: repeated ACTIVE is progress, REJECTED is by the executive', () => {
    const pic = new RobotPicture();
    const st = (
      state: number,
      progress = 0,
      source: number = D.SOURCE_CLOUD,
    ): MessageOf<'kizuna_msgs/msg/DecisionStatus'> =>
      ({
        ...msg('kizuna_msgs/msg/DecisionStatus'),
        decision_id: 'd-1',
        state,
        progress,
        source,
        kind: D.KIND_DOCK,
        reason_code: 'X',
      }) as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
    expect(pic.onDecisionStatus(st(DS.STATE_ACTIVE), 1, 'r')).toMatchObject({ type: 'decision_started', kind: 'dock' });
    expect(pic.onDecisionStatus(st(DS.STATE_ACTIVE, 0.25), 2, 'r')).toMatchObject({
      type: 'decision_progress',
      progress: 0.25,
    });
    expect(pic.state(3)).toMatchObject({ dec: 'd-1', prog: 0.25, mode: 'executing' });
    expect(pic.onDecisionStatus(st(DS.STATE_REJECTED), 4, 'r')).toMatchObject({
      type: 'decision_rejected',
      by: 'executive',
      reason: 'X',
    });
    expect(pic.onDecisionStatus(st(DS.STATE_SUCCEEDED), 5, 'r')).toMatchObject({ type: 'decision_succeeded' });
    expect(pic.state(6)).toMatchObject({ mode: 'idle' });
    expect(pic.state(6).dec).toBeUndefined();
    const fb = { ...st(DS.STATE_ACTIVE, 0, D.SOURCE_LOCAL_FALLBACK), decision_id: 'f-1' };
    expect(pic.onDecisionStatus(fb, 7, 'r')).toMatchObject({ source: 'local_fallback' });
    expect(pic.state(8).mode).toBe('fallback');
    expect(pic.onDecisionStatus({ ...st(0) }, 9, 'r')).toBeUndefined();
  });

  it('reports safety changes once per change and fault raised / cleared / health level from the health summary', () => {
    const pic = new RobotPicture();
    const safety = (state: number): MessageOf<'kizuna_msgs/msg/SafetyState'> =>
      ({
        ...msg('kizuna_msgs/msg/SafetyState'),
        state,
        limiting_reason: 2,
        linear_speed_cap: 0.3,
      }) as MessageOf<'kizuna_msgs/msg/SafetyState'>;
    expect(pic.onSafety(safety(SS.STATE_CLEAR), 1, 'r')).toMatchObject({ type: 'safety', state: 'clear' });
    expect(pic.onSafety(safety(SS.STATE_CLEAR), 2, 'r')).toBeUndefined();
    expect(pic.onSafety(safety(SS.STATE_SLOWDOWN), 3, 'r')).toMatchObject({
      state: 'slowdown',
      previous: 'clear',
      reason: 'person',
      linearCap: 0.3,
    });
    const fault = {
      code: 'LIDAR_STALE',
      source: 'scan',
      severity: 2,
      message: 'no scan',
      since: { sec: 0, nanosec: 0 },
    };
    const health = (level: number, faults: unknown[]): MessageOf<'kizuna_msgs/msg/HealthSummary'> =>
      ({ ...msg('kizuna_msgs/msg/HealthSummary'), level, faults }) as MessageOf<'kizuna_msgs/msg/HealthSummary'>;
    expect(pic.onHealth(health(HS.LEVEL_OK, []), 1, 'r').map((e) => e.type)).toEqual(['health']);
    const raised = pic.onHealth(health(HS.LEVEL_ERROR, [fault]), 2, 'r');
    expect(raised).toEqual([
      expect.objectContaining({ type: 'fault_raised', code: 'LIDAR_STALE', severity: 'error' }),
      expect.objectContaining({ type: 'health', level: 'error', previous: 'ok' }),
    ]);
    expect(pic.onHealth(health(HS.LEVEL_ERROR, [fault]), 3, 'r')).toEqual([]);
    expect(pic.onHealth(health(HS.LEVEL_OK, []), 4, 'r').map((e) => e.type)).toEqual(['fault_cleared', 'health']);
  });

  it('builds a contract-valid state even from NaN inputs, and flags significant changes', () => {
    const pic = new RobotPicture();
    const w = msg('kizuna_msgs/msg/WorldSummary') as unknown as MessageOf<'kizuna_msgs/msg/WorldSummary'>;
    w.pose_valid = true;
    w.pose.position.x = Number.NaN;
    w.pose.orientation.w = 1;
    w.velocity.linear.x = Number.POSITIVE_INFINITY;
    w.battery_valid = true;
    w.battery_percentage = Number.NaN;
    pic.onWorld(w);
    const s = pic.state(10);
    expect(stateSchema.safeParse(s).success).toBe(true);
    expect(s.pose).toBeUndefined();
    expect(s.vel).toBeUndefined();
    expect(s.bat).toBeUndefined();
    const a = {
      v: '1.0' as const,
      t: 1,
      mode: 'idle' as const,
      faults: 0,
      pose: [0, 0, 0] as [number, number, number],
    };
    expect(significantChange(undefined, a, 0.5)).toBe(true);
    expect(significantChange(a, { ...a, pose: [0.3, 0, 0] }, 0.5)).toBe(false);
    expect(significantChange(a, { ...a, pose: [0.6, 0, 0] }, 0.5)).toBe(true);
    expect(significantChange(a, { ...a, mode: 'estop' }, 0.5)).toBe(true);
  });

  it('forwards a decision request with its reason and outcome', () => {
    const m = {
      ...msg('kizuna_msgs/msg/DecisionRequest'),
      request_id: 'q-1',
      reason: 2,
      last_decision_id: 'd-9',
      last_state: DS.STATE_FAILED,
    } as MessageOf<'kizuna_msgs/msg/DecisionRequest'>;
    expect(requestPayload(m, 'r', 'farm', 5)).toEqual({
      v: CONTRACT_VERSION,
      robotId: 'r',
      requestId: 'q-1',
      at: 5,
      reason: 'outcome',
      profile: 'farm',
      lastDecisionId: 'd-9',
      lastState: 'failed',
    });
    expect(rosTimeToMs(msToRosTime(1795849200123))).toBe(1795849200123);
  });
});

describe('local pause events (issue 18)', () => {
  const SSx = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
  const safety = (paused: string): MessageOf<'kizuna_msgs/msg/SafetyState'> =>
    ({
      ...createMessage('kizuna_msgs/msg/SafetyState'),
      state: paused ? SSx.STATE_STOP : SSx.STATE_CLEAR,
      limiting_reason: paused ? SSx.REASON_LOCAL_PAUSE : SSx.REASON_NONE,
      local_pause: paused !== '',
      local_pause_source: paused,
    }) as MessageOf<'kizuna_msgs/msg/SafetyState'>;

  it('says where, through which input, which decision was held, and for how long; every event is contract-valid', () => {
    const pic = new RobotPicture();
    const w = createMessage('kizuna_msgs/msg/WorldSummary') as unknown as MessageOf<'kizuna_msgs/msg/WorldSummary'>;
    w.pose_valid = true;
    w.pose.position.x = 3.14159;
    w.pose.position.y = -2.5;
    w.pose.orientation.w = 1;
    pic.onWorld(w);
    const DSx = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
    pic.onDecisionStatus(
      {
        ...(createMessage('kizuna_msgs/msg/DecisionStatus') as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>),
        decision_id: 'd-7',
        state: DSx.STATE_ACTIVE,
        kind: 1,
        source: 1,
      },
      1000,
      'r',
    );
    const events = [];
    for (const [paused, at] of [
      ['', 1000],
      ['touch', 2000],
      ['touch', 2500],
      ['', 14_300],
      ['button', 20_000],
      ['', 21_000],
    ] as const) {
      const ev = pic.localPauseEvent(safety(paused), at, 'r');
      pic.onSafety(safety(paused), at, 'r');
      if (ev) events.push(ev);
    }
    expect(events).toEqual([
      {
        v: CONTRACT_VERSION,
        robotId: 'r',
        at: 2000,
        type: 'paused_by_person',
        count: 1,
        input: 'touch',
        decisionId: 'd-7',
        pose: [3.14, -2.5],
      },
      {
        v: CONTRACT_VERSION,
        robotId: 'r',
        at: 14_300,
        type: 'resumed_by_person',
        count: 1,
        pausedS: 12.3,
        input: 'touch',
        decisionId: 'd-7',
        pose: [3.14, -2.5],
      },
      expect.objectContaining({ type: 'paused_by_person', count: 2, input: 'button' }),
      expect.objectContaining({ type: 'resumed_by_person', count: 2, pausedS: 1 }),
    ]);
    for (const ev of events) expect(eventSchema.safeParse({ ...ev, seq: 1, epoch: 'e' }).error).toBeUndefined();
  });
});

describe('decision_progress events: only what state does not already say (progress_event_step)', () => {
  it('sends the first, every step of progress, and every new reason or message; withholds the rest', () => {
    const f = new ProgressFilter(0.25);
    const ev = (progress: number, reason?: string, decisionId = 'd-1'): Parameters<ProgressFilter['pass']>[0] => ({
      decisionId,
      progress,
      ...(reason ? { reason } : {}),
    });
    const sent = [0.1, 0.2, 0.3, 0.34, 0.36, 0.5, 0.6, 0.61, 0.62, 0.9, 1].filter((p) => f.pass(ev(p)));
    expect(sent).toEqual([0.1, 0.36, 0.61, 0.9]);
    // a hold says so at once, whatever the progress, and so does the resume
    expect(f.pass(ev(0.9, 'LOCAL_PAUSE'))).toBe(true);
    expect(f.pass(ev(0.9, 'LOCAL_PAUSE'))).toBe(false);
    expect(f.pass(ev(0.9, 'LOCAL_RESUME'))).toBe(true);
    // another decision's first report always goes
    expect(f.pass(ev(0.9, 'LOCAL_RESUME', 'd-2'))).toBe(true);
  });

  it('step 0 sends every report', () => {
    const f = new ProgressFilter(0);
    expect([0.1, 0.1, 0.1].map((p) => f.pass({ decisionId: 'd', progress: p }))).toEqual([true, true, true]);
  });
});
