/**
 * A person on site always wins (issue 18), through the whole robot stack on one graph: perception,
 * safety_gate, executive, health and cloud_bridge (started as the sim starts them, from the care
 * profile file) with an MQTT broker (aedes) and a national side that signs its decisions. The robot
 * drives a cloud decision; a LocalCommand PAUSE stops it; a signed, valid decision of the highest
 * priority sent while paused is refused (LOCAL_PAUSE) and the robot does not move; the person's RESUME
 * lets the held decision go on; the national side hears of both, with the care profile's data policy
 * (count and duration only). Run on the in-process graph (test/integration/local-pause-inprocess.test.ts)
 * and on rclnodejs against real ROS 2 (test/ros2/local-pause-rclnodejs.test.ts); wall time on both.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RosGraph, RosNode } from '../../nodes/core/graph/types';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { TOPICS } from '../../nodes/core/topics';
import { createMessage } from '../../nodes/core/interfaces/validate';
import { startRobotStack, type RobotStack } from '../../sim/fleet/robot-stack';
import { startAedes, type AedesBroker } from '../helpers/brokers';
import { Cloud, TEST_KEYS_JSON, signedDecision, topicsOf, uniqueRoot, until } from './cloud_bridge/harness';

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const DS = MESSAGE_CONSTANTS['kizuna_msgs/msg/DecisionStatus'];
const LC = MESSAGE_CONSTANTS['kizuna_msgs/msg/LocalCommand'];
const ROBOT = 'care7';
const FLEET = 'tokyo-1';

/** A clear 360° scan with everything 6 m away. */
function scan(stamp: { sec: number; nanosec: number }) {
  const n = 360;
  return {
    header: { stamp, frame_id: 'laser' },
    angle_min: -Math.PI,
    angle_max: Math.PI - (2 * Math.PI) / n,
    angle_increment: (2 * Math.PI) / n,
    time_increment: 0,
    scan_time: 0.1,
    range_min: 0.05,
    range_max: 12,
    ranges: new Array<number>(n).fill(6),
    intensities: [],
  };
}

export function localPauseSuite(name: string, makeGraph: () => Promise<RosGraph>): void {
  describe(`local pause through the whole stack (${name})`, () => {
    let graph: RosGraph;
    let broker: AedesBroker;
    let cloud: Cloud;
    let stack: RobotStack;
    let dir: string;
    let timer: NodeJS.Timeout | undefined;
    const cmds: Array<{ t: number; v: number; w: number }> = [];
    const statuses: Array<{ id: string; state: number; code: string }> = [];
    let safety: { state: number; reason: number; paused: boolean } | undefined;
    let driver: RosNode;
    const root = uniqueRoot();
    const ns = `/${ROBOT}`;

    beforeAll(async () => {
      broker = await startAedes();
      graph = await makeGraph();
      dir = mkdtempSync(join(tmpdir(), 'kizuna-local-pause-'));
      writeFileSync(join(dir, 'keys.json'), TEST_KEYS_JSON);
      cloud = await Cloud.connect(broker.url, root, 4);
      stack = startRobotStack(graph, {
        robotId: ROBOT,
        profile: 'care',
        fleet: FLEET,
        brokerUrl: broker.url,
        mqttVersion: 4,
        trustedKeysFile: join(dir, 'keys.json'),
        storeDir: dir,
        dockPose: { x: 0, y: 0, yaw: 0 },
        geofence: [],
        useSimTime: false,
        overrides: { cloud_bridge: { topic_root: root, client_id: `kizuna-pause-${process.pid}-${name}` } },
      });
      driver = graph.createNode('pause_test_driver', { namespace: ns });
      const reliable = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 } as const;
      const pubs = {
        scan: driver.createPublisher('sensor_msgs/msg/LaserScan', `${ns}/${TOPICS.scan}`, 'sensor_data'),
        odom: driver.createPublisher('nav_msgs/msg/Odometry', `${ns}/${TOPICS.odom}`, 'sensor_data'),
        estop: driver.createPublisher('std_msgs/msg/Bool', `${ns}/${TOPICS.estop}`, reliable),
        people: driver.createPublisher('geometry_msgs/msg/PoseArray', `${ns}/${TOPICS.people}`, 'sensor_data'),
        battery: driver.createPublisher('sensor_msgs/msg/BatteryState', `${ns}/${TOPICS.battery}`, 'sensor_data'),
      };
      // the base: integrates the gate's output into odometry
      const pose = { x: 0, y: 0, yaw: 0 };
      let twist = { v: 0, w: 0 };
      driver.createSubscription(
        'geometry_msgs/msg/Twist',
        `${ns}/${TOPICS.cmdVel}`,
        (m) => {
          twist = { v: m.linear.x, w: m.angular.z };
          cmds.push({ t: Date.now(), ...twist });
        },
        reliable,
      );
      driver.createSubscription('kizuna_msgs/msg/SafetyState', `${ns}/${TOPICS.safetyState}`, (m) => {
        safety = { state: m.state, reason: m.limiting_reason, paused: m.local_pause };
      });
      driver.createSubscription(
        'kizuna_msgs/msg/DecisionStatus',
        `${ns}/${TOPICS.decisionStatus}`,
        (m) => statuses.push({ id: m.decision_id, state: m.state, code: m.reason_code }),
        { ...reliable, depth: 50 },
      );
      const dt = 0.05;
      timer = setInterval(() => {
        pose.x += twist.v * Math.cos(pose.yaw) * dt;
        pose.y += twist.v * Math.sin(pose.yaw) * dt;
        pose.yaw += twist.w * dt;
        const stamp = driver.now();
        pubs.scan.publish(scan(stamp) as never);
        pubs.odom.publish({
          header: { stamp, frame_id: 'odom' },
          child_frame_id: 'base_link',
          pose: {
            pose: {
              position: { x: pose.x, y: pose.y, z: 0 },
              orientation: { x: 0, y: 0, z: Math.sin(pose.yaw / 2), w: Math.cos(pose.yaw / 2) },
            },
            covariance: new Array<number>(36).fill(0),
          },
          twist: {
            twist: { linear: { x: twist.v, y: 0, z: 0 }, angular: { x: 0, y: 0, z: twist.w } },
            covariance: new Array<number>(36).fill(0),
          },
        } as never);
        pubs.estop.publish({ data: false });
        pubs.people.publish({ header: { stamp, frame_id: 'base_link' }, poses: [] });
        pubs.battery.publish({
          ...(createMessage('sensor_msgs/msg/BatteryState') as object),
          header: { stamp, frame_id: '' },
          percentage: 0.9,
          voltage: 24,
          present: true,
        } as never);
      }, dt * 1000);
      await until(() => stack.bridge.link.connected, 'the bridge to connect', 15_000);
      // the stack is up and its topics matched (real DDS discovers them in its own time): the gate
      // reports, and the executive's idle requests reach the national side through the bridge
      await until(() => safety !== undefined, 'a SafetyState from the gate', 15_000);
      await until(
        () => cloud.events().some((e) => e.type === 'decision_requested'),
        "the executive's first decision request at the national side",
        15_000,
      );
    }, 60_000);

    afterAll(async () => {
      if (timer) clearInterval(timer);
      await stack?.bridge.stop();
      await graph?.shutdown();
      await cloud?.close();
      await broker?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const moving = (since: number): boolean => cmds.some((c) => c.t >= since && Math.abs(c.v) > 0.01);
    const topics = topicsOf(root, ROBOT);

    it('stops at once for a local pause, refuses a valid top-priority decision meanwhile, goes on after the local resume', async () => {
      const a = signedDecision(ROBOT, { kind: { type: 'navigate_to', target: { x: 20, y: 0, yaw: 0 } } });
      await cloud.publish(topics.decision, JSON.stringify(a));
      const t0 = Date.now();
      await until(() => moving(t0), 'the robot to drive the first decision', 15_000);

      const cmd = driver.createPublisher('kizuna_msgs/msg/LocalCommand', `${ns}/${TOPICS.localCommand}`, {
        reliability: 'reliable',
        durability: 'volatile',
        history: 'keep_last',
        depth: 10,
      });
      await new Promise((r) => setTimeout(r, 300)); // discovery on real ROS 2
      const localCommand = (command: number) =>
        cmd.publish({
          header: { stamp: driver.now(), frame_id: '' },
          command,
          source: 'touch',
          reason: 'the resident asked it to wait',
        });
      localCommand(LC.COMMAND_PAUSE);
      await until(() => safety?.paused === true, 'SafetyState to say local_pause', 5000);
      expect(safety).toMatchObject({ state: SS.STATE_STOP, reason: SS.REASON_LOCAL_PAUSE });
      await until(() => cmds.at(-1)?.v === 0, 'a zero command', 2000);

      // a signed, valid decision of the highest priority, somewhere else: refused, and nothing moves
      const b = signedDecision(ROBOT, {
        priority: 255,
        kind: { type: 'navigate_to', target: { x: -3, y: 2, yaw: 0 } },
      });
      const tb = Date.now();
      await cloud.publish(topics.decision, JSON.stringify(b));
      await until(
        () => statuses.some((s) => s.id === b.decisionId && s.state === DS.STATE_REJECTED),
        'the paused robot to refuse the decision',
        8000,
      );
      expect(statuses.find((s) => s.id === b.decisionId && s.state === DS.STATE_REJECTED)!.code).toBe('LOCAL_PAUSE');
      await new Promise((r) => setTimeout(r, 1500));
      expect(cmds.filter((c) => c.t >= tb).every((c) => c.v === 0 && c.w === 0)).toBe(true);
      expect(statuses.some((s) => s.id === b.decisionId && s.state === DS.STATE_ACCEPTED)).toBe(false);

      // the person resumes: the held decision goes on
      const tr = Date.now();
      localCommand(LC.COMMAND_RESUME);
      await until(() => safety?.paused === false, 'SafetyState to end the pause', 5000);
      await until(() => moving(tr), 'the robot to drive on', 8000);
      expect(statuses.some((s) => s.id === a.decisionId && s.code === 'LOCAL_RESUME')).toBe(true);

      // the national side heard: paused, refused, resumed; care keeps only counts and durations
      await until(
        () => cloud.events().some((e) => e.type === 'resumed_by_person'),
        'the resume event at the national side',
        8000,
      );
      const ev = cloud.events();
      const paused = ev.find((e) => e.type === 'paused_by_person')!;
      const resumed = ev.find((e) => e.type === 'resumed_by_person')!;
      expect(paused).toMatchObject({ count: 1 });
      expect(resumed).toMatchObject({ count: 1 });
      expect(resumed.pausedS).toBeGreaterThan(1);
      for (const e of [paused, resumed]) {
        expect(e).not.toHaveProperty('input');
        expect(e).not.toHaveProperty('pose');
        expect(e).not.toHaveProperty('decisionId');
      }
      expect(
        ev.some((e) => e.type === 'decision_rejected' && e.decisionId === b.decisionId && e.reason === 'LOCAL_PAUSE'),
      ).toBe(true);
    }, 60_000);
  });
}
