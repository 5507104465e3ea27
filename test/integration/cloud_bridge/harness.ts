/**
 * A robot with a cloud_bridge on an in-process graph, a "cloud" mqtt.js client, and the helpers the
 * bridge suites share: signed decisions with the RFC 8032 test key, waiting for MQTT messages.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { InProcessGraph } from '../../../nodes/core/graph/inprocess/graph';
import type { MessageOf } from '../../../nodes/core/interfaces';
import type { ParamValue } from '../../../nodes/core/graph/params';
import { privateKeyFromSeed, signDecision, robotTopics, type RobotTopics } from '../../../nodes/core/contract';
import { startBridge, type CloudBridge } from '../../../nodes/cloud_bridge/node';

export const TEST_KEY = privateKeyFromSeed(
  Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'),
);
export const TEST_KEYS_JSON = JSON.stringify({
  keys: [{ keyId: 'national-2026-a', publicKey: '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=' }],
});

let unique = 0;
/** A topic root no other test uses. */
export function uniqueRoot(): string {
  return `kz${process.pid}t${++unique}${Date.now().toString(36)}/v1`;
}

/** A signed decision for `robotId` of fleet tokyo-1 (fields overridable, `fleetId` too), fresh for a minute. */
export function signedDecision(robotId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return signDecision(
    {
      v: '1.0',
      decisionId: `d-${Math.random().toString(36).slice(2)}`,
      robotId,
      fleetId: 'tokyo-1',
      issuedAt: now - 500,
      expiresAt: now + 60_000,
      priority: 10,
      kind: { type: 'navigate_to', target: { x: 1.5, y: -2, yaw: 0.5 } },
      ...over,
    },
    'national-2026-a',
    TEST_KEY,
  );
}

/** Resolves when `pred` holds, polling every 10 ms; rejects with `what` after `timeoutMs`. */
export async function until(pred: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface CloudMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  json: Record<string, unknown>;
  properties: Record<string, unknown> | undefined;
}

/** The national side: an mqtt.js client subscribed to everything under `root`. */
export class Cloud {
  readonly messages: CloudMessage[] = [];
  /**
   * The zero-length messages a robot publishes at connect to clear stray retained ones (not in
   * `messages`): topic, and how many messages had arrived before it.
   */
  readonly cleared: Array<{ topic: string; after: number }> = [];
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      // As the contract tells every consumer: a zero-length message on a robot's state, events or
      // decision/request is the robot clearing a stray retained message at connect, and carries nothing.
      if (payload.length === 0 && /\/(state|events|decision\/request)$/.test(topic)) {
        this.cleared.push({ topic, after: this.messages.length });
        return;
      }
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        // not JSON: kept with an empty json
      }
      this.messages.push({
        topic,
        payload,
        retain: packet.retain,
        json,
        properties: packet.properties as Record<string, unknown> | undefined,
      });
    });
  }

  static async connect(
    url: string,
    root: string,
    protocolVersion: 4 | 5 = 4,
    extra: mqtt.IClientOptions = {},
  ): Promise<Cloud> {
    const client = mqtt.connect(url, {
      protocolVersion,
      reconnectPeriod: 200,
      clientId: `cloud-${Math.random().toString(36).slice(2)}`,
      ...extra,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const cloud = new Cloud(client);
    await client.subscribeAsync(`${root}/#`, { qos: 1 });
    return cloud;
  }

  on(topicSuffix: string): CloudMessage[] {
    return this.messages.filter((m) => m.topic.endsWith(topicSuffix));
  }

  events(): Array<Record<string, unknown>> {
    return this.on('/events').map((m) => m.json);
  }

  async publish(topic: string, payload: string | Buffer, opts: mqtt.IClientPublishOptions = { qos: 1 }): Promise<void> {
    await this.client.publishAsync(topic, payload, opts);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export interface RobotOptions {
  url: string;
  root: string;
  protocol: 4 | 5;
  robotId?: string;
  profile?: string;
  params?: Record<string, ParamValue>;
  /** Reuse this directory (store survives between robots). */
  dir?: string;
  /** The robot's wall clock [ms since epoch] (a skewed one for the clock-skew experiment); Date.now by default. */
  now?: () => number;
}

/** A robot: an in-process graph with cloud_bridge and a probe node that feeds and watches it. */
export class Robot {
  readonly decisions: Array<MessageOf<'kizuna_msgs/msg/Decision'>> = [];
  readonly statuses: Array<MessageOf<'kizuna_msgs/msg/BridgeStatus'>> = [];
  readonly heartbeats: string[] = [];
  readonly topics: RobotTopics;
  private ownsDir: boolean;

  private constructor(
    readonly graph: InProcessGraph,
    readonly bridge: CloudBridge,
    readonly probe: ReturnType<InProcessGraph['createNode']>,
    readonly dir: string,
    readonly robotId: string,
    ownsDir: boolean,
  ) {
    this.topics = bridge.topics;
    this.ownsDir = ownsDir;
  }

  static start(o: RobotOptions): Robot {
    const robotId = o.robotId ?? 'care-007';
    const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'kizuna-bridge-'));
    writeFileSync(join(dir, 'keys.json'), TEST_KEYS_JSON);
    const graph = new InProcessGraph();
    const node = graph.createNode('cloud_bridge', {
      parameterOverrides: {
        robot_id: robotId,
        fleet: 'tokyo-1',
        profile: o.profile ?? 'care',
        topic_root: o.root,
        broker_url: o.url,
        mqtt_version: o.protocol,
        trusted_keys_file: join(dir, 'keys.json'),
        store_path: join(dir, 'bridge.sqlite'),
        store_sync: 'normal',
        reconnect_min_s: 0.1,
        reconnect_max_s: 0.5,
        ...o.params,
      },
    });
    const bridge = startBridge(node, o.now);
    const probe = graph.createNode('probe');
    const robot = new Robot(graph, bridge, probe, dir, robotId, o.dir === undefined);
    probe.createSubscription('kizuna_msgs/msg/Decision', 'kizuna/decision', (m) => robot.decisions.push(m));
    probe.createSubscription('kizuna_msgs/msg/BridgeStatus', 'kizuna/bridge_status', (m) => robot.statuses.push(m));
    probe.createSubscription('std_msgs/msg/String', 'kizuna/heartbeat', (m) => robot.heartbeats.push(m.data));
    return robot;
  }

  lastStatus(): MessageOf<'kizuna_msgs/msg/BridgeStatus'> | undefined {
    return this.statuses[this.statuses.length - 1];
  }

  async connected(): Promise<void> {
    await until(() => this.bridge.link.connected, 'the bridge to connect');
  }

  /** Stops the bridge cleanly and shuts the graph down; removes the directory unless it was given. */
  async stop(keepDir = false): Promise<void> {
    await this.bridge.stop();
    await this.graph.shutdown();
    if (this.ownsDir && !keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export function topicsOf(root: string, robotId = 'care-007'): RobotTopics {
  return robotTopics(root, 'tokyo-1', robotId);
}
