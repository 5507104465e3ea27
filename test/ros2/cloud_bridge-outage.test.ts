/**
 * A decision sent while the robot's link is down, on real ROS 2: cloud_bridge runs on the rclnodejs graph
 * (rcl + Fast DDS) behind a TCP link proxy to an aedes broker; the national side publishes during the cut;
 * after the reconnect the decision reaches kizuna/decision, received by an rclpy subscriber, while one that
 * expired during the outage is rejected EXPIRED and never reaches ROS. The in-process twin of this test is
 * test/integration/cloud_bridge/session-suite.ts.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { RosGraph } from '../../nodes/core/graph/types';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { startBridge, type CloudBridge } from '../../nodes/cloud_bridge/node';
import { LinkProxy } from '../../sim/link-proxy';
import { startAedes, type AedesBroker } from '../helpers/brokers';
import { Cloud, TEST_KEYS_JSON, signedDecision, uniqueRoot, until } from '../integration/cloud_bridge/harness';
import { describeWithRos } from './support/gate';
import { RclpyPeer } from './support/peer';

const D = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeWithRos('cloud_bridge on the rclnodejs graph: decisions during an outage', () => {
  let peer: RclpyPeer;
  let broker: AedesBroker;
  let proxy: LinkProxy;
  let graph: RosGraph;
  let bridge: CloudBridge | undefined;
  let cloud: Cloud | undefined;
  let dir: string;

  beforeAll(async () => {
    peer = await RclpyPeer.start('kizuna_bridge_outage_peer');
    broker = await startAedes();
    proxy = await LinkProxy.start('127.0.0.1', broker.port);
    graph = await createRclnodejsGraph({});
    dir = mkdtempSync(join(tmpdir(), 'kizuna-bridge-ros-'));
    writeFileSync(join(dir, 'keys.json'), TEST_KEYS_JSON);
  }, 30000);

  afterAll(async () => {
    await bridge?.stop();
    await graph?.shutdown();
    await cloud?.close();
    await proxy?.close();
    await broker?.close();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a decision published while the link was down to an rclpy subscriber of kizuna/decision after the reconnect', async () => {
    const ns = `/outage${process.pid}`;
    const root = uniqueRoot();
    const decisionTopic = `${ns}/kizuna/decision`;
    await peer.request('subscribe', { topic: decisionTopic, type: 'kizuna_msgs/msg/Decision' });
    const node = graph.createNode('cloud_bridge', {
      namespace: ns,
      parameterOverrides: {
        robot_id: 'care-007',
        fleet: 'tokyo-1',
        profile: 'care',
        topic_root: root,
        broker_url: proxy.url,
        mqtt_version: 4,
        trusted_keys_file: join(dir, 'keys.json'),
        store_path: join(dir, 'bridge.sqlite'),
        store_sync: 'normal',
        client_id: `kizuna-ros-outage-${process.pid}`,
        reconnect_min_s: 0.1,
        reconnect_max_s: 0.3,
      },
    });
    bridge = startBridge(node);
    cloud = await Cloud.connect(broker.url, root, 4);
    await until(() => bridge!.link.connected, 'the bridge to connect', 10000);
    // DDS discovery: the rclpy subscription sees the bridge's publisher before anything is sent.
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const { publishers } = await peer.request<{ publishers: number }>('counts', { topic: decisionTopic });
      if (publishers >= 1) break;
      await sleep(50);
    }
    await sleep(300);

    proxy.cut();
    await until(() => !bridge!.link.connected, 'the bridge to notice the cut link');
    await sleep(100);
    const now = Date.now();
    const expiring = signedDecision('care-007', { issuedAt: now - 500, expiresAt: now + 800 });
    const stop = signedDecision('care-007', { kind: { type: 'stop' }, priority: 200 });
    await cloud.publish(bridge.topics.decision, JSON.stringify(expiring), { qos: 1 });
    await cloud.publish(bridge.topics.decision, JSON.stringify(stop), { qos: 1 });
    await until(() => Date.now() > now + 1000, 'the first decision to expire', 5000);
    expect(peer.messages(decisionTopic)).toHaveLength(0);
    proxy.restore();

    await until(() => peer.messages(decisionTopic).length === 1, 'the queued decision on ROS 2', 15000);
    expect(bridge.link.sessionPresent).toBe(true);
    expect(peer.messages(decisionTopic)[0]).toMatchObject({
      decision_id: stop.decisionId,
      kind: D.KIND_STOP,
      source: D.SOURCE_CLOUD,
      priority: 200,
    });
    await until(
      () => cloud!.events().some((e) => e.type === 'decision_rejected' && e.reason === 'EXPIRED'),
      'the EXPIRED rejection event',
    );
    expect(cloud.events().find((e) => e.reason === 'EXPIRED')).toMatchObject({ decisionId: expiring.decisionId });
    await sleep(300);
    expect(peer.messages(decisionTopic)).toHaveLength(1);
  }, 60000);
});
