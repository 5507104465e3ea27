/**
 * The abstract ROS graph suite: the same behaviour pinned on every implementation of RosGraph
 * (in-process here; rclnodejs when ROS_DISTRO is set). Waits poll with a deadline instead of
 * assuming timing, so the suite holds on a real middleware too.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { z } from 'zod';
import type { RosGraph, RosNode, IncompatibleQoSEvent } from '../../nodes/core/graph/types';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';
import { isKizunaError, type KizunaError } from '../../nodes/core/errors';

export interface GraphHarness {
  graph: RosGraph;
}

/** Polls `check` until it returns true or `timeoutMs` passes; resolves whether it became true. */
export async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return check();
}

/** Lets in-flight deliveries land (used before asserting that something did NOT arrive). */
export const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

let topicSeq = 0;
/** A topic name no other test uses, so tests never see each other's traffic. */
export const uniqueTopic = (base: string): string => `/t${process.pid}_${++topicSeq}/${base}`;

function scan(): MessageOf<'sensor_msgs/msg/LaserScan'> {
  const m = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
  m.header.frame_id = 'laser';
  m.angle_min = -1.5;
  m.angle_max = 1.5;
  m.angle_increment = 1.0;
  m.range_min = 0.1;
  m.range_max = 10;
  m.ranges = [1, 2, 3, 4];
  return m;
}

function thrown(fn: () => unknown): KizunaError {
  try {
    fn();
  } catch (e) {
    if (isKizunaError(e)) return e;
    throw e;
  }
  throw new Error('expected a KizunaError, nothing was thrown');
}

export function graphSuite(name: string, makeHarness: () => Promise<GraphHarness>): void {
  describe(`ROS graph behaviour (${name})`, () => {
    let h: GraphHarness;
    let node: RosNode;

    beforeEach(async () => {
      h = await makeHarness();
      node = h.graph.createNode(`suite_${++topicSeq}`);
    });

    afterEach(async () => {
      await h.graph.shutdown();
    });

    describe('topics', () => {
      it('delivers a published message to a subscription on the same topic', async () => {
        const topic = uniqueTopic('chatter');
        const got: string[] = [];
        node.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data));
        const pub = node.createPublisher('std_msgs/msg/String', topic);
        await waitFor(() => pub.subscriptionCount() === 1);
        pub.publish({ data: 'hello' });
        expect(await waitFor(() => got.length === 1)).toBe(true);
        expect(got).toEqual(['hello']);
      });

      it('never runs a callback inside publish(): delivery is asynchronous', async () => {
        const topic = uniqueTopic('async');
        let calls = 0;
        node.createSubscription('std_msgs/msg/String', topic, () => calls++);
        const pub = node.createPublisher('std_msgs/msg/String', topic);
        await waitFor(() => pub.subscriptionCount() === 1);
        pub.publish({ data: 'x' });
        expect(calls).toBe(0);
        expect(await waitFor(() => calls === 1)).toBe(true);
      });

      it("rejects { data: 1 } on std_msgs/msg/String with an error naming the field 'data'", () => {
        const pub = node.createPublisher('std_msgs/msg/String', uniqueTopic('bad'));
        const err = thrown(() => pub.publish({ data: 1 } as never));
        expect(err.code).toBe('KZ_ERR_MSG_INVALID');
        expect(err.message).toMatch(/field 'data': expected string, got number 1/);
        expect(err.message).toContain(pub.topic);
      });

      it('rejects a LaserScan with a misspelled field, naming it and the likely intended one', () => {
        const pub = node.createPublisher('sensor_msgs/msg/LaserScan', uniqueTopic('scan'), 'sensor_data');
        const { ranges, ...rest } = scan();
        const err = thrown(() => pub.publish({ ...rest, rangs: ranges } as never));
        expect(err.code).toBe('KZ_ERR_MSG_INVALID');
        expect(err.message).toMatch(/field 'rangs': unknown field .*did you mean 'ranges'/);
        expect(err.message).toMatch(/field 'ranges': missing field/);
      });

      it('rejects integer overflow, wrong fixed-array length and wrong nested types', () => {
        const odomPub = node.createPublisher('nav_msgs/msg/Odometry', uniqueTopic('odom'));
        const odom = createMessage('nav_msgs/msg/Odometry') as unknown as MessageOf<'nav_msgs/msg/Odometry'>;
        odom.pose.covariance = new Array(35).fill(0);
        expect(thrown(() => odomPub.publish(odom)).message).toMatch(
          /field 'pose.covariance': fixed-size array needs exactly 36 elements, got 35/,
        );
        const bat = createMessage(
          'sensor_msgs/msg/BatteryState',
        ) as unknown as MessageOf<'sensor_msgs/msg/BatteryState'>;
        bat.power_supply_status = 300;
        const batPub = node.createPublisher('sensor_msgs/msg/BatteryState', uniqueTopic('battery'));
        expect(thrown(() => batPub.publish(bat)).message).toMatch(
          /field 'power_supply_status': 300 is out of uint8 range/,
        );
        const s = scan();
        (s.header.stamp as { sec: unknown }).sec = 'now';
        const scanPub = node.createPublisher('sensor_msgs/msg/LaserScan', uniqueTopic('scan'));
        expect(thrown(() => scanPub.publish(s)).message).toMatch(/field 'header.stamp.sec': expected int32/);
      });

      it('does not connect a best-effort (sensor_data) publisher to a reliable subscription, and reports it on both sides', async () => {
        const topic = uniqueTopic('scan');
        const got: unknown[] = [];
        const events: IncompatibleQoSEvent[] = [];
        const sub = node.createSubscription('sensor_msgs/msg/LaserScan', topic, (m) => got.push(m), 'default');
        sub.onIncompatibleQoS((e) => events.push(e));
        const pub = node.createPublisher('sensor_msgs/msg/LaserScan', topic, 'sensor_data');
        pub.onIncompatibleQoS((e) => events.push(e));
        pub.publish(scan());
        expect(await waitFor(() => events.length >= 2)).toBe(true);
        expect(events.map((e) => e.side).sort()).toEqual(['publisher', 'subscription']);
        expect(events.every((e) => e.policy === 'reliability')).toBe(true);
        expect(pub.subscriptionCount()).toBe(0);
        await settle();
        expect(got).toHaveLength(0);
      });

      it('connects a reliable publisher to a best-effort subscription', async () => {
        const topic = uniqueTopic('scan');
        const got: Array<MessageOf<'sensor_msgs/msg/LaserScan'>> = [];
        node.createSubscription('sensor_msgs/msg/LaserScan', topic, (m) => got.push(m), 'sensor_data');
        const pub = node.createPublisher('sensor_msgs/msg/LaserScan', topic, 'default');
        await waitFor(() => pub.subscriptionCount() === 1);
        pub.publish(scan());
        expect(await waitFor(() => got.length === 1)).toBe(true);
        expect(Array.from(got[0]!.ranges)).toEqual([1, 2, 3, 4]);
      });

      it('gives a late transient_local subscription the last `depth` latched messages', async () => {
        const topic = uniqueTopic('latched');
        const qos = { durability: 'transient_local', depth: 2 } as const;
        const pub = node.createPublisher('std_msgs/msg/String', topic, qos);
        for (const d of ['a', 'b', 'c']) pub.publish({ data: d });
        await settle(50);
        const got: string[] = [];
        const late = h.graph.createNode(`late_${++topicSeq}`);
        late.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data), qos);
        expect(await waitFor(() => got.length === 2)).toBe(true);
        expect(got).toEqual(['b', 'c']);
      });

      it('gives a late volatile subscription nothing that was published before it existed', async () => {
        const topic = uniqueTopic('volatile');
        const pub = node.createPublisher('std_msgs/msg/String', topic, { durability: 'transient_local', depth: 2 });
        pub.publish({ data: 'old' });
        await settle(50);
        const got: string[] = [];
        node.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data), 'default');
        await waitFor(() => pub.subscriptionCount() === 1);
        await settle();
        expect(got).toEqual([]);
      });

      it('reports a transient_local subscription to a volatile publisher as incompatible durability', async () => {
        const topic = uniqueTopic('dur');
        const events: IncompatibleQoSEvent[] = [];
        const pub = node.createPublisher('std_msgs/msg/String', topic, 'default');
        pub.onIncompatibleQoS((e) => events.push(e));
        node.createSubscription('std_msgs/msg/String', topic, () => undefined, { durability: 'transient_local' });
        expect(await waitFor(() => events.length === 1)).toBe(true);
        expect(events[0]!.policy).toBe('durability');
      });
    });

    describe('names', () => {
      it('resolves relative, absolute and private (~) names under the node namespace, with remapping', () => {
        const n = h.graph.createNode('resolver', {
          namespace: '/robot7',
          remappings: [{ from: 'scan', to: 'front/scan' }],
        });
        expect(n.fullyQualifiedName).toBe('/robot7/resolver');
        expect(n.resolveName('odom')).toBe('/robot7/odom');
        expect(n.resolveName('/clock')).toBe('/clock');
        expect(n.resolveName('~/status')).toBe('/robot7/resolver/status');
        expect(n.resolveName('scan')).toBe('/robot7/front/scan');
        expect(n.createPublisher('std_msgs/msg/String', 'scan_text').topic).toBe('/robot7/scan_text');
      });

      it('refuses invalid node and topic names with a clear error', () => {
        expect(thrown(() => h.graph.createNode('9lives')).code).toBe('KZ_ERR_INVALID_NAME');
        expect(thrown(() => node.createPublisher('std_msgs/msg/String', 'bad name')).code).toBe('KZ_ERR_INVALID_NAME');
      });
    });

    describe('parameters', () => {
      const schema = z.object({
        stop_distance_m: z.number().min(0).max(5).default(0.5).describe('[m] distance at which the base stops'),
        robot_id: z.string().min(1).describe('fleet-unique robot id (required)'),
        rate_hz: z.number().int().positive().default(10).describe('[Hz] publish rate'),
      });

      it('applies defaults and overrides and returns typed values', () => {
        const n = h.graph.createNode('params_ok', { parameterOverrides: { robot_id: 'r1', rate_hz: 20 } });
        const p = n.declareParameters(schema);
        expect(p).toEqual({ stop_distance_m: 0.5, robot_id: 'r1', rate_hz: 20 });
        expect(n.getParameter('robot_id')).toBe('r1');
        expect(n.getParameter('use_sim_time')).toBe(false);
      });

      it('names node, key and reason for a bad or missing value', () => {
        const bad = h.graph.createNode('params_bad', { parameterOverrides: { stop_distance_m: 9, robot_id: 'r1' } });
        const e1 = thrown(() => bad.declareParameters(schema));
        expect(e1.code).toBe('KZ_ERR_PARAM_INVALID');
        expect(e1.message).toMatch(/params_bad.*'stop_distance_m'.*<=5.*got 9/);
        const missing = h.graph.createNode('params_missing');
        expect(thrown(() => missing.declareParameters(schema)).message).toMatch(
          /'robot_id': required parameter is not set/,
        );
      });
    });

    describe('timers', () => {
      it('fires a periodic timer repeatedly and stops when cancelled', async () => {
        let ticks = 0;
        const t = node.createTimer(0.02, () => ticks++);
        expect(await waitFor(() => ticks >= 3)).toBe(true);
        t.cancel();
        const at = ticks;
        await settle(100);
        expect(ticks).toBeLessThanOrEqual(at + 1);
        expect(t.isCanceled()).toBe(true);
      });
    });

    describe('services', () => {
      it('answers a call with the server response', async () => {
        const name = uniqueTopic('set_flag');
        node.createService('std_srvs/srv/SetBool', name, (req) => ({ success: req.data, message: `got ${req.data}` }));
        const client = node.createClient('std_srvs/srv/SetBool', name);
        expect(await client.waitForService(2)).toBe(true);
        await expect(client.call({ data: true })).resolves.toEqual({ success: true, message: 'got true' });
      });

      it('rejects with KZ_ERR_SERVICE_UNAVAILABLE when no server answers in time', async () => {
        const client = node.createClient('std_srvs/srv/Trigger', uniqueTopic('nobody'));
        await expect(client.call({}, { timeoutSec: 0.1 })).rejects.toMatchObject({
          code: 'KZ_ERR_SERVICE_UNAVAILABLE',
        });
      });
    });

    describe('actions', () => {
      it('runs a NavigateToPose goal with feedback to a succeeded result', async () => {
        const name = uniqueTopic('navigate_to_pose');
        node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
          execute: async (goal) => {
            const fb = createMessage(
              'nav2_msgs/action/NavigateToPose_Feedback',
            ) as unknown as MessageOf<'nav2_msgs/action/NavigateToPose_Feedback'>;
            fb.distance_remaining = 1.5;
            goal.publishFeedback(fb);
            return { status: 'succeeded', result: createMessage('nav2_msgs/action/NavigateToPose_Result') as never };
          },
        });
        const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
        expect(await client.waitForServer(2)).toBe(true);
        const feedback: number[] = [];
        const goal = createMessage(
          'nav2_msgs/action/NavigateToPose_Goal',
        ) as unknown as MessageOf<'nav2_msgs/action/NavigateToPose_Goal'>;
        goal.pose.pose.position.x = 3;
        const handle = await client.sendGoal(goal, (f) => feedback.push(f.distance_remaining));
        const outcome = await handle.result();
        expect(outcome.status).toBe('succeeded');
        expect(await waitFor(() => feedback.length === 1)).toBe(true);
        expect(feedback).toEqual([1.5]);
      });

      it('rejects a goal the server refuses with KZ_ERR_GOAL_REJECTED', async () => {
        const name = uniqueTopic('navigate_to_pose');
        node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
          onGoal: () => 'reject',
          execute: async () => ({
            status: 'aborted',
            result: createMessage('nav2_msgs/action/NavigateToPose_Result') as never,
          }),
        });
        const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
        await client.waitForServer(2);
        const goal = createMessage('nav2_msgs/action/NavigateToPose_Goal') as never;
        await expect(client.sendGoal(goal)).rejects.toMatchObject({ code: 'KZ_ERR_GOAL_REJECTED' });
      });

      it('aborts a goal whose result does not match its type, or that claims canceled without a cancel request', async () => {
        const bad = uniqueTopic('navigate_to_pose');
        const errors: KizunaError[] = [];
        node.on('error', (e) => errors.push(e));
        node.createActionServer('nav2_msgs/action/NavigateToPose', bad, {
          execute: async () => ({ status: 'succeeded', result: { error_code: 'oops' } as never }),
        });
        const liar = uniqueTopic('navigate_to_pose');
        node.createActionServer('nav2_msgs/action/NavigateToPose', liar, {
          execute: async () => ({
            status: 'canceled',
            result: createMessage('nav2_msgs/action/NavigateToPose_Result') as never,
          }),
        });
        const goal = createMessage('nav2_msgs/action/NavigateToPose_Goal') as never;
        for (const name of [bad, liar]) {
          const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
          expect(await client.waitForServer(2)).toBe(true);
          const outcome = await (await client.sendGoal(goal)).result();
          expect(outcome.status).toBe('aborted');
        }
        expect(errors.map((e) => e.code)).toEqual(['KZ_ERR_MSG_INVALID']);
        expect(errors[0]!.message).toMatch(/field 'error_code'/);
      });

      it('cancels an executing goal, after which its feedback no longer reaches the client', async () => {
        const name = uniqueTopic('navigate_to_pose');
        const fb = (d: number): MessageOf<'nav2_msgs/action/NavigateToPose_Feedback'> => {
          const m = createMessage(
            'nav2_msgs/action/NavigateToPose_Feedback',
          ) as unknown as MessageOf<'nav2_msgs/action/NavigateToPose_Feedback'>;
          m.distance_remaining = d;
          return m;
        };
        node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
          execute: async (g) => {
            g.publishFeedback(fb(2));
            await waitFor(() => g.isCancelRequested, 3000);
            g.publishFeedback(fb(1));
            return { status: 'canceled', result: createMessage('nav2_msgs/action/NavigateToPose_Result') as never };
          },
        });
        const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
        await client.waitForServer(2);
        const seen: number[] = [];
        const handle = await client.sendGoal(createMessage('nav2_msgs/action/NavigateToPose_Goal') as never, (f) =>
          seen.push(f.distance_remaining),
        );
        await waitFor(() => seen.length === 1);
        expect(await handle.cancel()).toBe(true);
        await expect(handle.result()).resolves.toMatchObject({ status: 'canceled' });
        await settle();
        expect(seen).toEqual([2]);
      });
    });

    describe('errors in callbacks', () => {
      it('reports a throwing subscription callback as a node error event instead of crashing', async () => {
        const topic = uniqueTopic('boom');
        const errors: KizunaError[] = [];
        node.on('error', (e) => errors.push(e));
        node.createSubscription('std_msgs/msg/String', topic, () => {
          throw new Error('kaboom');
        });
        const pub = node.createPublisher('std_msgs/msg/String', topic);
        await waitFor(() => pub.subscriptionCount() === 1);
        pub.publish({ data: 'x' });
        expect(await waitFor(() => errors.length === 1)).toBe(true);
        expect(errors[0]!.code).toBe('KZ_ERR_CALLBACK_FAILED');
        expect(errors[0]!.message).toContain('kaboom');
      });
    });

    describe('sim time', () => {
      it('follows /clock when use_sim_time is true', async () => {
        const simNode = h.graph.createNode(`sim_${++topicSeq}`, { parameterOverrides: { use_sim_time: true } });
        const clockPub = node.createPublisher('rosgraph_msgs/msg/Clock', '/clock', 'default');
        await waitFor(() => clockPub.subscriptionCount() >= 1);
        clockPub.publish({ clock: { sec: 42, nanosec: 500 } });
        expect(await waitFor(() => simNode.now().sec === 42)).toBe(true);
        expect(simNode.now()).toEqual({ sec: 42, nanosec: 500 });
      });
    });
  });
}
