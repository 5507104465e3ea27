/**
 * The abstract graph suite, part two: where a graph must behave like ROS 2 because a safety controller
 * depends on it (issue 6). Runs on every implementation (in-process here; rclnodejs when ROS_DISTRO is
 * set). Waits poll with a deadline; nothing here asserts how fast something is.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import type { DeadlineMissedEvent, RosNode, TimerInfo } from '../../nodes/core/graph/types';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';
import { isKizunaError, type KizunaError } from '../../nodes/core/errors';
import { settle, uniqueTopic, waitFor, type GraphHarness } from './graph-suite';

function thrown(fn: () => unknown): KizunaError {
  try {
    fn();
  } catch (e) {
    if (isKizunaError(e)) return e;
    throw e;
  }
  throw new Error('expected a KizunaError, nothing was thrown');
}

/** Burns `ms` of CPU: a callback that takes real time, as a busy node's would. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

const navGoal = (): MessageOf<'nav2_msgs/action/NavigateToPose_Goal'> =>
  createMessage('nav2_msgs/action/NavigateToPose_Goal') as unknown as MessageOf<'nav2_msgs/action/NavigateToPose_Goal'>;
const navResult = (): MessageOf<'nav2_msgs/action/NavigateToPose_Result'> =>
  createMessage(
    'nav2_msgs/action/NavigateToPose_Result',
  ) as unknown as MessageOf<'nav2_msgs/action/NavigateToPose_Result'>;

let seq = 0;

export function graphFidelitySuite(name: string, makeHarness: () => Promise<GraphHarness>): void {
  describe(`ROS graph fidelity (${name})`, () => {
    let h: GraphHarness;
    let node: RosNode;

    beforeEach(async () => {
      h = await makeHarness();
      node = h.graph.createNode(`fidelity_${process.pid}_${++seq}`);
    });

    afterEach(async () => {
      await h.graph.shutdown();
    });

    describe('1. fair executor', () => {
      it('interleaves a watchdog timer and an e-stop topic with a keep_all backlog instead of delivering it in one go', async () => {
        const burstTopic = uniqueTopic('burst');
        const estopTopic = uniqueTopic('estop');
        let burst = 0;
        let burstAtEstop = -1;
        let ticksDuringBurst = 0;
        const N = 1500;
        node.createSubscription(
          'std_msgs/msg/Int32',
          burstTopic,
          () => {
            burst++;
            busy(0.5); // 1500 × 0.5 ms: the backlog takes at least 0.75 s to drain
          },
          { history: 'keep_all', reliability: 'reliable' },
        );
        node.createSubscription('std_msgs/msg/Bool', estopTopic, () => {
          burstAtEstop = burst;
        });
        node.createTimer(0.01, () => {
          if (burst > 0 && burst < N) ticksDuringBurst++;
        });
        const burstPub = node.createPublisher('std_msgs/msg/Int32', burstTopic, {
          history: 'keep_all',
          reliability: 'reliable',
        });
        const estopPub = node.createPublisher('std_msgs/msg/Bool', estopTopic);
        expect(await waitFor(() => burstPub.subscriptionCount() === 1 && estopPub.subscriptionCount() === 1)).toBe(
          true,
        );
        for (let i = 0; i < N; i++) burstPub.publish({ data: i });
        estopPub.publish({ data: true });
        expect(await waitFor(() => burst === N, 15000)).toBe(true);
        // The e-stop overtook almost all of the backlog, and the 10 ms watchdog kept firing through it.
        expect(burstAtEstop).toBeGreaterThanOrEqual(0);
        expect(burstAtEstop).toBeLessThan(N / 2);
        expect(ticksDuringBurst).toBeGreaterThanOrEqual(5);
      });
    });

    describe('2. QoS policies are honoured or refused, never ignored', () => {
      it('refuses a misspelled QoS key, naming it and the key meant', () => {
        const err = thrown(() => node.createPublisher('std_msgs/msg/String', uniqueTopic('q'), { dept: 5 } as never));
        expect(err.code).toBe('KZ_ERR_QOS_INVALID');
        expect(err.message).toMatch(/unknown QoS key 'dept' \(did you mean 'depth'\?\)/);
      });

      it('refuses lifespan and liveliness with the reason, instead of accepting and ignoring them', () => {
        for (const key of ['lifespan', 'lifespanSec', 'liveliness', 'livelinessLeaseSec']) {
          const err = thrown(() =>
            node.createSubscription('std_msgs/msg/String', uniqueTopic('q'), () => undefined, { [key]: 1 } as never),
          );
          expect(err.code).toBe('KZ_ERR_QOS_INVALID');
          expect(err.message).toContain(`'${key}'`);
          expect(err.message).toMatch(/not supported/);
        }
        expect(thrown(() => node.createPublisher('std_msgs/msg/String', 'x', { deadlineSec: 0 })).code).toBe(
          'KZ_ERR_QOS_INVALID',
        );
      });

      it('resolves system_default per side as rmw does: reliable publisher, best_effort subscription, and they connect', async () => {
        const topic = uniqueTopic('sysdef');
        const got: string[] = [];
        const sub = node.createSubscription('std_msgs/msg/String', topic, (m) => got.push(m.data), 'system_default');
        const pub = node.createPublisher('std_msgs/msg/String', topic, 'system_default');
        expect(pub.qos).toMatchObject({ reliability: 'reliable', history: 'keep_last', depth: 1 });
        expect(sub.qos).toMatchObject({ reliability: 'best_effort', history: 'keep_last', depth: 1 });
        expect(await waitFor(() => pub.subscriptionCount() === 1)).toBe(true);
        pub.publish({ data: 'x' });
        expect(await waitFor(() => got.length === 1)).toBe(true);
      });

      it('reports each missed deadline on the subscription and the publisher, counting from the first message', async () => {
        const topic = uniqueTopic('deadline');
        const subEvents: DeadlineMissedEvent[] = [];
        const pubEvents: DeadlineMissedEvent[] = [];
        const sub = node.createSubscription('std_msgs/msg/String', topic, () => undefined, { deadlineSec: 0.05 });
        sub.onDeadlineMissed((e) => subEvents.push(e));
        const pub = node.createPublisher('std_msgs/msg/String', topic, { deadlineSec: 0.05 });
        pub.onDeadlineMissed((e) => pubEvents.push(e));
        expect(await waitFor(() => pub.subscriptionCount() === 1)).toBe(true);
        await settle(150);
        expect(subEvents).toEqual([]); // nothing arrived yet: no deadline is running
        pub.publish({ data: 'one' });
        expect(await waitFor(() => subEvents.length >= 2 && pubEvents.length >= 2, 3000)).toBe(true);
        const last = subEvents[subEvents.length - 1]!;
        expect(last).toMatchObject({ topic: sub.topic, side: 'subscription' });
        expect(last.totalCount).toBe(subEvents.reduce((n, e) => n + e.totalCountChange, 0));
        expect(pubEvents[0]).toMatchObject({ topic: pub.topic, side: 'publisher' });
      });
    });

    describe('3. services and actions end with their nodes', () => {
      it('a destroyed server answers nothing: calls to it reject with KZ_ERR_SERVICE_UNAVAILABLE', async () => {
        const name = uniqueTopic('srv');
        const server = h.graph.createNode(`server_${++seq}`);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        server.createService('std_srvs/srv/Trigger', name, async () => {
          await gate;
          return { success: true, message: 'late' };
        });
        const client = node.createClient('std_srvs/srv/Trigger', name);
        expect(await client.waitForService(2)).toBe(true);
        const pending = client.call({}, { timeoutSec: 1.5 });
        await settle(100);
        server.destroy();
        release();
        await expect(pending).rejects.toMatchObject({ code: 'KZ_ERR_SERVICE_UNAVAILABLE' });
        await expect(client.call({}, { timeoutSec: 0.3 })).rejects.toMatchObject({
          code: 'KZ_ERR_SERVICE_UNAVAILABLE',
        });
      });

      it('a destroyed client cannot call, and its pending call rejects with KZ_ERR_GRAPH_SHUTDOWN', async () => {
        const name = uniqueTopic('srv');
        node.createService('std_srvs/srv/Trigger', name, () => new Promise(() => undefined));
        const clientNode = h.graph.createNode(`client_${++seq}`);
        const client = clientNode.createClient('std_srvs/srv/Trigger', name);
        expect(await client.waitForService(2)).toBe(true);
        const pending = client.call({}, { timeoutSec: 3 });
        await settle(50);
        clientNode.destroy();
        await expect(pending).rejects.toMatchObject({ code: 'KZ_ERR_GRAPH_SHUTDOWN' });
        await expect(client.call({})).rejects.toMatchObject({ code: 'KZ_ERR_GRAPH_SHUTDOWN' });
        expect(client.isServiceReady()).toBe(false);
      });

      it('a goal of a destroyed action server never ends "succeeded": its result rejects', async () => {
        const name = uniqueTopic('navigate_to_pose');
        const server = h.graph.createNode(`nav_${++seq}`);
        let finish!: () => void;
        const gate = new Promise<void>((r) => (finish = r));
        server.createActionServer('nav2_msgs/action/NavigateToPose', name, {
          execute: async () => {
            await gate;
            return { status: 'succeeded', result: navResult() };
          },
        });
        const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
        expect(await client.waitForServer(2)).toBe(true);
        const handle = await client.sendGoal(navGoal());
        const outcome = handle.result();
        await settle(50);
        server.destroy();
        finish();
        await expect(outcome).rejects.toMatchObject({ code: 'KZ_ERR_SERVICE_UNAVAILABLE' });
      });

      it('a destroyed action client: result and cancel reject with KZ_ERR_GRAPH_SHUTDOWN', async () => {
        const name = uniqueTopic('navigate_to_pose');
        node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
          execute: () => new Promise(() => undefined),
        });
        const clientNode = h.graph.createNode(`navclient_${++seq}`);
        const client = clientNode.createActionClient('nav2_msgs/action/NavigateToPose', name);
        expect(await client.waitForServer(2)).toBe(true);
        const handle = await client.sendGoal(navGoal());
        const outcome = handle.result();
        clientNode.destroy();
        await expect(outcome).rejects.toMatchObject({ code: 'KZ_ERR_GRAPH_SHUTDOWN' });
        await expect(handle.cancel()).rejects.toMatchObject({ code: 'KZ_ERR_GRAPH_SHUTDOWN' });
        await expect(client.sendGoal(navGoal())).rejects.toMatchObject({ code: 'KZ_ERR_GRAPH_SHUTDOWN' });
      });

      it('shutdown() settles pending results instead of leaving them pending forever', async () => {
        const name = uniqueTopic('navigate_to_pose');
        node.createActionServer('nav2_msgs/action/NavigateToPose', name, {
          execute: () => new Promise(() => undefined),
        });
        const client = node.createActionClient('nav2_msgs/action/NavigateToPose', name);
        expect(await client.waitForServer(2)).toBe(true);
        const outcome = (await client.sendGoal(navGoal())).result();
        await h.graph.shutdown();
        const err = await outcome.then(
          () => undefined,
          (e: unknown) => e as KizunaError,
        );
        expect(err?.code).toMatch(/KZ_ERR_GRAPH_SHUTDOWN|KZ_ERR_SERVICE_UNAVAILABLE/);
      });
    });

    describe('4. a throwing service handler', () => {
      it('sends no response, as on a robot: the caller times out with KZ_ERR_SERVICE_UNAVAILABLE and the server node reports the throw', async () => {
        const name = uniqueTopic('throws');
        const server = h.graph.createNode(`thrower_${++seq}`);
        const errors: KizunaError[] = [];
        server.on('error', (e) => errors.push(e));
        server.createService('std_srvs/srv/Trigger', name, () => {
          throw new Error('handler broke');
        });
        const client = node.createClient('std_srvs/srv/Trigger', name);
        expect(await client.waitForService(2)).toBe(true);
        await expect(client.call({}, { timeoutSec: 0.4 })).rejects.toMatchObject({
          code: 'KZ_ERR_SERVICE_UNAVAILABLE',
          message: expect.stringMatching(/did not answer within 0.4 s/),
        });
        expect(errors.map((e) => e.code)).toEqual(['KZ_ERR_CALLBACK_FAILED']);
        expect(errors[0]!.message).toContain('handler broke');
      });
    });

    describe('5. durations', () => {
      it('refuses timer periods that are NaN, <= 0, round to 0 ns or overflow int64 nanoseconds', () => {
        for (const bad of [Number.NaN, 0, -1, Infinity, 1e-10, 1e12]) {
          const err = thrown(() => node.createTimer(bad, () => undefined));
          expect(err.code).toBe('KZ_ERR_CLOCK');
        }
      });

      it('waits 30 days for a 30-day timer instead of firing every millisecond', async () => {
        let fired = 0;
        const t = node.createTimer(30 * 24 * 3600, () => fired++);
        await settle(120);
        expect(fired).toBe(0);
        t.cancel();
      });

      it('rejects a NaN or negative timeout with KZ_ERR_CLOCK instead of waiting forever', async () => {
        const client = node.createClient('std_srvs/srv/Trigger', uniqueTopic('nobody'));
        await expect(client.waitForService(Number.NaN)).rejects.toMatchObject({ code: 'KZ_ERR_CLOCK' });
        await expect(client.call({}, { timeoutSec: Number.NaN })).rejects.toMatchObject({ code: 'KZ_ERR_CLOCK' });
        await expect(client.call({}, { timeoutSec: -1 })).rejects.toMatchObject({ code: 'KZ_ERR_CLOCK' });
        const action = node.createActionClient('nav2_msgs/action/NavigateToPose', uniqueTopic('nobody'));
        await expect(action.waitForServer(Number.NaN)).rejects.toMatchObject({ code: 'KZ_ERR_CLOCK' });
      });

      it('reports the ticks a late wall-clock timer missed instead of skipping them silently', async () => {
        const infos: TimerInfo[] = [];
        const t = node.createTimer(0.02, (info) => {
          infos.push(info);
          if (infos.length === 1) busy(130); // holds the process: the next call comes several periods late
        });
        expect(await waitFor(() => infos.length >= 2)).toBe(true);
        t.cancel();
        // The first call may itself be a tick late on a loaded machine; whatever it missed, it says so truly.
        for (const info of infos.slice(0, 2)) {
          expect(info.actualCallNs - info.expectedCallNs).toBeGreaterThanOrEqual(
            BigInt(info.missedTicks) * 20_000_000n,
          );
        }
        expect(infos[1]!.missedTicks).toBeGreaterThanOrEqual(3);
      });

      it('keeps the other timers running when one timer callback throws every time', async () => {
        const errors: KizunaError[] = [];
        node.on('error', (e) => errors.push(e));
        node.createTimer(0.01, () => {
          throw new Error('bad timer');
        });
        let good = 0;
        node.createTimer(0.01, () => good++);
        expect(await waitFor(() => good >= 5)).toBe(true);
        expect(errors.length).toBeGreaterThan(0);
        expect(errors.every((e) => e.code === 'KZ_ERR_CALLBACK_FAILED')).toBe(true);
      });
    });

    describe('6. messages as on the robot', () => {
      it('refuses bigint outside 64-bit fields and a number int64 beyond the safe-integer range', () => {
        const u8 = node.createPublisher('std_msgs/msg/UInt8', uniqueTopic('u8'));
        expect(thrown(() => u8.publish({ data: 5n as never })).message).toMatch(
          /field 'data': expected uint8 .*got bigint 5/,
        );
        const i64 = node.createPublisher('std_msgs/msg/Int64', uniqueTopic('i64'));
        expect(thrown(() => i64.publish({ data: (2 ** 53 + 2) as never })).message).toMatch(
          /field 'data': .*safe-integer range.*bigint/,
        );
        expect(() => i64.publish({ data: 2n ** 62n })).not.toThrow();
      });

      it('delivers float32 fields rounded as a C float stores them, and int64 as bigint', async () => {
        const topic = uniqueTopic('f32');
        const got: Array<MessageOf<'std_msgs/msg/Float32'>> = [];
        node.createSubscription('std_msgs/msg/Float32', topic, (m) => got.push(m));
        const pub = node.createPublisher('std_msgs/msg/Float32', topic);
        expect(await waitFor(() => pub.subscriptionCount() === 1)).toBe(true);
        pub.publish({ data: 0.1 });
        expect(await waitFor(() => got.length === 1)).toBe(true);
        expect(got[0]!.data).toBe(Math.fround(0.1));
      });

      it('reads a getter once: the value checked is the value delivered', async () => {
        const topic = uniqueTopic('getter');
        const got: number[] = [];
        node.createSubscription('std_msgs/msg/Int32', topic, (m) => got.push(m.data));
        const pub = node.createPublisher('std_msgs/msg/Int32', topic);
        expect(await waitFor(() => pub.subscriptionCount() === 1)).toBe(true);
        let reads = 0;
        const tricky = {
          get data(): number {
            reads++;
            return reads === 1 ? 7 : 2 ** 40; // a second read would be out of int32 range
          },
        };
        pub.publish(tricky);
        expect(await waitFor(() => got.length === 1)).toBe(true);
        expect(got).toEqual([7]);
        expect(reads).toBe(1);
      });

      it('turns a throwing getter or proxy into KZ_ERR_MSG_INVALID, never a raw TypeError', () => {
        const pub = node.createPublisher('std_msgs/msg/String', uniqueTopic('proxy'));
        const hostile = new Proxy(
          {},
          {
            ownKeys() {
              throw new TypeError('no keys for you');
            },
            get() {
              throw new TypeError('no values either');
            },
          },
        );
        const err = thrown(() => pub.publish(hostile as never));
        expect(err.code).toBe('KZ_ERR_MSG_INVALID');
        expect(err.message).toMatch(/no (keys|values)/);
      });
    });

    describe('7. callbacks never crash the process', () => {
      it('an async callback rejection with a throwing error listener is logged, not an unhandled rejection', async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (r: unknown): void => void unhandled.push(r);
        process.on('unhandledRejection', onUnhandled);
        try {
          const topic = uniqueTopic('async_boom');
          let listenerCalls = 0;
          node.on('error', () => {
            listenerCalls++;
            throw new Error('listener broke too');
          });
          node.createSubscription('std_msgs/msg/String', topic, async () => {
            throw new Error('async callback broke');
          });
          node.createSubscription('std_msgs/msg/String', topic, () => {
            throw new Error('sync callback broke');
          });
          const pub = node.createPublisher('std_msgs/msg/String', topic);
          expect(await waitFor(() => pub.subscriptionCount() === 2)).toBe(true);
          pub.publish({ data: 'x' });
          expect(await waitFor(() => listenerCalls >= 2)).toBe(true);
          await settle(100);
          expect(unhandled).toEqual([]);
        } finally {
          process.off('unhandledRejection', onUnhandled);
        }
      });
    });

    describe('8. names and timers as rcl has them', () => {
      it("enforces rmw's length limits on node and topic names", () => {
        expect(thrown(() => h.graph.createNode('n'.repeat(256))).code).toBe('KZ_ERR_INVALID_NAME');
        // Real rcl refuses a node whose fully qualified name exceeds 221 characters: its parameter service
        // `<fqn>/set_parameters_atomically` would pass rmw's 247-character topic limit (measured on Jazzy with
        // rclnodejs and rclpy alike). 220 characters in the root namespace is the longest every graph accepts.
        expect(() => h.graph.createNode(`n${seq}`.padEnd(220, 'x'))).not.toThrow();
        expect(thrown(() => h.graph.createNode(`m${seq}`.padEnd(221, 'x'))).message).toMatch(/rcl allows at most 221/);
        const long = `/${'t'.repeat(247)}`;
        expect(thrown(() => node.createPublisher('std_msgs/msg/String', long)).message).toMatch(/at most 247/);
      });

      it("refuses a namespace ending in '/', as rcl does", () => {
        expect(thrown(() => h.graph.createNode('ns_slash', { namespace: '/robot1/' })).code).toBe(
          'KZ_ERR_INVALID_NAME',
        );
      });

      it('refuses a malformed remap rule when the node is created, not on a later name lookup', () => {
        const err = thrown(() => h.graph.createNode('remapped', { remappings: [{ from: 'scan', to: 'bad name' }] }));
        expect(err.code).toBe('KZ_ERR_INVALID_NAME');
        expect(err.message).toMatch(/remap rule 'scan:=bad name'/);
      });

      it('Timer.reset() restarts the period and un-cancels, as in rclcpp and rclnodejs', async () => {
        const infos: TimerInfo[] = [];
        const t = node.createTimer(0.4, (info) => infos.push(info));
        for (let i = 0; i < 8; i++) {
          await settle(50);
          t.reset(); // always reset long before the 400 ms period ends: never fires
        }
        expect(infos).toEqual([]);
        t.cancel();
        expect(t.isCanceled()).toBe(true);
        t.reset();
        expect(t.isCanceled()).toBe(false);
        expect(await waitFor(() => infos.length >= 1)).toBe(true);
        expect(typeof infos[0]!.expectedCallNs).toBe('bigint');
        expect(infos[0]!.missedTicks).toBeGreaterThanOrEqual(0);
        t.cancel();
      });
    });
  });
}
