/**
 * cloud_bridge benchmarks, each next to a baseline measured in the same run against the same
 * mosquitto (the Debian binary on a loopback port): uplink cost per state message vs raw mqtt.js
 * publishing the identical bytes; decision round trip (cloud publish → validated Decision on ROS)
 * vs a raw mqtt.js publish → subscribe round trip; outbox throughput vs QoS 1 without an outbox;
 * the worst-case state size; the uplink byte rate of one robot at default rates, counted at a link
 * proxy, with MQTT 5 topic aliases and without.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { limitResult, percentile, ratioResult, type Benchmark, type BenchResult } from './harness';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../test/helpers/brokers';
import { Cloud, Robot, signedDecision, until, uniqueRoot } from '../test/integration/cloud_bridge/harness';
import { createMessage } from '../nodes/core/interfaces/validate';
import type { MessageOf } from '../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../nodes/core/interfaces/generated';
import { stateSchema, type State } from '../nodes/core/contract';
import { PROFILE_POLICIES, applyStatePolicy } from '../nodes/cloud_bridge/policy';
import { fitState } from '../nodes/cloud_bridge/logic';
import { AuditSummer, readAudit } from '../nodes/core/audit/read';
import { LinkProxy } from '../sim/link-proxy';

const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];

function world(x: number, y = 2.5): MessageOf<'kizuna_msgs/msg/WorldSummary'> {
  const m = createMessage('kizuna_msgs/msg/WorldSummary') as unknown as MessageOf<'kizuna_msgs/msg/WorldSummary'>;
  m.pose_valid = true;
  m.pose.position.x = x;
  m.pose.position.y = y;
  m.pose.orientation.z = Math.sin(0.3);
  m.pose.orientation.w = Math.cos(0.3);
  m.velocity.linear.x = 0.8;
  m.velocity.angular.z = 0.05;
  m.battery_valid = true;
  m.battery_percentage = 0.76;
  m.obstacle_detected = true;
  m.nearest_obstacle_distance = 2.25;
  m.people_count = 1;
  return m;
}

async function rawClient(url: string, protocol: 4 | 5): Promise<mqtt.MqttClient> {
  const c = mqtt.connect(url, {
    protocolVersion: protocol,
    reconnectPeriod: 0,
    clientId: `raw-${Math.random().toString(36).slice(2)}`,
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/** Resolves when `pred` holds, checking on every event-loop turn (a timer poll would dominate a round trip). */
function tight(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pred()) resolve();
      else if (performance.now() > deadline) reject(new Error('timed out'));
      else setImmediate(check);
    };
    check();
  });
}

/** CPU [µs] and wall time [ms] spent by this process while `fn` runs. */
async function measure(fn: () => Promise<void>): Promise<{ cpuUs: number; wallMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { cpuUs: c.user + c.system, wallMs: performance.now() - t0 };
}

async function uplink(broker: MosquittoBroker, log: (l: string) => void): Promise<BenchResult[]> {
  const N = 20_000;
  const root = uniqueRoot();
  const cloud = await Cloud.connect(broker.url, root, 5);
  const robot = Robot.start({
    url: broker.url,
    root,
    protocol: 5,
    profile: 'factory',
    params: { state_min_interval_s: 0, state_move_m: 0, state_period_s: 3600 },
  });
  await robot.connected();
  const pub = robot.probe.createPublisher('kizuna_msgs/msg/WorldSummary', 'kizuna/world_summary');
  const states = (): number => cloud.on('/state').length;
  const before = states();
  const msgs = Array.from({ length: N }, (_, i) => world(i * 0.01));
  const bridged = await measure(async () => {
    for (let i = 0; i < N; i++) {
      pub.publish(msgs[i]!);
      if (i % 5 === 4) await robot.graph.flush();
    }
    await robot.graph.flush();
    await until(() => states() - before >= N * 0.99, 'the bridged states', 60_000);
  });
  const payloads = cloud
    .on('/state')
    .slice(before)
    .map((m) => m.payload);
  const bridgedCount = payloads.length;
  // The bridge alone, without the ROS graph hop: the same messages straight into its state path
  // (world summary → state → data policy → contract check → 256-byte fit → MQTT publish).
  const internals = robot.bridge as unknown as {
    picture: { onWorld(m: MessageOf<'kizuna_msgs/msg/WorldSummary'>): void };
    maybeSendState(periodic: boolean): void;
  };
  const before2 = states();
  const own = await measure(async () => {
    for (let i = 0; i < N; i++) {
      internals.picture.onWorld(msgs[i]!);
      internals.maybeSendState(false);
      if (i % 5 === 4) await new Promise((r) => setImmediate(r));
    }
    await until(() => states() - before2 >= N * 0.99, 'the directly bridged states', 60_000);
  });
  const ownCount = states() - before2;
  await robot.stop();
  const topic = `${root}/tokyo-1/raw/state`;
  const raw = await rawClient(broker.url, 5);
  const rawBefore = cloud.on('/raw/state').length;
  const opts = { qos: 0 as const, properties: { contentType: 'application/json', messageExpiryInterval: 10 } };
  const direct = await measure(async () => {
    for (let i = 0; i < payloads.length; i++) {
      raw.publish(topic, payloads[i]!, opts);
      // The same pacing as the bridged run (one event-loop turn per 5 messages).
      if (i % 5 === 4) await new Promise((r) => setImmediate(r));
    }
    await until(() => cloud.on('/raw/state').length - rawBefore >= payloads.length * 0.99, 'the raw states', 60_000);
  });
  await raw.endAsync();
  await cloud.close();
  log(
    `uplink: bridge ${bridgedCount} states in ${bridged.wallMs.toFixed(0)} ms, raw ${payloads.length} in ${direct.wallMs.toFixed(0)} ms`,
  );
  const bridgeCpu = bridged.cpuUs / bridgedCount;
  const rawCpu = direct.cpuUs / payloads.length;
  return [
    ratioResult(
      {
        id: 'bridge.uplink.state.cpu_per_msg',
        value: bridgeCpu,
        unit: 'µs',
        description: 'CPU per state message: WorldSummary on ROS → state on MQTT (incl. the in-process graph)',
      },
      {
        id: 'raw.mqttjs.publish.cpu_per_msg',
        value: rawCpu,
        unit: 'µs',
        description: 'CPU per raw mqtt.js QoS 0 publish of the identical bytes',
      },
      1.3,
      { messages: bridgedCount },
    ),
    ratioResult(
      {
        id: 'bridge.uplink.state.cpu_per_msg.without_ros_hop',
        value: own.cpuUs / ownCount,
        unit: 'µs',
        description: 'CPU per state message in the bridge alone (world summary handed in directly, no ROS graph hop)',
      },
      { id: 'raw.mqttjs.publish.cpu_per_msg', value: rawCpu, unit: 'µs' },
      1.3,
      { messages: ownCount },
    ),
    ratioResult(
      {
        id: 'bridge.uplink.state.rate',
        value: (bridgedCount / bridged.wallMs) * 1000,
        unit: 'msg/s',
        higherIsBetter: true,
      },
      {
        id: 'raw.mqttjs.publish.rate',
        value: (payloads.length / direct.wallMs) * 1000,
        unit: 'msg/s',
        higherIsBetter: true,
      },
      1 / 1.3,
    ),
  ];
}

async function downlink(broker: MosquittoBroker, log: (l: string) => void): Promise<BenchResult[]> {
  const N = 400;
  const root = uniqueRoot();
  const cloud = await Cloud.connect(broker.url, root, 5);
  const robot = Robot.start({ url: broker.url, root, protocol: 5 });
  await robot.connected();
  await new Promise((r) => setTimeout(r, 200));
  const decisions = Array.from({ length: N }, () => JSON.stringify(signedDecision('care-007')));
  const bridgeLat: number[] = [];
  for (let i = 0; i < N; i++) {
    const n = robot.decisions.length;
    const t0 = performance.now();
    cloud.client.publish(robot.topics.decision, decisions[i]!, { qos: 1 });
    await tight(() => robot.decisions.length > n);
    bridgeLat.push(performance.now() - t0);
  }
  await robot.stop();
  // Raw: one client publishes, another (subscribed) receives, through the same broker.
  const sub = await rawClient(broker.url, 5);
  const topic = `${root}/raw/decision`;
  await sub.subscribeAsync(topic, { qos: 1 });
  let got = 0;
  sub.on('message', () => got++);
  const rawLat: number[] = [];
  for (let i = 0; i < N; i++) {
    const n = got;
    const t0 = performance.now();
    cloud.client.publish(topic, decisions[i]!, { qos: 1 });
    await tight(() => got > n);
    rawLat.push(performance.now() - t0);
  }
  await sub.endAsync();
  await cloud.close();
  log(
    `downlink: bridge p50 ${percentile([...bridgeLat], 50).toFixed(2)} ms, raw p50 ${percentile([...rawLat], 50).toFixed(2)} ms`,
  );
  return [
    ratioResult(
      {
        id: 'bridge.downlink.decision_rtt.p50',
        value: percentile([...bridgeLat], 50),
        unit: 'ms',
        description: 'cloud publish → validated, signature-checked Decision on the ROS graph',
      },
      { id: 'raw.mqttjs.pubsub_rtt.p50', value: percentile([...rawLat], 50), unit: 'ms' },
      1.5,
      { samples: N },
    ),
    ratioResult(
      { id: 'bridge.downlink.decision_rtt.p99', value: percentile([...bridgeLat], 99), unit: 'ms' },
      { id: 'raw.mqttjs.pubsub_rtt.p99', value: percentile([...rawLat], 99), unit: 'ms' },
      1.5,
      { samples: N },
    ),
  ];
}

async function outbox(broker: MosquittoBroker, log: (l: string) => void): Promise<BenchResult[]> {
  const N = 3000;
  const results: BenchResult[] = [];
  // Baseline: the same events as QoS 1 publishes with the same in-flight window, no outbox.
  const raw = await rawClient(broker.url, 5);
  const payload = Buffer.from(
    JSON.stringify({
      v: '1.0',
      robotId: 'care-007',
      seq: 1,
      at: Date.now(),
      type: 'decision_accepted',
      decisionId: 'd-000000',
      source: 'cloud',
      kind: 'navigate_to',
    }),
  );
  let acked = 0;
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const next = (): void => {
      while (sent < N && sent - acked < 32) {
        sent++;
        raw.publish('bench/raw/events', payload, { qos: 1 }, () => {
          acked++;
          if (acked === N) resolve();
          else next();
        });
      }
    };
    next();
  });
  const rawRate = (N / (performance.now() - t0)) * 1000;
  await raw.endAsync();
  const baseline = {
    id: 'raw.mqttjs.qos1.rate',
    value: rawRate,
    unit: 'events/s',
    higherIsBetter: true,
    description: 'QoS 1 publish + PUBACK, 32 in flight',
  };
  for (const sync of ['normal', 'full'] as const) {
    const root = uniqueRoot();
    const robot = Robot.start({
      url: broker.url,
      root,
      protocol: 5,
      params: { store_sync: sync, outbox_rate_per_s: 100000, outbox_max_inflight: 32 },
    });
    await robot.connected();
    const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
    const base = createMessage(
      'kizuna_msgs/msg/DecisionStatus',
    ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
    const seq0 = robot.bridge.store.lastSeq;
    const t1 = performance.now();
    for (let i = 0; i < N; i++) {
      pub.publish({ ...base, decision_id: `d-${i}`, state: DS.STATE_ACCEPTED, source: 1, kind: 1 });
      if (i % 5 === 4) await robot.graph.flush();
    }
    await until(
      () => robot.bridge.store.lastSeq - seq0 >= N && robot.bridge.store.depth === 0,
      'every event acknowledged',
      120_000,
    );
    const rate = (N / (performance.now() - t1)) * 1000;
    await robot.stop();
    log(`outbox (${sync}): ${rate.toFixed(0)} events/s vs raw ${rawRate.toFixed(0)}`);
    results.push(
      ratioResult(
        {
          id: `bridge.outbox.${sync}.rate`,
          value: rate,
          unit: 'events/s',
          higherIsBetter: true,
          description: `DecisionStatus on ROS → durable outbox (synchronous=${sync}) → PUBACK → removed`,
        },
        baseline,
        sync === 'normal' ? 0.25 : 0.02,
        { events: N },
      ),
    );
  }
  return results;
}

function stateSize(): BenchResult[] {
  // Worst case: every field present, longest id, most digits, the most precise policy.
  const s: State = {
    v: '1.0',
    t: 8_639_999_999_999,
    pose: [-999999.99, -999999.99, -3.142],
    vel: [-99.99, -99.99],
    bat: 0.99,
    chg: false,
    mode: 'executing',
    safety: 'slowdown',
    dec: 'x'.repeat(64),
    prog: 0.99,
    obs: 999.99,
    ppl: 65535,
    faults: 65535,
    health: 'error',
  };
  // What the bridge sends: validated, then fitted into the budget (fields shed in a fixed order).
  const fitted = fitState(stateSchema.parse(applyStatePolicy(s, PROFILE_POLICIES.factory)), 256);
  const bytes = Buffer.byteLength(fitted.json);
  const unfitted = Buffer.byteLength(JSON.stringify(s));
  const typical = Buffer.byteLength(
    JSON.stringify({
      v: '1.0',
      t: 1795849200000,
      pose: [12.34, -5.67, 1.571],
      vel: [0.5, 0.1],
      bat: 0.87,
      chg: false,
      mode: 'executing',
      safety: 'clear',
      dec: '2f6c1a9e-1b2c-4d5e-8f90-123456789abc',
      prog: 0.42,
      obs: 1.23,
      ppl: 2,
      faults: 1,
      health: 'warn',
    }),
  );
  return [
    limitResult(
      { id: 'bridge.state.max_bytes', value: bytes, unit: 'bytes', description: 'worst-case state payload as sent' },
      256,
      { worstCaseBeforeFitting: unfitted, shedInWorstCase: fitted.shed },
    ),
    limitResult(
      {
        id: 'bridge.state.typical_bytes',
        value: typical,
        unit: 'bytes',
        description: 'a typical state: UUID decision id, site-scale pose, every field',
      },
      256,
    ),
  ];
}

interface UplinkBytes {
  /** [bytes] robot → broker through the link proxy during the run (every MQTT packet, TCP payload). */
  bytes: number;
  seconds: number;
  /** [count] messages the national side received from the robot. */
  messages: number;
  byTopic: Record<string, number>;
  /** The audit log's split of the same bytes by category: packets, whole packets' bytes, payload bytes. */
  byCategory: Record<string, { messages: number; bytes: number; payloadBytes: number }>;
}

/**
 * One robot at default rates, moving at 0.8 m/s, world summary at 10 Hz, progress at 1 Hz, one safety
 * change every 5 s; its uplink bytes counted at a link proxy between it and the broker (the bytes a
 * cellular link would carry above TCP), with MQTT 5 topic aliases on (the default) or off.
 */
async function uplinkBytes(broker: MosquittoBroker, aliases: boolean): Promise<UplinkBytes> {
  const durationS = 8;
  const root = uniqueRoot();
  const proxy = await LinkProxy.start('127.0.0.1', broker.port);
  const cloud = await Cloud.connect(broker.url, root, 5);
  const robot = Robot.start({
    url: proxy.url,
    root,
    protocol: 5,
    profile: 'delivery',
    params: { topic_aliases: aliases },
  });
  await robot.connected();
  await new Promise((r) => setTimeout(r, 300));
  const start = cloud.messages.length;
  const wpub = robot.probe.createPublisher('kizuna_msgs/msg/WorldSummary', 'kizuna/world_summary');
  const dpub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
  const spub = robot.probe.createPublisher('kizuna_msgs/msg/SafetyState', 'kizuna/safety_state');
  const ds = createMessage('kizuna_msgs/msg/DecisionStatus') as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
  const ss = createMessage('kizuna_msgs/msg/SafetyState') as unknown as MessageOf<'kizuna_msgs/msg/SafetyState'>;
  const t0 = Date.now();
  const up0 = proxy.bytesUp;
  for (let tick = 0; tick < durationS * 10; tick++) {
    wpub.publish(world(tick * 0.08));
    if (tick % 10 === 0)
      dpub.publish({
        ...ds,
        decision_id: '2f6c1a9e-1b2c-4d5e-8f90-123456789abc',
        state: DS.STATE_ACTIVE,
        source: 1,
        kind: 1,
        progress: tick / (durationS * 10),
      });
    if (tick % 50 === 0)
      spub.publish({ ...ss, state: tick % 100 === 0 ? 1 : 3, limiting_reason: 2, linear_speed_cap: 0.5 });
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + (tick + 1) * 100 - Date.now())));
  }
  const t1 = Date.now();
  const bytes = proxy.bytesUp - up0;
  const sent = cloud.messages.slice(start).filter((m) => m.topic.startsWith(`${root}/tokyo-1/care-007/`));
  // The audit log as it stands now (each record is written before its packet leaves): the same window.
  const summer = new AuditSummer('category', t0);
  readAudit(join(robot.dir, 'bridge.audit'), (r) => summer.add(r));
  await robot.stop();
  await cloud.close();
  await proxy.close();
  const byCategory = Object.fromEntries(
    summer
      .result()
      .rows.filter((r) => r.out.messages > 0)
      .map((r) => [r.key, r.out]),
  );
  return {
    bytes,
    seconds: (t1 - t0) / 1000,
    messages: sent.length,
    byTopic: Object.fromEntries(
      ['state', 'events', 'status'].map((t) => [t, sent.filter((m) => m.topic.endsWith(`/${t}`)).length]),
    ),
    byCategory,
  };
}

async function bytesPerSecond(broker: MosquittoBroker, log: (l: string) => void): Promise<BenchResult[]> {
  // Baseline first, the same workload with full topics on every PUBLISH.
  const off = await uplinkBytes(broker, false);
  const on = await uplinkBytes(broker, true);
  const rate = (u: UplinkBytes): number => u.bytes / u.seconds;
  for (const [name, u] of [
    ['without topic aliases', off],
    ['with topic aliases', on],
  ] as const)
    log(`uplink bytes ${name}: ${u.messages} messages, ${u.bytes} bytes in ${u.seconds.toFixed(1)} s`);
  const baseline = {
    id: 'bridge.uplink.bytes_per_s.without_topic_aliases',
    value: rate(off),
    unit: 'B/s',
    description: 'the same robot and workload with topic_aliases false (full topic on every PUBLISH)',
  };
  const result = limitResult(
    {
      id: 'bridge.uplink.bytes_per_s',
      value: rate(on),
      unit: 'B/s',
      description: 'one moving robot at default rates (topic aliases on): bytes robot → broker at the link',
    },
    1024,
    {
      messages: on.messages,
      seconds: on.seconds,
      byTopic: on.byTopic,
      byCategory: on.byCategory,
      withoutTopicAliases: { messages: off.messages, seconds: off.seconds, byCategory: off.byCategory },
    },
  );
  return [{ ...result, baseline, ratio: rate(on) / rate(off) }];
}

export const benchmarks: Benchmark[] = [
  {
    name: 'bridge',
    async run(log) {
      const results: BenchResult[] = [...stateSize()];
      const skip = mosquittoSkipReason();
      if (skip) {
        log(`skipping the broker benchmarks: ${skip}`);
        return results;
      }
      const dir = mkdtempSync(join(tmpdir(), 'kizuna-bench-'));
      const broker = await startMosquitto();
      try {
        results.push(...(await uplink(broker, log)));
        results.push(...(await downlink(broker, log)));
        results.push(...(await outbox(broker, log)));
        results.push(...(await bytesPerSecond(broker, log)));
      } finally {
        await broker.close();
        rmSync(dir, { recursive: true, force: true });
      }
      return results;
    },
  },
];
