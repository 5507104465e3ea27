/**
 * The abstract cloud_bridge suite: the same behaviour on every broker (aedes, mosquitto) and MQTT
 * version it speaks. Real brokers, a unique topic root per test, real outages (broker stopped and
 * restarted). The national side is a plain mqtt.js client.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';
import type { MessageOf } from '../../../nodes/core/interfaces';
import type { TestBroker } from '../../helpers/brokers';
import { PROFILE_MAX_SPEED_MPS } from '../../../nodes/cloud_bridge/params';
import { CONTRACT_VERSION } from '../../../nodes/core/contract';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Cloud, Robot, signedDecision, uniqueRoot, until } from './harness';

/** A full garbage collection, so heap figures measure what is retained, not what awaits collection. */
function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const D = MESSAGE_CONSTANTS['kizuna_msgs/msg/Decision'];

function status(
  id: string,
  state: number,
  source: number = D.SOURCE_CLOUD,
  progress = 0,
): MessageOf<'kizuna_msgs/msg/DecisionStatus'> {
  const m = createMessage('kizuna_msgs/msg/DecisionStatus') as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
  return { ...m, decision_id: id, state, source, kind: D.KIND_NAVIGATE_TO, progress };
}

function world(x: number): MessageOf<'kizuna_msgs/msg/WorldSummary'> {
  const m = createMessage('kizuna_msgs/msg/WorldSummary') as unknown as MessageOf<'kizuna_msgs/msg/WorldSummary'>;
  m.pose_valid = true;
  m.pose.position.x = x;
  m.pose.position.y = 2.345;
  m.pose.orientation.w = 1;
  m.battery_valid = true;
  m.battery_percentage = 0.8;
  m.people_count = 3;
  m.nearest_person_distance = 1.25;
  return m;
}

export interface SuiteTarget {
  name: string;
  /** Starts the broker; undefined skip reason when it can run. */
  start: () => Promise<TestBroker>;
  skip?: string;
  protocols: Array<4 | 5>;
  /** Calls `cb` for every message the broker receives from a client (when the broker can tell). */
  observe?: (broker: TestBroker, cb: (topic: string, payload: Buffer) => void) => void;
}

export function bridgeSuite(target: SuiteTarget): void {
  const d = target.skip ? describe.skip : describe;
  if (target.skip) {
    console.warn(`cloud_bridge suite on ${target.name} skipped: ${target.skip}`);
  }
  for (const protocol of target.protocols) {
    d(`cloud_bridge on ${target.name}, MQTT ${protocol === 5 ? '5' : '3.1.1'}`, () => {
      let broker: TestBroker;
      let cloud: Cloud | undefined;
      let robot: Robot | undefined;
      beforeAll(async () => {
        broker = await target.start();
      });
      afterAll(async () => {
        await broker.close();
      });
      afterEach(async () => {
        await robot?.stop();
        await cloud?.close();
        robot = undefined;
        cloud = undefined;
        await broker.start();
      });

      it('announces itself with a retained birth, keeps it current, and leaves a retained shutdown on clean exit', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol });
        await until(() => cloud!.on('/status').length > 0, 'the birth message');
        const birth = cloud.on('/status')[0]!;
        expect(birth.json).toMatchObject({
          status: 'online',
          robotId: 'care-007',
          fleet: 'tokyo-1',
          profile: 'care',
          // 1.1: this robot checks the signed fleetId, so the national side must send it
          v: CONTRACT_VERSION,
          maxSpeed: PROFILE_MAX_SPEED_MPS.care,
        });
        expect(birth.json.capabilities).toEqual(expect.arrayContaining(['navigate_to', 'perform_task:accompany']));
        await robot.stop();
        robot = undefined;
        await until(() => cloud!.on('/status').some((m) => m.json.status === 'offline'), 'the shutdown status');
        expect(cloud.on('/status').at(-1)!.json).toMatchObject({ status: 'offline', reason: 'shutdown' });
        if (protocol === 5 && target.name === 'mosquitto') {
          expect(cloud.on('/status').at(-1)!.properties).toMatchObject({ contentType: 'application/json' });
        }
        // A late subscriber finds the retained shutdown status.
        const late = await Cloud.connect(broker.url, root, protocol);
        await until(() => late.on('/status').length > 0, 'the retained status');
        expect(late.on('/status')[0]).toMatchObject({ retain: true, json: { status: 'offline', reason: 'shutdown' } });
        await late.close();
      });

      it('sends compact state (≤ 256 bytes) with the care data policy applied, periodically and on significant change', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol, params: { state_period_s: 0.2 } });
        await robot.connected();
        const pub = robot.probe.createPublisher('kizuna_msgs/msg/WorldSummary', 'kizuna/world_summary');
        pub.publish(world(12.34));
        await until(() => cloud!.on('/state').some((m) => Array.isArray(m.json.pose)), 'a state with a pose');
        const st = cloud
          .on('/state')
          .filter((m) => Array.isArray(m.json.pose))
          .at(-1)!;
        expect(st.payload.byteLength).toBeLessThanOrEqual(256);
        expect(st.json).toMatchObject({ v: CONTRACT_VERSION, pose: [12, 2, 0], bat: 0.8, ppl: 3, mode: 'idle' });
        expect(st.retain).toBe(false);
        if (protocol === 5 && target.name === 'mosquitto') {
          expect(st.properties).toMatchObject({ contentType: 'application/json' });
        }
        const before = cloud.on('/state').length;
        await new Promise((r) => setTimeout(r, 700));
        expect(cloud.on('/state').length - before).toBeGreaterThanOrEqual(2);
      });

      it("forwards decision statuses as events with a seq that grows by one, including the robot's own fallback decisions", async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol });
        await robot.connected();
        const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
        pub.publish(status('d-1', DS.STATE_ACCEPTED));
        pub.publish(status('d-1', DS.STATE_ACTIVE));
        pub.publish(status('d-1', DS.STATE_ACTIVE, D.SOURCE_CLOUD, 0.5));
        // 0.1 further: nothing new beyond what state carries (progress_event_step 0.25), so no event
        pub.publish(status('d-1', DS.STATE_ACTIVE, D.SOURCE_CLOUD, 0.6));
        pub.publish({ ...status('d-1', DS.STATE_SUCCEEDED), message: 'arrived next to Mrs Tanaka' });
        pub.publish(status('f-1', DS.STATE_ACTIVE, D.SOURCE_LOCAL_FALLBACK));
        await until(() => cloud!.events().length >= 5, 'five events');
        const evs = cloud.events();
        expect(evs.map((e) => e.type)).toEqual([
          'decision_accepted',
          'decision_started',
          'decision_progress',
          'decision_succeeded',
          'decision_started',
        ]);
        const seqs = evs.map((e) => e.seq as number);
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
        expect(evs[4]).toMatchObject({ decisionId: 'f-1', source: 'local_fallback' });
        // care policy: free text never leaves the robot
        expect(evs[3]!.message).toBeUndefined();
        expect(JSON.stringify(cloud.messages.map((m) => m.json))).not.toContain('Tanaka');
        await until(() => robot!.bridge.store.depth === 0, 'the outbox to empty on PUBACK');
      });

      it('publishes a validated, signed decision on the ROS decision topic, from the robot topic and the fleet broadcast', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol });
        await robot.connected();
        await new Promise((r) => setTimeout(r, 100));
        const task = {
          type: 'perform_task',
          profile: 'care',
          task: 'accompany',
          args: { person_id: 'p-93', destination: { x: 4, y: 2, yaw: 0 } },
        };
        const d1 = signedDecision('care-007', { kind: task });
        await cloud.publish(robot.topics.decision, JSON.stringify(d1));
        const d2 = signedDecision('*', { kind: { type: 'set_speed_limit', speedLimit: 0.3 }, priority: 255 });
        await cloud.publish(robot.topics.broadcastDecision, JSON.stringify(d2));
        await until(() => robot!.decisions.length === 2, 'two decisions on ROS');
        const [a, b] = robot.decisions;
        expect(a).toMatchObject({
          decision_id: d1.decisionId,
          kind: D.KIND_TASK,
          source: D.SOURCE_CLOUD,
          task_name: 'accompany',
        });
        expect(a!.task_args).toEqual(
          expect.arrayContaining([
            { key: 'person_id', value: 'p-93' },
            { key: 'destination', value: '4,2,0' },
          ]),
        );
        expect(b).toMatchObject({
          decision_id: d2.decisionId,
          kind: D.KIND_SET_SPEED_LIMIT,
          source: D.SOURCE_BROADCAST,
          priority: 255,
        });
        expect(b!.speed_limit).toBeCloseTo(0.3, 5);
      });

      it('forwards a decision request (with response topic and correlation data under MQTT 5) and routes the answer', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol });
        await robot.connected();
        const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionRequest', 'kizuna/decision_request');
        const req = createMessage(
          'kizuna_msgs/msg/DecisionRequest',
        ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionRequest'>;
        pub.publish({ ...req, request_id: 'r-1', reason: 1, detail: 'battery low, Mr Sato waiting' });
        await until(() => cloud!.on('/decision/request').length > 0, 'the decision request');
        const m = cloud.on('/decision/request')[0]!;
        expect(m.json).toMatchObject({ requestId: 'r-1', reason: 'idle', profile: 'care', robotId: 'care-007' });
        expect(m.json.detail).toBeUndefined();
        if (protocol === 5 && target.name === 'mosquitto') {
          expect(m.properties).toMatchObject({ responseTopic: robot.topics.decision });
          expect(Buffer.from(m.properties!.correlationData as Buffer).toString()).toBe('r-1');
        }
        const answer = signedDecision('care-007', { requestId: 'r-1' });
        await cloud.publish(robot.topics.decision, JSON.stringify(answer));
        await until(() => robot!.decisions.length === 1, 'the answer on ROS');
        expect(robot.decisions[0]!.decision_id).toBe(answer.decisionId);
      });

      it('rejects every kind of bad decision with its reason on events, counts it in BridgeStatus, and forwards none', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        const t = { decision: `${root}/tokyo-1/care-007/decision` };
        // Retained before the robot connects: found on connect.
        await cloud.publish(t.decision, JSON.stringify(signedDecision('care-007')), { qos: 1, retain: true });
        robot = Robot.start({ url: broker.url, root, protocol });
        await robot.connected();
        const now = Date.now();
        const replayed = signedDecision('care-007');
        const bad: Array<[string, string | Buffer]> = [
          ['NOT_JSON', 'hello'],
          ['SCHEMA_INVALID', JSON.stringify({ ...signedDecision('care-007'), priority: 'high' })],
          ['UNSUPPORTED_VERSION', JSON.stringify(signedDecision('care-007', { v: '2.0' }))],
          ['OVERSIZE', JSON.stringify(signedDecision('care-007')).padEnd(70_000, ' ')],
          [
            'NUMBER_OUT_OF_RANGE',
            JSON.stringify(
              signedDecision('care-007', { kind: { type: 'navigate_to', target: { x: 1e308, y: 0, yaw: 0 } } }),
            ),
          ],
          [
            'SPEED_ABOVE_PROFILE_MAX',
            JSON.stringify(signedDecision('care-007', { kind: { type: 'set_speed_limit', speedLimit: 2 } })),
          ],
          ['EXPIRED', JSON.stringify(signedDecision('care-007', { issuedAt: now - 60_000, expiresAt: now - 1000 }))],
          [
            'FUTURE_DATED',
            JSON.stringify(signedDecision('care-007', { issuedAt: now + 120_000, expiresAt: now + 180_000 })),
          ],
          ['WRONG_ROBOT', JSON.stringify(signedDecision('care-008'))],
          ['WRONG_FLEET', JSON.stringify(signedDecision('care-007', { fleetId: 'osaka-1' }))],
          ['FLEET_MISSING', JSON.stringify(signedDecision('care-007', { fleetId: undefined }))],
          ['UNSIGNED', JSON.stringify((({ signature: _s, keyId: _k, ...rest }) => rest)(signedDecision('care-007')))],
          ['BAD_SIGNATURE', JSON.stringify({ ...signedDecision('care-007'), priority: 200 })],
          ['UNKNOWN_KEY', JSON.stringify({ ...signedDecision('care-007'), keyId: 'national-2099-z' })],
          ['REPLAYED', JSON.stringify(replayed)],
        ];
        await cloud.publish(t.decision, JSON.stringify(replayed));
        await until(() => robot!.decisions.length === 1, 'the first copy of the replayed decision');
        // Clearing the retained decision the documented way (an empty retained message) reaches the
        // subscribed robot as an empty message: no decision, so no rejection (the exact list below).
        await cloud.publish(t.decision, '', { qos: 1, retain: true });
        for (const [, payload] of bad) await cloud.publish(t.decision, payload);
        const expected = ['RETAINED', ...bad.map(([r]) => r)];
        await until(
          () => cloud!.events().filter((e) => e.type === 'decision_rejected').length >= expected.length,
          'every rejection event',
        );
        const reasons = cloud
          .events()
          .filter((e) => e.type === 'decision_rejected')
          .map((e) => e.reason);
        expect([...reasons].sort()).toEqual([...expected].sort());
        for (const e of cloud.events().filter((x) => x.type === 'decision_rejected')) expect(e.by).toBe('bridge');
        expect(robot.decisions).toHaveLength(1);
        await until(
          () => (robot!.lastStatus()?.rejected_count ?? 0n) >= BigInt(expected.length),
          'BridgeStatus counts',
        );
        const st = robot.lastStatus()!;
        expect([...st.reject_reasons].sort()).toEqual([...expected].sort());
        expect(st.reject_counts.every((n) => n === 1n)).toBe(true);
        await cloud.publish(t.decision, '', { qos: 1, retain: true });
      });

      it('stays responsive under a flood of 10,000 bad messages: counts per reason, flat memory, a good decision still gets through', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol });
        await robot.connected();
        forceGc();
        const heapBefore = process.memoryUsage().heapUsed;
        const junk = Buffer.from('{"v":"1.0","not":"a decision"}');
        for (let i = 0; i < 10_000; i++) cloud.client.publish(robot.topics.decision, i % 2 ? junk : 'x', { qos: 0 });
        const good = signedDecision('care-007');
        await cloud.publish(robot.topics.decision, JSON.stringify(good));
        await until(() => robot!.decisions.length === 1, 'the good decision after the flood', 20_000);
        await until(() => cloud!.events().some((e) => e.type === 'rejections_summary'), 'a rejections summary', 5000);
        const individual = (): number => cloud!.events().filter((e) => e.type === 'decision_rejected').length;
        const summarised = (): number =>
          cloud!
            .events()
            .filter((e) => e.type === 'rejections_summary')
            .reduce((n, e) => n + Object.values(e.counts as Record<string, number>).reduce((a, b) => a + b, 0), 0);
        // Every rejection is accounted for on events, one by one or in a summary (loss is never silent).
        await until(
          () => {
            const counted = Number(robot!.lastStatus()?.rejected_count ?? 0n);
            return counted >= 9_000 && individual() + summarised() === counted;
          },
          'every rejection to be reported',
          10_000,
        );
        expect(individual()).toBeLessThan(200);
        forceGc();
        // The flood itself is transient: what stays is bounded (no per-message retention).
        expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
        expect(robot.heartbeats.length).toBeGreaterThan(0);
      }, 40_000);

      it('keeps events through a broker outage and delivers them all, in order, after the restart', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol, { reconnectPeriod: 50 });
        // Counted at the broker where it can (aedes); on mosquitto by a subscriber that reconnects
        // faster than the bridge's backoff lets it.
        const atBroker: Array<Record<string, unknown>> = [];
        const brokerSide = target.observe !== undefined;
        target.observe?.(broker, (topic, payload) => {
          // (a zero-length message is the bridge clearing stray retained ones at connect: not an event)
          if (topic.startsWith(root) && topic.endsWith('/events') && payload.length > 0)
            atBroker.push(JSON.parse(payload.toString()) as Record<string, unknown>);
        });
        const seen = (): Array<Record<string, unknown>> => (brokerSide ? atBroker : cloud!.events());
        robot = Robot.start({ url: broker.url, root, protocol, params: { reconnect_min_s: 0.5, reconnect_max_s: 1 } });
        await robot.connected();
        const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
        pub.publish(status('before', DS.STATE_ACCEPTED));
        await until(() => seen().length === 1, 'the first event');
        await until(() => robot!.bridge.store.depth === 0, 'its PUBACK');
        await broker.stop();
        await until(() => !robot!.bridge.link.connected, 'the bridge to notice the outage');
        await until(() => robot!.lastStatus()?.connected === false, 'BridgeStatus connected=false');
        // Subscriptions keep the last 10 (ROS default QoS): let the executor deliver between batches.
        for (let i = 0; i < 50; i++) {
          pub.publish(status(`during-${i}`, DS.STATE_ACCEPTED));
          if (i % 5 === 4) await robot.graph.flush();
        }
        await until(() => robot!.bridge.store.depth === 50, 'fifty events in the outbox');
        await until(() => (robot!.lastStatus()?.outbox_depth ?? 0) === 50, 'BridgeStatus outbox_depth 50');
        await broker.start();
        await until(() => new Set(seen().map((e) => e.seq)).size >= 51, 'every event after the restart', 15_000);
        const seqs = [...new Set(seen().map((e) => e.seq as number))];
        expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
        expect(seqs).toHaveLength(51);
        await until(() => robot!.bridge.store.depth === 0, 'the outbox to empty');
        await until(() => robot!.lastStatus()?.connected === true, 'BridgeStatus connected=true');
      }, 30_000);

      it('starts with the broker down, keeps trying with backoff, and connects with a birth once it is up', async () => {
        const root = uniqueRoot();
        await broker.stop();
        robot = Robot.start({
          url: broker.url,
          root,
          protocol,
          params: { reconnect_min_s: 0.05, reconnect_max_s: 0.3 },
        });
        await until(() => robot!.bridge.link.lastError !== '', 'a refused attempt');
        expect(robot.bridge.link.connected).toBe(false);
        await until(() => robot!.lastStatus()?.connected === false, 'BridgeStatus connected=false');
        await broker.start();
        cloud = await Cloud.connect(broker.url, root, protocol);
        await robot.connected();
        await until(() => cloud!.on('/status').some((m) => m.json.status === 'online'), 'the birth');
      });

      it('survives a session takeover storm: two bridges with one client id back off instead of fighting in a tight loop', async () => {
        const root = uniqueRoot();
        robot = Robot.start({
          url: broker.url,
          root,
          protocol,
          params: { client_id: 'same-id', reconnect_min_s: 0.1, reconnect_max_s: 1 },
        });
        await robot.connected();
        const twin = Robot.start({
          url: broker.url,
          root,
          protocol,
          robotId: 'care-009',
          params: { client_id: 'same-id', reconnect_min_s: 0.1, reconnect_max_s: 1 },
        });
        try {
          await new Promise((r) => setTimeout(r, 2000));
          const connects = robot.bridge.link.connects + twin.bridge.link.connects;
          // Without backoff this is hundreds per second; with it, a handful.
          expect(connects).toBeGreaterThanOrEqual(2);
          expect(connects).toBeLessThan(40);
        } finally {
          await twin.stop();
        }
        // The survivor gets the link back.
        await robot.connected();
      });

      it('remembers accepted decisionIds across a restart of the bridge: the same decision again is REPLAYED', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol });
        await robot.connected();
        const d = JSON.stringify(signedDecision('care-007'));
        await cloud.publish(robot.topics.decision, d);
        await until(() => robot!.decisions.length === 1, 'the decision');
        const dir = robot.dir;
        await robot.stop(true);
        robot = Robot.start({ url: broker.url, root, protocol, dir });
        await robot.connected();
        await new Promise((r) => setTimeout(r, 100));
        await cloud.publish(robot.topics.decision, d);
        await until(() => cloud!.events().some((e) => e.reason === 'REPLAYED'), 'the REPLAYED rejection');
        expect(robot.decisions).toHaveLength(0);
      });

      it('never loses silently: a full outbox drops telemetry first and reports exactly the dropped seqs in a loss event', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol, { reconnectPeriod: 50 });
        robot = Robot.start({
          url: broker.url,
          root,
          protocol,
          params: {
            outbox_soft_max_messages: 10,
            outbox_max_messages: 20,
            reconnect_min_s: 0.5,
            reconnect_max_s: 1,
            progress_event_step: 0, // every progress report is telemetry in the outbox
          },
        });
        await robot.connected();
        await broker.stop();
        await until(() => !robot!.bridge.link.connected, 'the outage');
        const pub = robot.probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
        // 15 progress reports (telemetry) and 15 lifecycle events, interleaved.
        for (let i = 0; i < 15; i++) {
          pub.publish(status('long-task', DS.STATE_ACTIVE, D.SOURCE_CLOUD, (i + 1) / 20));
          pub.publish(status(`short-${i}`, DS.STATE_ACCEPTED));
          await robot.graph.flush();
        }
        await until(() => robot!.bridge.store.pendingLoss() !== undefined, 'a drop');
        await broker.start();
        await until(() => cloud!.events().some((e) => e.type === 'loss'), 'the loss event', 15_000);
        await until(() => robot!.bridge.store.depth === 0, 'the outbox to drain');
        const evs = cloud.events();
        const loss = evs.find((e) => e.type === 'loss')!;
        const got = new Set(evs.map((e) => e.seq as number));
        const last = Math.max(...got);
        const missing: number[] = [];
        for (let q = 1; q <= last; q++) if (!got.has(q)) missing.push(q);
        expect(missing.length).toBeGreaterThan(0);
        expect(loss.droppedTelemetry as number).toBe(missing.length - (loss.droppedEvents as number));
        expect(loss.firstSeq).toBe(Math.min(...missing));
        expect(loss.lastSeq).toBe(Math.max(...missing));
        // Lifecycle events survive: telemetry went first.
        expect(evs.filter((e) => e.type === 'decision_accepted')).toHaveLength(15);
        expect(Number(robot.lastStatus()?.outbox_dropped_count ?? 0n)).toBe(missing.length);
      }, 30_000);

      it('has the broker publish its last will (offline, connection_lost) when the link dies without a DISCONNECT', async () => {
        const root = uniqueRoot();
        cloud = await Cloud.connect(broker.url, root, protocol);
        robot = Robot.start({ url: broker.url, root, protocol, params: { keepalive_s: 5 } });
        await robot.connected();
        await until(() => cloud!.on('/status').length === 1, 'the birth');
        // Cut the TCP connection under the client: the broker sees a dead link, not a DISCONNECT.
        const client = (robot.bridge.link as unknown as { client: { stream: { destroy(): void } } }).client;
        client.stream.destroy();
        await until(() => cloud!.on('/status').some((m) => m.json.reason === 'connection_lost'), 'the last will');
        // ...and the bridge comes back with a new birth.
        await until(() => cloud!.on('/status').at(-1)!.json.status === 'online', 'the new birth');
      });
    });
  }
}
