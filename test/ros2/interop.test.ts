/**
 * Interop with a ROS 2 client kizuna did not write: an rclpy process (test/ros2/support/peer.py) and kizuna's
 * rclnodejs graph on real rcl + Fast DDS, in the loopback-only sandbox of `npm test`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { IncompatibleQoSEvent, RosGraph, RosNode } from '../../nodes/core/graph/types';
import type { MessageOf } from '../../nodes/core/interfaces';
import { messageDefinition } from '../../nodes/core/interfaces';
import { createMessage } from '../../nodes/core/interfaces/validate';
import { launchNode } from '../../nodes/core/runner';
import { definition as exampleNearest } from '../../nodes/example_nearest/node';
import { createLogger } from '../../nodes/core/logging';
import { describeWithRos } from './support/gate';
import { RclpyPeer } from './support/peer';
import { plain, sampleMessage } from './support/sample';

let seq = 0;
const unique = (base: string): string => `/interop${process.pid}_${++seq}/${base}`;

/** Polls until `check` holds or `ms` pass. */
async function until(check: () => boolean | Promise<boolean>, ms = 10000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

const KIZUNA_MSGS = readdirSync(join(__dirname, '..', '..', 'msgs', 'msg'))
  .filter((f) => f.endsWith('.msg'))
  .map((f) => `kizuna_msgs/msg/${f.slice(0, -4)}`)
  .sort();

describeWithRos('interop with rclpy (real rcl + Fast DDS)', () => {
  let graph: RosGraph;
  let node: RosNode;
  let peer: RclpyPeer;

  beforeAll(async () => {
    peer = await RclpyPeer.start('kizuna_interop_peer');
    graph = await createRclnodejsGraph({});
    node = graph.createNode('interop_kizuna');
  }, 30000);

  afterAll(async () => {
    await graph?.shutdown();
    await peer?.stop();
  });

  it('runs the peer on rclpy with Fast DDS, the rmw rclnodejs uses too', () => {
    expect(peer.events.find((e) => e.event === 'ready')).toMatchObject({ rmw: 'rmw_fastrtps_cpp' });
  });

  it('delivers every kizuna_msgs type, fully filled, from kizuna to an rclpy subscriber field by field', async () => {
    expect(KIZUNA_MSGS.length).toBeGreaterThanOrEqual(9);
    for (const [i, type] of KIZUNA_MSGS.entries()) {
      const topic = unique(type.split('/')[2]!.toLowerCase());
      await peer.request('subscribe', { topic, type });
      const pub = node.createPublisher(type as 'kizuna_msgs/msg/Decision', topic, 'default');
      expect(await until(() => pub.subscriptionCount() === 1)).toBe(true);
      const msg = sampleMessage(type, i + 1);
      pub.publish(msg as never);
      expect(await until(() => peer.messages(topic).length === 1)).toBe(true);
      expect({ type, data: peer.messages(topic)[0] }).toEqual({ type, data: plain(type, msg) });
    }
  }, 60000);

  it('carries a Decision and its DecisionStatus to rclpy intact, constants included', async () => {
    const decisionTopic = unique('decision');
    const statusTopic = unique('decision_status');
    await peer.request('subscribe', { topic: decisionTopic, type: 'kizuna_msgs/msg/Decision' });
    await peer.request('subscribe', { topic: statusTopic, type: 'kizuna_msgs/msg/DecisionStatus' });
    const decisionPub = node.createPublisher('kizuna_msgs/msg/Decision', decisionTopic, 'default');
    const statusPub = node.createPublisher('kizuna_msgs/msg/DecisionStatus', statusTopic, 'default');
    expect(await until(() => decisionPub.subscriptionCount() === 1 && statusPub.subscriptionCount() === 1)).toBe(true);

    const decision = createMessage('kizuna_msgs/msg/Decision') as unknown as MessageOf<'kizuna_msgs/msg/Decision'>;
    decision.header = { stamp: { sec: 1_764_000_000, nanosec: 123_456_789 }, frame_id: 'map' };
    decision.decision_id = '6f1c2a4e-2b7d-4c1e-9a51-0d3f5e7a9b11';
    decision.kind = 7; // KIND_TASK
    decision.source = 1; // SOURCE_CLOUD
    decision.priority = 200;
    decision.target.header.frame_id = 'map';
    decision.target.pose.position = { x: 12.5, y: -3.25, z: 0 };
    decision.target.pose.orientation = { x: 0, y: 0, z: 0.7071067811865476, w: 0.7071067811865476 };
    decision.speed_limit = 0.75;
    decision.task_name = 'inspect_shelf';
    decision.task_args = [
      { key: 'shelf', value: 'B-12' },
      { key: 'note', value: 'ケア棟 2F' },
    ];
    decision.issued_at = { sec: 1_764_000_000, nanosec: 1 };
    decision.expires_at = { sec: 1_764_000_600, nanosec: 999_999_999 };

    const status = createMessage(
      'kizuna_msgs/msg/DecisionStatus',
    ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
    status.header = { stamp: { sec: 1_764_000_001, nanosec: 5 }, frame_id: '' };
    status.decision_id = decision.decision_id;
    status.kind = 7;
    status.source = 1;
    status.state = 8; // STATE_PREEMPTED
    status.reason_code = 'PREEMPTED';
    status.message = 'replaced by a higher-priority decision';
    status.progress = 0.5;
    status.preempted_by = 'a0b1c2d3';

    decisionPub.publish(decision);
    statusPub.publish(status);
    expect(
      await until(() => peer.messages(decisionTopic).length === 1 && peer.messages(statusTopic).length === 1),
    ).toBe(true);
    expect(peer.messages(decisionTopic)[0]).toEqual(plain('kizuna_msgs/msg/Decision', decision));
    expect(peer.messages(statusTopic)[0]).toEqual(plain('kizuna_msgs/msg/DecisionStatus', status));

    // The constants rclpy generated from msgs/ are the ones kizuna's generated definitions carry.
    for (const type of ['kizuna_msgs/msg/Decision', 'kizuna_msgs/msg/DecisionStatus']) {
      const { constants } = await peer.request<{ constants: Record<string, unknown> }>('constants', { type });
      const ours = Object.fromEntries(messageDefinition(type).constants.map((c) => [c.name, c.value]));
      expect(constants).toEqual(ours);
      expect(Object.keys(ours).length).toBeGreaterThan(5);
    }
  }, 30000);

  it('example_nearest on the rclnodejs graph answers an rclpy LaserScan (sensor-data QoS) with the right PointStamped', async () => {
    const ns = `/interop${process.pid}_${++seq}`;
    const logger = createLogger({ level: 'error', json: true });
    await launchNode(exampleNearest, {
      into: { graph, logger },
      argv: ['--ros-args', '-r', `__ns:=${ns}`, '-r', 'scan:=front/scan'],
    });
    const scanTopic = `${ns}/front/scan`;
    const outTopic = `${ns}/example_nearest/nearest`;
    await peer.request('subscribe', { topic: outTopic, type: 'geometry_msgs/msg/PointStamped' });
    await peer.request('advertise', {
      topic: scanTopic,
      type: 'sensor_msgs/msg/LaserScan',
      qos: { reliability: 'best_effort', depth: 5 },
    });
    const scan = {
      header: { stamp: { sec: 1_764_000_100, nanosec: 250_000_000 }, frame_id: 'front_laser' },
      angle_min: -1.0,
      angle_max: 1.0,
      angle_increment: 0.5,
      time_increment: 0,
      scan_time: 0.1,
      range_min: 0.5,
      range_max: 20,
      ranges: [4, 0.25, 2, 3, 30], // 0.25 and 30 lie outside [range_min, range_max]
      intensities: [],
    };
    // Best effort: publish until discovery has matched and one scan got through.
    expect(
      await until(async () => {
        if (peer.messages(outTopic).length > 0) return true;
        await peer.request('publish', { topic: scanTopic, data: scan });
        await new Promise((r) => setTimeout(r, 100));
        return peer.messages(outTopic).length > 0;
      }, 15000),
    ).toBe(true);
    const point = peer.messages(outTopic)[0] as unknown as MessageOf<'geometry_msgs/msg/PointStamped'>;
    expect(point.header).toEqual(scan.header);
    const bearing = -1.0 + 2 * 0.5; // index 2, range 2 m
    expect(point.point.x).toBeCloseTo(2 * Math.cos(bearing), 12);
    expect(point.point.y).toBeCloseTo(2 * Math.sin(bearing), 12);
    expect(point.point.z).toBe(0);
  }, 30000);

  it('does not connect an rclpy reliable subscription to a best-effort kizuna publisher; both sides get the rmw event', async () => {
    const topic = unique('scan');
    const events: IncompatibleQoSEvent[] = [];
    const pub = node.createPublisher('sensor_msgs/msg/LaserScan', topic, 'sensor_data');
    pub.onIncompatibleQoS((e) => events.push(e));
    await peer.request('subscribe', { topic, type: 'sensor_msgs/msg/LaserScan', qos: { reliability: 'reliable' } });
    const pyEvent = await peer.waitForEvent((e) => e.event === 'incompatible_qos' && e.topic === topic, 10000);
    expect(pyEvent).toMatchObject({ side: 'subscription', policy: 'RMW_QOS_POLICY_RELIABILITY', total_count: 1 });
    expect(await until(() => events.length >= 1)).toBe(true);
    expect(events[0]).toMatchObject({ side: 'publisher', policy: 'reliability', topic });
    const scan = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
    for (let i = 0; i < 5; i++) pub.publish(scan);
    await new Promise((r) => setTimeout(r, 300));
    expect(pub.subscriptionCount()).toBe(0);
    expect(peer.messages(topic)).toHaveLength(0);
    expect(await peer.request('counts', { topic })).toMatchObject({ publishers: 1, subscribers: 1 });
  }, 30000);

  it('warns about a second type on a topic (seen in the graph: Fast DDS 2.14 raises no rmw event for it) and does not connect them', async () => {
    const topic = unique('mixed');
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await createRclnodejsGraph({ logger: createLogger({ level: 'warn', json: true, stream: sink }) });
    try {
      const got: unknown[] = [];
      const sub = logged
        .createNode('mixed_kizuna')
        .createSubscription('sensor_msgs/msg/LaserScan', topic, (m) => got.push(m), 'default');
      await peer.request('advertise', { topic, type: 'std_msgs/msg/String' });
      expect(await until(() => lines.some((l) => l.includes('KZ_ERR_TYPE_MISMATCH')))).toBe(true);
      const warning = JSON.parse(lines.find((l) => l.includes('KZ_ERR_TYPE_MISMATCH'))!) as Record<string, unknown>;
      expect(warning).toMatchObject({ level: 'warn', topic, side: 'subscription', node: '/mixed_kizuna' });
      expect(warning.message).toContain('also carries std_msgs/msg/String');
      await peer.request('publish', { topic, data: { data: 'not a scan' } });
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.publisherCount()).toBe(0);
      expect(got).toHaveLength(0);
      // The reference's behaviour, pinned: rclpy registered an incompatible-type callback and got nothing.
      expect(peer.events.filter((e) => e.event === 'incompatible_type' && e.topic === topic)).toEqual([]);
    } finally {
      await logged.shutdown();
    }
  }, 30000);

  it("puts a kizuna node's log lines on /rosout, as rcl_interfaces/msg/Log an rclpy subscriber reads", async () => {
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const logged = await createRclnodejsGraph({ logger: createLogger({ level: 'info', json: true, stream: sink }) });
    try {
      const n = logged.createNode('rosout_kizuna', { namespace: `/rosout${process.pid}` });
      await peer.request('subscribe', { topic: '/rosout', type: 'rcl_interfaces/msg/Log', qos: { depth: 100 } });
      const ours = (): Array<Record<string, unknown>> =>
        peer.messages('/rosout').filter((m) => String(m.name).endsWith('rosout_kizuna'));
      // /rosout is discovered like any topic: log until the first line gets through.
      expect(
        await until(async () => {
          n.logger.info('hello rosout');
          await new Promise((r) => setTimeout(r, 100));
          return ours().length > 0;
        }, 10000),
      ).toBe(true);
      n.logger.warn('battery low', { percent: 12 });
      expect(await until(() => ours().some((m) => m.level === 30))).toBe(true);
      expect(ours().find((m) => m.level === 30)).toMatchObject({
        name: `rosout${process.pid}.rosout_kizuna`,
        msg: 'battery low {"percent":12}',
      });
      expect(ours().find((m) => m.level === 20)).toMatchObject({ msg: 'hello rosout' });
    } finally {
      await logged.shutdown();
    }
  }, 30000);
});
