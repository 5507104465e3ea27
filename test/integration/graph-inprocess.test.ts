import { describe, it, expect } from '@jest/globals';
import { graphSuite, waitFor } from './graph-suite';
import { graphFidelitySuite } from './graph-suite-fidelity';
import { graphLifecycleSuite } from './graph-suite-lifecycle';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { createLogger } from '../../nodes/core/logging';
import { Writable } from 'node:stream';

graphSuite('in-process', async () => ({ graph: new InProcessGraph() }));
graphFidelitySuite('in-process', async () => ({ graph: new InProcessGraph() }));
graphLifecycleSuite('in-process', async () => ({ graph: new InProcessGraph() }));

/** A logger that keeps its JSON lines in memory so tests can read what was reported. */
function memoryLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ json: true, stream, level: 'debug' }), lines };
}

describe('in-process graph specifics', () => {
  it('drops the oldest messages beyond a keep_last depth when publishes outrun the subscriber', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('depth');
    const got: string[] = [];
    node.createSubscription('std_msgs/msg/String', 'burst', (m) => got.push(m.data), { depth: 3 });
    const pub = node.createPublisher('std_msgs/msg/String', 'burst');
    for (let i = 0; i < 10; i++) pub.publish({ data: String(i) });
    await graph.flush();
    expect(got).toEqual(['7', '8', '9']);
    await graph.shutdown();
  });

  it('fires timers on a manual clock exactly when time is advanced past each period', async () => {
    const graph = new InProcessGraph({ clock: 'manual' });
    const node = graph.createNode('timed');
    const at: number[] = [];
    node.createTimer(0.1, () => at.push(Number(node.clock.nowNs()) / 1e6));
    await graph.advance(0.05);
    expect(at).toEqual([]);
    await graph.advance(0.05);
    expect(at).toEqual([100]);
    // A jump over several periods fires once and skips the missed ones, as rcl_timer_call does.
    await graph.advance(0.25);
    expect(at).toEqual([100, 350]);
    await graph.advance(0.05);
    expect(at).toEqual([100, 350, 400]);
    await graph.shutdown();
  });

  it('re-arms a sim-time timer when /clock jumps backwards, instead of freezing', async () => {
    const graph = new InProcessGraph();
    const sim = graph.createNode('rewind', { parameterOverrides: { use_sim_time: true } });
    const clock = graph.createNode('bag').createPublisher('rosgraph_msgs/msg/Clock', '/clock');
    let ticks = 0;
    sim.createTimer(1.0, () => ticks++);
    const at = async (sec: number): Promise<void> => {
      clock.publish({ clock: { sec, nanosec: 0 } });
      await graph.flush();
      await graph.flush();
    };
    await at(100); // a jump from 0: fires, skips ahead to 100, is ready again: two calls, as in rcl
    expect(ticks).toBe(2);
    await at(5); // the bag looped
    expect(sim.now().sec).toBe(5);
    expect(ticks).toBe(2);
    await at(6);
    expect(ticks).toBe(3);
    await graph.shutdown();
  });

  it('reports a rejected promise from an async callback as a node error, without crashing', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('async_cb');
    const errors: string[] = [];
    node.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
    node.createSubscription('std_msgs/msg/String', 'a', async () => {
      throw new Error('late failure');
    });
    node.createPublisher('std_msgs/msg/String', 'a').publish({ data: 'x' });
    await graph.flush();
    expect(errors).toEqual([
      expect.stringMatching(/KZ_ERR_CALLBACK_FAILED: subscription callback on '\/a' threw: late failure/),
    ]);
    await graph.shutdown();
  });

  it('keeps delivering to other subscriptions when an incompatible-QoS listener throws', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('listener_boom');
    const errors: string[] = [];
    node.on('error', (e) => errors.push(e.message));
    const got: string[] = [];
    node.createSubscription('std_msgs/msg/String', 'ok', (m) => got.push(m.data));
    const okPub = node.createPublisher('std_msgs/msg/String', 'ok');
    const strict = node.createSubscription('sensor_msgs/msg/LaserScan', 'scan', () => undefined, 'default');
    strict.onIncompatibleQoS(() => {
      throw new Error('listener boom');
    });
    node.createPublisher('sensor_msgs/msg/LaserScan', 'scan', 'sensor_data');
    okPub.publish({ data: '1' });
    await graph.flush();
    okPub.publish({ data: '2' });
    await graph.flush();
    expect(got).toEqual(['1', '2']);
    expect(errors).toEqual([expect.stringContaining('listener boom')]);
    await graph.shutdown();
  });

  it('delivers 64-bit integer fields as bigint, as rclnodejs does, even when published as numbers', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('int64');
    const got: bigint[] = [];
    node.createSubscription('std_msgs/msg/Int64', 'n', (m) => got.push(m.data));
    node.createPublisher('std_msgs/msg/Int64', 'n').publish({ data: 5 as unknown as bigint });
    await graph.flush();
    expect(got).toEqual([5n]);
    expect(got[0]! + 1n).toBe(6n);
    await graph.shutdown();
  });

  it('runs sim-time timers from /clock messages, not from the wall clock', async () => {
    const graph = new InProcessGraph();
    const sim = graph.createNode('sim_timer', { parameterOverrides: { use_sim_time: true } });
    const clock = graph.createNode('clock_source').createPublisher('rosgraph_msgs/msg/Clock', '/clock');
    let ticks = 0;
    sim.createTimer(1.0, () => ticks++);
    await new Promise((r) => setTimeout(r, 30));
    expect(ticks).toBe(0);
    clock.publish({ clock: { sec: 1, nanosec: 0 } });
    await graph.flush();
    await graph.flush();
    expect(ticks).toBe(1);
    clock.publish({ clock: { sec: 3, nanosec: 0 } });
    await graph.flush();
    await graph.flush();
    expect(ticks).toBe(3);
    await graph.shutdown();
  });

  it('logs a warning naming the topic and policy when QoS is incompatible', async () => {
    const { logger, lines } = memoryLogger();
    const graph = new InProcessGraph({ logger, robot: 'r9' });
    const node = graph.createNode('qos_log');
    node.createSubscription('sensor_msgs/msg/LaserScan', 'scan', () => undefined, 'default');
    node.createPublisher('sensor_msgs/msg/LaserScan', 'scan', 'sensor_data');
    const warn = lines.find((l) => l.level === 'warn' && l.policy === 'reliability');
    expect(warn).toMatchObject({ node: '/qos_log', robot: 'r9', topic: '/scan' });
    expect(String(warn!.message)).toMatch(
      /best_effort\/volatile publisher and reliable\/volatile subscription do not connect/,
    );
    await graph.shutdown();
  });

  it('refuses a second type on a topic with KZ_ERR_TYPE_MISMATCH, as Fast DDS does within one process', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('types');
    node.createSubscription('std_msgs/msg/String', 'mixed', () => undefined);
    let caught: unknown;
    try {
      node.createPublisher('std_msgs/msg/Int32', 'mixed');
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'KZ_ERR_TYPE_MISMATCH' });
    expect((caught as Error).message).toMatch(/already carries another type than std_msgs\/msg\/Int32/);
    // The refused endpoint left nothing behind: the topic still takes its own type.
    expect(node.createPublisher('std_msgs/msg/String', 'mixed').subscriptionCount()).toBe(1);
    await graph.shutdown();
  });

  it('gives each subscriber its own copy, with numeric arrays as typed arrays like rclnodejs', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('copies');
    const seen: Array<{ data: ArrayLike<number> }> = [];
    node.createSubscription('std_msgs/msg/Float32MultiArray', 'arr', (m) => seen.push(m));
    node.createSubscription('std_msgs/msg/Float32MultiArray', 'arr', (m) => seen.push(m));
    const pub = node.createPublisher('std_msgs/msg/Float32MultiArray', 'arr');
    const msg = { layout: { dim: [], data_offset: 0 }, data: [1, 2] };
    pub.publish(msg);
    msg.data[0] = 99;
    await waitFor(() => seen.length === 2);
    expect(seen[0]!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(seen[0]!.data)).toEqual([1, 2]);
    expect(seen[0]!.data).not.toBe(seen[1]!.data);
    await graph.shutdown();
  });

  it('refuses new nodes and publishes after shutdown', async () => {
    const graph = new InProcessGraph();
    const node = graph.createNode('gone');
    const pub = node.createPublisher('std_msgs/msg/String', 'x');
    await graph.shutdown();
    expect(() => pub.publish({ data: 'late' })).toThrow(expect.objectContaining({ code: 'KZ_ERR_GRAPH_SHUTDOWN' }));
    expect(() => graph.createNode('again')).toThrow(expect.objectContaining({ code: 'KZ_ERR_GRAPH_SHUTDOWN' }));
  });

  it('refuses two nodes with the same fully qualified name', async () => {
    const graph = new InProcessGraph();
    graph.createNode('twin', { namespace: 'r1' });
    graph.createNode('twin', { namespace: 'r2' });
    expect(() => graph.createNode('twin', { namespace: '/r1' })).toThrow(
      expect.objectContaining({ code: 'KZ_ERR_DUPLICATE_NODE' }),
    );
    expect(graph.nodeNames()).toEqual(['/r1/twin', '/r2/twin']);
    await graph.shutdown();
  });

  it('subscribes to /clock once per graph for all its sim-time nodes, and drops it with the last of them', async () => {
    const graph = new InProcessGraph();
    const clockPub = graph.createNode('clock_src').createPublisher('rosgraph_msgs/msg/Clock', '/clock');
    const sims = Array.from({ length: 5 }, (_, i) =>
      graph.createNode(`sim${i}`, { parameterOverrides: { use_sim_time: true } }),
    );
    expect(clockPub.subscriptionCount()).toBe(1);
    clockPub.publish({ clock: { sec: 7, nanosec: 0 } });
    await graph.flush();
    expect(sims.map((n) => n.now().sec)).toEqual([7, 7, 7, 7, 7]);
    for (const n of sims) n.destroy();
    expect(clockPub.subscriptionCount()).toBe(0);
    await graph.shutdown();
  });

  it('advances every manual-clock timer in one pass, in due-time order whatever their creation order', async () => {
    const graph = new InProcessGraph({ clock: 'manual' });
    const node = graph.createNode('ordered');
    const calls: string[] = [];
    node.createTimer(0.25, (i) => calls.push(`a@${Number(i.expectedCallNs) / 1e6}`));
    node.createTimer(0.2, (i) => calls.push(`b@${Number(i.expectedCallNs) / 1e6}`));
    node.createTimer(0.1, (i) => calls.push(`c@${Number(i.expectedCallNs) / 1e6}`));
    await graph.advance(0.25);
    // c was due at 100 ms and again at 200 ms, but one jump fires a timer once and skips what it missed.
    expect(calls).toEqual(['c@100', 'b@200', 'a@250']);
    await graph.shutdown();
  });

  it('refuses an unknown clock option instead of silently running on the wall clock', () => {
    expect(() => new InProcessGraph({ clock: 'manul' as never })).toThrow(
      /graph clock must be 'system' or 'manual', got 'manul'/,
    );
  });
});
