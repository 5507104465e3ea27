/**
 * The executive driving the kinematic robot through the safety gate, on the in-process graph with a
 * manual clock: decisions in, DecisionStatus / DecisionRequest / fallback decisions out.
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import type { MessageOf } from '../../nodes/core/interfaces';
import { encodeTaskArgs } from '../../nodes/core/profiles';
import { TOPICS } from '../../nodes/core/topics';
import { Stack } from '../helpers/stack';

const K = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const ST = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const RQ = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionRequest'];
const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const CONTROL_QOS = { reliability: 'reliable', durability: 'volatile', depth: 1 } as const;

/** Probes on the real topics: motion starts and the executive's commands out, SafetyState in, e-stop reset. */
function probe(s: Stack) {
  const starts: number[] = [];
  const nav: Array<{ v: number; w: number; at: number }> = [];
  const safety: Array<MessageOf<'kizuna_msgs/msg/SafetyState'>> = [];
  s.cloud.createSubscription('std_msgs/msg/Empty', TOPICS.motionStart, () => starts.push(s.now), CONTROL_QOS);
  s.cloud.createSubscription(
    'geometry_msgs/msg/Twist',
    TOPICS.cmdVelNav,
    (m) => nav.push({ v: m.linear.x, w: m.angular.z, at: s.now }),
    CONTROL_QOS,
  );
  s.cloud.createSubscription('kizuna_msgs/msg/SafetyState', TOPICS.safetyState, (m) => safety.push(m));
  const resetPub = s.cloud.createPublisher('std_msgs/msg/Empty', TOPICS.estopReset, CONTROL_QOS);
  return {
    starts,
    nav,
    safety,
    press: () => {
      s.world.publishEstop = false;
      s.world.setEstop(true);
    },
    release: () => {
      s.world.setEstop(false);
      s.world.publishEstop = true;
    },
    reset: () => resetPub.publish({}),
    latched: () => {
      const m = safety[safety.length - 1];
      return m !== undefined && (m.state === SS.STATE_ESTOP || m.estop_latched);
    },
  };
}

describe('executive through the safety gate (in-process graph, kinematic world)', () => {
  let s: Stack;
  afterEach(async () => s.shutdown());

  it('asks for a decision while idle, drives a navigate_to decision to success, then asks for the next', async () => {
    s = new Stack();
    await s.advance(1);
    expect(s.requests.filter((r) => r.reason === RQ.REASON_IDLE).length).toBe(1);
    await s.advance(5);
    expect(s.requests.filter((r) => r.reason === RQ.REASON_IDLE).length).toBe(2); // every request_period_s
    const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(3, 1, Math.PI / 2) });
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_SUCCEEDED, 30)).toBe(true);
    expect(s.statesOf(d.decision_id).slice(0, 2)).toEqual([ST.STATE_ACCEPTED, ST.STATE_ACTIVE]);
    expect(Math.hypot(s.world.pose.x - 3, s.world.pose.y - 1)).toBeLessThan(0.1);
    expect(Math.abs(s.world.pose.yaw - Math.PI / 2)).toBeLessThan(0.16);
    const progress = s.statuses.filter((x) => x.decision_id === d.decision_id && x.state === ST.STATE_ACTIVE);
    expect(progress.some((x) => x.progress > 0.2 && x.progress < 1)).toBe(true);
    await s.advance(0.5);
    expect(s.requests.some((r) => r.reason === RQ.REASON_OUTCOME && r.last_decision_id === d.decision_id)).toBe(true);
    expect(s.world.lastCmd!.linear.x).toBe(0);
  });

  it('lets a higher-priority stop preempt a running navigation, and rejects a lower-priority one', async () => {
    s = new Stack();
    await s.advance(1);
    const nav = s.decide({ kind: K.KIND_NAVIGATE_TO, priority: 50, target: Stack.target(8, 0) });
    await s.advance(3);
    expect(s.world.lastCmd!.linear.x).toBeGreaterThan(0.3);
    const low = s.decide({ kind: K.KIND_STOP, priority: 10 });
    await s.advance(0.3);
    expect(s.lastStatusOf(low.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'PRIORITY' });
    expect(s.lastStatusOf(nav.decision_id)!.state).toBe(ST.STATE_ACTIVE);
    const stop = s.decide({ kind: K.KIND_STOP, priority: 60 });
    await s.advance(0.3);
    expect(s.lastStatusOf(nav.decision_id)).toMatchObject({ state: ST.STATE_CANCELED, reason_code: 'STOP' });
    expect(s.lastStatusOf(stop.decision_id)!.state).toBe(ST.STATE_SUCCEEDED);
    await s.advance(1.0);
    const x = s.world.pose.x;
    await s.advance(2);
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    expect(s.world.lastCmd!.linear.x).toBe(0);
  });

  it('preempts a lower-priority navigation with a higher-priority one (PREEMPTED, preempted_by)', async () => {
    s = new Stack();
    await s.advance(1);
    const a = s.decide({ kind: K.KIND_NAVIGATE_TO, priority: 10, target: Stack.target(5, 0) });
    await s.advance(1);
    const b = s.decide({ kind: K.KIND_NAVIGATE_TO, priority: 20, target: Stack.target(0, 2) });
    await s.advance(0.3);
    expect(s.lastStatusOf(a.decision_id)).toMatchObject({ state: ST.STATE_PREEMPTED, preempted_by: b.decision_id });
    expect(await s.until(() => s.lastStatusOf(b.decision_id)?.state === ST.STATE_SUCCEEDED, 30)).toBe(true);
  });

  it('waits behind an obstacle the gate stops for, and reaches the goal once it is gone', async () => {
    // (giving way, which would step round it, is off: this is about the gate holding the robot)
    s = new Stack({ executive: { stall_timeout_s: 20, yield_distance_m: 0 } });
    const states: number[] = [];
    s.cloud.createSubscription('kizuna_msgs/msg/SafetyState', 'kizuna/safety_state', (m) => states.push(m.state));
    await s.advance(1);
    const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(5, 0) });
    await s.advance(2);
    const box = { x: s.world.pose.x + 0.8, y: 0, r: 0.2 }; // someone steps in front of the robot
    s.world.circles.push(box);
    await s.advance(3);
    const x = s.world.pose.x;
    await s.advance(2);
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    expect(box.x - box.r - (x + 0.3)).toBeGreaterThan(0); // never touched it
    expect(states).toContain(MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'].STATE_STOP);
    expect(s.lastStatusOf(d.decision_id)!.state).toBe(ST.STATE_ACTIVE);
    s.world.circles.length = 0;
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_SUCCEEDED, 20)).toBe(true);
  });

  it('stops cleanly when a decision expires while it runs, and rejects one that arrives expired', async () => {
    s = new Stack();
    await s.advance(1);
    const sec = Math.floor(s.now) + 3;
    const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(20, 0), expires_at: { sec, nanosec: 0 } });
    await s.advance(2);
    expect(s.world.lastCmd!.linear.x).toBeGreaterThan(0);
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_EXPIRED, 3)).toBe(true);
    await s.advance(1);
    expect(s.world.lastCmd!.linear.x).toBe(0);
    const x = s.world.pose.x;
    await s.advance(1);
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    const late = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(1, 0), expires_at: { sec: 1, nanosec: 0 } });
    await s.advance(0.2);
    expect(s.lastStatusOf(late.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'EXPIRED' });
  });

  it('rejects a goal outside the geofence with a reason, and a target in another frame', async () => {
    s = new Stack({ executive: { geofence: [-1, -1, 10, -1, 10, 5, -1, 5] } });
    await s.advance(1);
    const out = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(12, 0) });
    const frame = s.decide({
      kind: K.KIND_NAVIGATE_TO,
      target: { ...Stack.target(1, 0), header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'odom' } },
    });
    const task = s.decide({
      kind: K.KIND_TASK,
      task_name: 'deliver_package',
      task_args: encodeTaskArgs({ pickup: { x: 1, y: 1, yaw: 0 }, dropoff: { x: 3, y: 9, yaw: 0 }, package_id: 'p1' }),
    });
    await s.advance(0.3);
    expect(s.lastStatusOf(out.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'GEOFENCE' });
    expect(s.lastStatusOf(out.decision_id)!.message).toMatch(/\(12\.00, 0\.00\) lies outside the geofence/);
    expect(s.lastStatusOf(frame.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'FRAME' });
    expect(s.lastStatusOf(task.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'GEOFENCE' });
    expect(s.world.lastCmd!.linear.x).toBe(0);
  });

  it('caps set_speed_limit at the profile maximum; the gate never lets the robot exceed it', async () => {
    s = new Stack({ executive: { max_linear_speed_mps: 0.5 }, gate: { max_linear_speed_mps: 0.5 } });
    await s.advance(1);
    const lim = s.decide({ kind: K.KIND_SET_SPEED_LIMIT, speed_limit: 2.0 });
    await s.advance(0.3);
    expect(s.lastStatusOf(lim.decision_id)).toMatchObject({ state: ST.STATE_SUCCEEDED, reason_code: 'CAPPED' });
    expect(s.speedLimits[s.speedLimits.length - 1]).toBeCloseTo(0.5, 6);
    const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(6, 0) });
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_SUCCEEDED, 40)).toBe(true);
    expect(s.world.maxSpeedSeen).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(s.world.maxSpeedSeen).toBeGreaterThan(0.45);
  });

  it('runs deliver_package as go to pickup, wait, go to dropoff, wait', async () => {
    s = new Stack();
    await s.advance(1);
    const d = s.decide({
      kind: K.KIND_TASK,
      task_name: 'deliver_package',
      task_args: encodeTaskArgs({
        pickup: { x: 2, y: 0, yaw: 0 },
        dropoff: { x: 2, y: 2, yaw: 0 },
        package_id: 'pkg-7',
      }),
    });
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_SUCCEEDED, 60)).toBe(true);
    const messages = s.statuses.filter((x) => x.decision_id === d.decision_id).map((x) => x.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'step 1/4: go to pickup',
        'step 2/4: load package',
        'step 3/4: go to dropoff',
        'step 4/4: hand over package',
      ]),
    );
    expect(Math.hypot(s.world.pose.x - 2, s.world.pose.y - 2)).toBeLessThan(0.1);
    const bad = s.decide({ kind: K.KIND_TASK, task_name: 'water_row', task_args: [] });
    const args = s.decide({
      kind: K.KIND_TASK,
      task_name: 'deliver_package',
      task_args: [{ key: 'pickup', value: '1,x,0' }],
    });
    await s.advance(0.3);
    expect(s.lastStatusOf(bad.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'UNKNOWN_TASK' });
    expect(s.lastStatusOf(args.decision_id)).toMatchObject({ state: ST.STATE_REJECTED, reason_code: 'TASK_ARGS' });
  });

  it('holds and resumes: HOLD pauses the running navigation, RESUME continues it to success', async () => {
    s = new Stack();
    await s.advance(1);
    const nav = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(4, 0) });
    await s.advance(2);
    const hold = s.decide({ kind: K.KIND_HOLD });
    await s.advance(1.5);
    const x = s.world.pose.x;
    await s.advance(1);
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    expect(s.lastStatusOf(hold.decision_id)!.state).toBe(ST.STATE_ACTIVE);
    const resume = s.decide({ kind: K.KIND_RESUME });
    expect(await s.until(() => s.lastStatusOf(nav.decision_id)?.state === ST.STATE_SUCCEEDED, 30)).toBe(true);
    expect(s.lastStatusOf(hold.decision_id)!.state).toBe(ST.STATE_SUCCEEDED);
    expect(s.lastStatusOf(resume.decision_id)!.state).toBe(ST.STATE_SUCCEEDED);
  });

  it('runs the hold fallback when the cloud is unreachable past the timeout, and reports it when the link returns', async () => {
    s = new Stack({ linkUp: true, executive: { cloud_timeout_s: 3, fallback_policy: 'hold' } });
    await s.advance(1.5);
    const nav = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(30, 0) });
    await s.advance(1);
    s.linkUp = false;
    await s.advance(2.5);
    expect(s.decisions.filter((d) => d.source === K.SOURCE_LOCAL_FALLBACK)).toEqual([]);
    expect(await s.until(() => s.decisions.some((d) => d.source === K.SOURCE_LOCAL_FALLBACK), 3)).toBe(true);
    const fb = s.decisions.find((d) => d.source === K.SOURCE_LOCAL_FALLBACK)!;
    expect(fb.kind).toBe(K.KIND_HOLD);
    expect(s.lastStatusOf(fb.decision_id)).toMatchObject({ state: ST.STATE_ACTIVE, source: K.SOURCE_LOCAL_FALLBACK });
    await s.advance(1.5);
    const x = s.world.pose.x;
    await s.advance(2);
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    expect(s.lastStatusOf(nav.decision_id)!.state).toBe(ST.STATE_ACTIVE); // paused, not lost
    const before = s.statuses.length;
    s.linkUp = true;
    expect(await s.until(() => s.requests.some((r) => r.reason === RQ.REASON_NODE_ASKED), 2)).toBe(true);
    const report = s.requests.find((r) => r.reason === RQ.REASON_NODE_ASKED)!;
    expect(report.detail).toMatch(
      /local fallback 'hold' ran from .* \(cloud link down for more than 3 s\); decisions: fallback-/,
    );
    expect(report.detail).toContain(fb.decision_id);
    expect(
      s.statuses.slice(before).some((x) => x.decision_id === fb.decision_id && /link returned/.test(x.message)),
    ).toBe(true);
    // the cloud takes over again: an ordinary decision preempts the fallback hold
    const next = s.decide({ kind: K.KIND_NAVIGATE_TO, priority: 1, target: Stack.target(x, 1) });
    await s.advance(0.3);
    expect(s.lastStatusOf(fb.decision_id)!.state).toBe(ST.STATE_PREEMPTED);
    expect(s.lastStatusOf(next.decision_id)!.state).toBe(ST.STATE_ACTIVE);
  });

  it('lets the running task finish before holding (finish_then_hold policy)', async () => {
    s = new Stack({ executive: { cloud_timeout_s: 2, fallback_policy: 'finish_then_hold' } });
    await s.advance(1.5);
    const d = s.decide({
      kind: K.KIND_TASK,
      task_name: 'deliver_package',
      task_args: encodeTaskArgs({ pickup: { x: 3, y: 0, yaw: 0 }, dropoff: { x: 3, y: 3, yaw: 0 }, package_id: 'pk' }),
    });
    await s.advance(0.5);
    s.linkUp = false;
    await s.advance(4);
    // the link is gone past the timeout, but the delivery goes on and no fallback decision exists yet
    expect(s.decisions.filter((x) => x.source === K.SOURCE_LOCAL_FALLBACK)).toEqual([]);
    expect(s.lastStatusOf(d.decision_id)!.state).toBe(ST.STATE_ACTIVE);
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_SUCCEEDED, 60)).toBe(true);
    await s.advance(0.3);
    const fb = s.decisions.filter((x) => x.source === K.SOURCE_LOCAL_FALLBACK);
    expect(fb.map((x) => x.kind)).toEqual([K.KIND_HOLD]);
    expect(s.lastStatusOf(fb[0]!.decision_id)!.state).toBe(ST.STATE_ACTIVE);
  });

  it('accompanies a person at walking pace, waits when they fall behind, and fails when they are lost', async () => {
    s = new Stack({
      executive: { profile: 'care', accompany_speed_mps: 0.4, accompany_max_gap_m: 2, accompany_lost_timeout_s: 3 },
    });
    const person = { x: -1, y: 0 };
    s.world.people.push(person);
    let walking = true;
    s.cloud.createTimer(0.1, () => {
      if (walking) person.x = s.world.pose.x - 1; // the person keeps 1 m behind the robot
    });
    await s.advance(1);
    const d = s.decide({
      kind: K.KIND_TASK,
      task_name: 'accompany',
      task_args: encodeTaskArgs({ person_id: 'resident-12', destination: { x: 6, y: 0, yaw: 0 } }),
    });
    await s.advance(4);
    expect(s.world.maxSpeedSeen).toBeLessThanOrEqual(0.4 + 1e-9);
    expect(s.world.pose.x).toBeGreaterThan(1);
    walking = false; // the person stops; the robot goes on until the gap exceeds 2 m, then waits
    await s.advance(4);
    const x = s.world.pose.x;
    expect(x - person.x).toBeLessThan(2.6);
    await s.advance(1);
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    expect(s.lastStatusOf(d.decision_id)!.state).toBe(ST.STATE_ACTIVE);
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_FAILED, 5)).toBe(true);
    expect(s.lastStatusOf(d.decision_id)!.reason_code).toBe('PERSON_LOST');
  });

  it('returns to the dock on low battery when the cloud is unreachable (return_to_dock policy)', async () => {
    s = new Stack({
      linkUp: false,
      world: { pose: { x: 2, y: 1, yaw: 0 }, battery: { start: 0.15 }, dock: { x: 0, y: 0, yaw: Math.PI } },
      executive: {
        cloud_timeout_s: 2,
        fallback_policy: 'return_to_dock',
        dock_pose: [0, 0, Math.PI],
        low_battery_fraction: 0.25,
      },
    });
    expect(await s.until(() => s.decisions.some((d) => d.kind === K.KIND_DOCK), 5)).toBe(true);
    const dock = s.decisions.find((d) => d.kind === K.KIND_DOCK)!;
    expect(dock.source).toBe(K.SOURCE_LOCAL_FALLBACK);
    expect(await s.until(() => s.lastStatusOf(dock.decision_id)?.state === ST.STATE_SUCCEEDED, 40)).toBe(true);
    expect(s.world.charging).toBe(true);
  });

  it('falls back after decisions keep failing, and reports it at once while the link is up', async () => {
    s = new Stack({ executive: { max_consecutive_failures: 2, stall_timeout_s: 1.5 } });
    s.world.walls.push({ x1: 1.2, y1: -3, x2: 1.2, y2: 3 });
    await s.advance(1);
    for (let i = 0; i < 2; i++) {
      const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(4, 0) });
      expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_FAILED, 20)).toBe(true);
      expect(s.lastStatusOf(d.decision_id)!.reason_code).toBe('STALLED');
    }
    await s.advance(0.3);
    expect(s.decisions.some((d) => d.source === K.SOURCE_LOCAL_FALLBACK && d.kind === K.KIND_HOLD)).toBe(true);
    const report = s.requests.find((r) => r.reason === RQ.REASON_NODE_ASKED);
    expect(report?.detail).toMatch(/2 decisions failed in a row/);
  });

  it('with navigation_backend nav2, sends a NavigateToPose goal, succeeds with it, and cancels it on STOP', async () => {
    s = new Stack({ executive: { navigation_backend: 'nav2' } });
    const server = s.graph.createNode('nav2_double');
    const goals: Array<{ x: number; y: number }> = [];
    let canceled = 0;
    const pending: Array<() => void> = [];
    server.createActionServer('nav2_msgs/action/NavigateToPose', 'navigate_to_pose', {
      onCancel: () => {
        canceled++;
        return 'accept';
      },
      // A stand-in for Nav2: reports feedback, then succeeds 1 s later unless canceled.
      execute: (h) =>
        new Promise((resolve) => {
          goals.push({ x: h.goal.pose.pose.position.x, y: h.goal.pose.pose.position.y });
          h.publishFeedback({
            current_pose: h.goal.pose,
            navigation_time: { sec: 0, nanosec: 0 },
            estimated_time_remaining: { sec: 1, nanosec: 0 },
            number_of_recoveries: 0,
            distance_remaining: 1.0,
          });
          let left = 10;
          const t = server.createTimer(0.1, () => {
            if (h.isCancelRequested) {
              t.cancel();
              resolve({ status: 'canceled', result: { error_code: 0, error_msg: '' } });
            } else if (--left === 0) {
              t.cancel();
              resolve({ status: 'succeeded', result: { error_code: 0, error_msg: '' } });
            }
          });
          pending.push(() => t.cancel());
        }),
    });
    await s.advance(1);
    const a = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(2, 3) });
    expect(await s.until(() => s.lastStatusOf(a.decision_id)?.state === ST.STATE_SUCCEEDED, 5)).toBe(true);
    expect(goals).toEqual([{ x: 2, y: 3 }]);
    const b = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(4, 0) });
    await s.advance(0.3);
    const stop = s.decide({ kind: K.KIND_STOP, priority: 50 });
    await s.advance(0.5);
    expect(canceled).toBe(1);
    expect(s.lastStatusOf(b.decision_id)!.state).toBe(ST.STATE_CANCELED);
    expect(s.lastStatusOf(stop.decision_id)!.state).toBe(ST.STATE_SUCCEEDED);
    pending.forEach((f) => f());
  });
  it('abandons its trip on an e-stop, stays put after the reset, and moves again only for a new decision', async () => {
    s = new Stack();
    const pr = probe(s);
    await s.advance(1);
    const trip = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(8, 0) });
    await s.advance(2);
    expect(s.world.lastCmd!.linear.x).toBeGreaterThan(0.3);
    pr.press();
    await s.advance(0.5);
    expect(s.lastStatusOf(trip.decision_id)).toMatchObject({ state: ST.STATE_FAILED, reason_code: 'ESTOP' });
    expect(s.lastStatusOf(trip.decision_id)!.message).toMatch(/abandoned: emergency stop/);
    expect(s.requests.some((r) => r.reason === RQ.REASON_OUTCOME && r.last_decision_id === trip.decision_id)).toBe(
      true,
    );
    pr.release();
    await s.advance(0.5);
    pr.reset();
    await s.advance(0.5);
    const x = s.world.pose.x;
    const since = s.now;
    await s.advance(4);
    // nobody asked it to move: it does not, and it sends no start of its own
    expect(s.world.pose.x).toBeCloseTo(x, 6);
    expect(pr.nav.filter((c) => c.at >= since).every((c) => c.v === 0 && c.w === 0)).toBe(true);
    expect(pr.starts).toEqual([]);
    expect(s.lastStatusOf(trip.decision_id)!.state).toBe(ST.STATE_FAILED);
    // a new decision from the cloud is the deliberate start: one motion start while the gate waits for it
    const latched = pr.latched();
    const next = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(x + 2, 0) });
    expect(await s.until(() => s.lastStatusOf(next.decision_id)?.state === ST.STATE_SUCCEEDED, 20)).toBe(true);
    expect(pr.starts.length).toBe(latched ? 1 : 0);
    expect(s.world.pose.x).toBeGreaterThan(x + 1.8);
  });

  it('sends one start for a decision while the e-stop is still pressed, fails it ESTOP when the gate keeps its latch, and the reset does not start it', async () => {
    s = new Stack({ executive: { motion_start_timeout_s: 1.5 } });
    const pr = probe(s);
    await s.advance(1);
    pr.press();
    await s.advance(0.5);
    const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(5, 0) });
    await s.advance(0.3);
    expect(pr.starts.length).toBe(1);
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_FAILED, 3)).toBe(true);
    expect(s.lastStatusOf(d.decision_id)!.reason_code).toBe('ESTOP');
    pr.release();
    await s.advance(0.5);
    pr.reset();
    await s.advance(3);
    expect(s.world.pose.x).toBeCloseTo(0, 6);
    expect(pr.starts.length).toBe(1);
  });

  it('backs off from an obstacle that stays in its stop zone, retries, then reports the decision BLOCKED', async () => {
    s = new Stack({
      executive: {
        blocked_timeout_s: 2,
        backoff_s: 1,
        max_blocked_retries: 2,
        stall_timeout_s: 30,
        // giving way and arc turns, which try other ways round first, are off: this is the blocked-step rule
        yield_distance_m: 0,
        arc_turn_radius_m: 0,
      },
    });
    const pr = probe(s);
    await s.advance(1);
    const d = s.decide({ kind: K.KIND_NAVIGATE_TO, target: Stack.target(6, 0) });
    await s.advance(1.5);
    const box = { x: s.world.pose.x + 0.8, y: 0.1, r: 0.2 };
    s.world.circles.push(box);
    expect(await s.until(() => s.lastStatusOf(d.decision_id)?.state === ST.STATE_FAILED, 20)).toBe(true);
    const end = s.lastStatusOf(d.decision_id)!;
    expect(end.reason_code).toBe('BLOCKED');
    expect(end.message).toMatch(/blocked by an obstacle .* after 2 back-offs; needs a new plan/);
    expect(s.statuses.filter((x) => /retry after back-off/.test(x.message)).length).toBe(2);
    // the back-off went to the gate as a slow reverse (the obstacle is ahead), in two bursts
    const reverse = pr.nav.filter((c) => c.v < 0);
    expect(reverse.length).toBeGreaterThan(0);
    expect(reverse.every((c) => c.v === -0.1 && c.w === 0)).toBe(true);
    const bursts = reverse.filter((c, i) => i === 0 || c.at - reverse[i - 1]!.at > 0.5).length;
    expect(bursts).toBe(2);
    const stop = pr.safety.find((m) => m.state === SS.STATE_STOP && m.limiting_reason === SS.REASON_OBSTACLE);
    expect(Math.abs(stop!.nearest_obstacle_bearing)).toBeLessThan(0.5);
    expect(box.x - box.r - (s.world.pose.x + 0.3)).toBeGreaterThan(0); // never touched it
    expect(s.requests.some((r) => r.reason === RQ.REASON_OUTCOME && r.last_decision_id === d.decision_id)).toBe(true);
    const after = s.now;
    await s.advance(2);
    expect(pr.nav.filter((c) => c.at > after).every((c) => c.v === 0 && c.w === 0)).toBe(true);
  });
});
