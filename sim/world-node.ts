/**
 * sim_world: kizuna's built-in sim standing in for Gazebo and its ros_gz bridge on a ROS graph, so that
 * `ros2 launch kizuna sim_gazebo.launch.py gazebo:=false` runs its kizuna part for real where Gazebo is not
 * installed. One robot of a scenario (by default sim/gazebo/kizuna_station.yaml, the Gazebo world as a
 * scenario) steps in a World on the wall clock, and the ROS side of the ros_gz bridge configuration
 * (`config_file`, the bridge's own parameter; by default sim/gazebo/bridge.yaml) is served as the bridge
 * would: each GZ_TO_ROS entry published on its ROS name and type from the World (`/clock` at every step,
 * scans, odometry, IMU and battery when due), each ROS_TO_GZ `geometry_msgs/msg/Twist` read into the
 * robot's drive. A bridge entry the World cannot serve stops the start, naming it.
 *
 * It publishes /clock itself, so it runs on the wall clock: started with use_sim_time true, it refuses.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { KizunaError } from '../nodes/core/errors';
import type { Publisher, RosNode } from '../nodes/core/graph/types';
import type { NodeDefinition } from '../nodes/core/runner';
import { PROFILE_NAMES, type ProfileName } from '../nodes/core/profiles';
import { printable } from '../nodes/core/printable';
import { readTextFile } from '../nodes/core/text-file';
import { parseYamlSafe } from '../nodes/core/yaml-safe';
import { composePose } from './geometry';
import {
  batteryStateMessage,
  clockMessage,
  commandFromTwist,
  imuMessage,
  laserScanMessage,
  odometryMessage,
  robotFrames,
} from './messages';
import { loadScenario, scenarioWorld } from './scenario';
import { World, type RobotReadings } from './world';

export const paramsSchema = z.object({
  scenario: z
    .string()
    .default('')
    .describe('scenario file of the built-in sim (empty: sim/gazebo/kizuna_station.yaml, the Gazebo world)'),
  robot: z.string().default('').describe('the scenario robot to simulate (empty: its first robot)'),
  profile: z
    .enum(['', ...PROFILE_NAMES])
    .default('')
    .describe("the robot's profile, for its footprint, drive limits and lidar layout (empty: the scenario's)"),
  config_file: z
    .string()
    .default('')
    .describe('ros_gz_bridge configuration whose ROS side to serve (empty: sim/gazebo/bridge.yaml)'),
});

const entrySchema = z.object({
  ros_topic_name: z.string().min(1),
  gz_topic_name: z.string().min(1),
  ros_type_name: z.string().min(1),
  gz_type_name: z.string().min(1),
  direction: z.enum(['GZ_TO_ROS', 'ROS_TO_GZ', 'BIDIRECTIONAL']).default('BIDIRECTIONAL'),
});
/** One entry of a ros_gz_bridge configuration file. */
export type BridgeEntry = z.infer<typeof entrySchema>;

/** The ROS types the World can publish (GZ_TO_ROS) or read (ROS_TO_GZ). */
const SERVED_OUT = [
  'rosgraph_msgs/msg/Clock',
  'sensor_msgs/msg/LaserScan',
  'nav_msgs/msg/Odometry',
  'sensor_msgs/msg/Imu',
  'sensor_msgs/msg/BatteryState',
] as const;
const SERVED_IN = ['geometry_msgs/msg/Twist'] as const;

/** The folder holding sim/gazebo (the source tree, or share/kizuna once installed), from this file up. */
function gazeboDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const g = join(dir, 'sim', 'gazebo');
    if (existsSync(join(g, 'bridge.yaml'))) return g;
  }
  return join(__dirname, 'gazebo');
}

/** Reads and checks a ros_gz_bridge configuration (a YAML list of entries). */
export function readBridgeConfig(file: string): BridgeEntry[] {
  const fail = (why: string): never => {
    throw new KizunaError('KZ_ERR_PARAM_INVALID', `sim_world: config_file '${printable(file, 160)}' ${why}`);
  };
  const text = readTextFile(file, 1_000_000);
  if (!text.ok) return fail(text.why);
  const parsed = parseYamlSafe(text.text, { maxDepth: 8, maxAliasCount: 0 });
  if (!parsed.ok) return fail(parsed.why);
  const r = z.array(entrySchema).min(1).safeParse(parsed.data);
  if (!r.success) return fail(`is not a ros_gz_bridge list of topics: ${r.error.issues[0]?.message ?? ''}`);
  for (const e of r.data) {
    const served: readonly string[] =
      e.direction === 'GZ_TO_ROS' ? SERVED_OUT : e.direction === 'ROS_TO_GZ' ? SERVED_IN : [];
    if (!served.includes(e.ros_type_name)) {
      fail(
        `maps ${e.ros_topic_name} (${e.ros_type_name}, ${e.direction}), which the built-in sim cannot serve ` +
          `(GZ_TO_ROS: ${SERVED_OUT.join(', ')}; ROS_TO_GZ: ${SERVED_IN.join(', ')})`,
      );
    }
  }
  return r.data;
}

/** Wires sim_world onto `node`. */
export function start(node: RosNode): void {
  const p = node.declareParameters(paramsSchema);
  if (node.getParameter('use_sim_time') === true) {
    throw new KizunaError(
      'KZ_ERR_PARAM_INVALID',
      'sim_world: use_sim_time must be false: this node publishes /clock from the wall clock',
    );
  }
  const gz = gazeboDir();
  const scenario = loadScenario(p.scenario || join(gz, 'kizuna_station.yaml'));
  const robotCfg = p.robot ? scenario.robots.find((r) => r.id === p.robot) : scenario.robots[0];
  if (!robotCfg) {
    throw new KizunaError(
      'KZ_ERR_PARAM_INVALID',
      `sim_world: robot '${printable(p.robot, 64)}' is not in the scenario (it has ${scenario.robots.map((r) => r.id).join(', ')})`,
    );
  }
  const profile: ProfileName = p.profile || robotCfg.profile;
  const one = { ...scenario, robots: [{ ...robotCfg, profile }] };
  const w = scenarioWorld(one);
  const world = new World(w.map, w.robots, w.people, w.options);
  const cfg = w.robots[0]!;
  const frames = robotFrames();
  const entries = readBridgeConfig(p.config_file || join(gz, 'bridge.yaml'));

  // The bridge's default QoS (rclcpp::QoS(10): reliable, volatile, keep_last 10) on each ROS side.
  const qos = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 } as const;
  const out: Array<{ entry: BridgeEntry; pub: Publisher<never> }> = [];
  for (const e of entries) {
    if (e.direction === 'GZ_TO_ROS') {
      if (
        e.ros_type_name === 'sensor_msgs/msg/LaserScan' &&
        !cfg.lidars.some((l) => l.topic === baseName(e.ros_topic_name))
      ) {
        throw new KizunaError(
          'KZ_ERR_PARAM_INVALID',
          `sim_world: the bridge publishes a scan on ${e.ros_topic_name}, but the ${profile} robot's lidars are on ` +
            cfg.lidars.map((l) => l.topic).join(', '),
        );
      }
      out.push({
        entry: e,
        pub: node.createPublisher(e.ros_type_name as 'std_msgs/msg/String', e.ros_topic_name, qos) as Publisher<never>,
      });
    } else {
      node.createSubscription(
        'geometry_msgs/msg/Twist',
        e.ros_topic_name,
        (m) => world.setCommand(cfg.id, commandFromTwist(m)),
        qos,
      );
    }
  }

  const publish = (t: number, r: RobotReadings | undefined): void => {
    for (const { entry, pub } of out) {
      let msg: unknown;
      switch (entry.ros_type_name) {
        case 'rosgraph_msgs/msg/Clock':
          msg = clockMessage(t);
          break;
        case 'sensor_msgs/msg/LaserScan': {
          const s = r?.scans?.find((x) => x.topic === baseName(entry.ros_topic_name));
          if (s) msg = laserScanMessage(s.scan, s.frame);
          break;
        }
        case 'nav_msgs/msg/Odometry':
          // the odom frame at the map origin, as the built-in sim and the Gazebo robot (started there) have it
          if (r?.odom) msg = odometryMessage({ ...r.odom, pose: composePose(cfg.start, r.odom.pose) }, frames);
          break;
        case 'sensor_msgs/msg/Imu':
          if (r?.imu)
            msg = imuMessage(r.imu, frames, cfg.noise.gyroStdRadps, cfg.noise.accelStdMps2, world.options.dtS);
          break;
        case 'sensor_msgs/msg/BatteryState':
          if (r?.battery) msg = batteryStateMessage(r.battery, frames);
          break;
        default:
          break;
      }
      if (msg !== undefined) pub.publish(msg as never);
    }
  };

  const dt = world.options.dtS;
  node.createTimer(dt, () => {
    const rep = world.step();
    publish(
      rep.t,
      rep.readings.find((x) => x.robotId === cfg.id),
    );
  });
  node.logger.info(
    `sim_world: robot ${cfg.id} (${profile}) of scenario ${scenario.name} at (${cfg.start.x}, ${cfg.start.y}), ` +
      `stepping ${dt} s on the wall clock; serving ${entries.map((e) => e.ros_topic_name).join(', ')}`,
  );
}

/** The last segment of a topic name (`/robot/scan` → `scan`): how a lidar's topic is matched. */
function baseName(topic: string): string {
  return topic.slice(topic.lastIndexOf('/') + 1);
}

export const definition: NodeDefinition = { name: 'sim_world', start };
