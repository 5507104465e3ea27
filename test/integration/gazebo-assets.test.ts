/**
 * sim/gazebo/ and launch/sim_gazebo.launch.py, checked without Gazebo (which was not run here):
 * the ros_gz bridge maps exactly the ROS topic names and types kizuna's nodes use (read from the nodes'
 * parameter defaults and their own createSubscription / createPublisher calls) and the built-in sim
 * carries; each gz topic it names is one the SDF publishes or subscribes; the robot model matches the
 * profiles it is meant for (lidar frame and pose); the SDF, model config and launch XML are well-formed
 * XML and the Gazebo launch file is valid Python naming files that exist.
 */
import { describe, it, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TOPICS } from '../../nodes/core/topics';
import { messageDefinition } from '../../nodes/core/interfaces';
import { loadParamsFile, overridesForNode } from '../../nodes/core/graph/ros-args';
import { paramsSchema as perceptionSchema } from '../../nodes/perception/params';
import { paramsSchema as gateSchema } from '../../nodes/safety_gate/params';
import { robotTopics } from '../../sim/messages';
import { loadScenario } from '../../sim/scenario';

const root = join(__dirname, '..', '..');
const gz = join(root, 'sim', 'gazebo');

interface BridgeEntry {
  ros_topic_name: string;
  gz_topic_name: string;
  ros_type_name: string;
  gz_type_name: string;
  direction: 'GZ_TO_ROS' | 'ROS_TO_GZ' | 'BIDIRECTIONAL';
}
const bridge = parseYaml(readFileSync(join(gz, 'bridge.yaml'), 'utf8')) as BridgeEntry[];
const byRos = new Map(bridge.map((e) => [e.ros_topic_name, e]));

/** ros_gz_bridge's pairs of gz and ROS types (its README's table), for the types used here. */
const GZ_FOR_ROS: Record<string, string> = {
  'rosgraph_msgs/msg/Clock': 'gz.msgs.Clock',
  'geometry_msgs/msg/Twist': 'gz.msgs.Twist',
  'sensor_msgs/msg/LaserScan': 'gz.msgs.LaserScan',
  'nav_msgs/msg/Odometry': 'gz.msgs.Odometry',
  'sensor_msgs/msg/Imu': 'gz.msgs.IMU',
  'sensor_msgs/msg/BatteryState': 'gz.msgs.BatteryState',
};

/**
 * Parameter name → message type, from a node's createSubscription / createPublisher calls (or the managed
 * resources' subscription / publisher, nodes/core/managed.ts).
 */
function typesByParam(nodeFile: string): Map<string, { type: string; kind: 'sub' | 'pub' }> {
  const src = readFileSync(join(root, 'nodes', nodeFile), 'utf8');
  const out = new Map<string, { type: string; kind: 'sub' | 'pub' }>();
  for (const m of src.matchAll(
    /(?:create|\.)(Subscription|Publisher|subscription|publisher)\(\s*'([^']+)',\s*([^,\n]+),/g,
  )) {
    const kind = m[1]!.toLowerCase() === 'subscription' ? 'sub' : 'pub';
    const type = m[2] as string;
    const expr = (m[3] as string).trim();
    const param = /^p\.(\w+)$/.exec(expr)?.[1] ?? (type === 'sensor_msgs/msg/LaserScan' ? 'scan_topics' : expr);
    if (!out.has(param)) out.set(param, { type, kind });
  }
  return out;
}

/** The schema default of one parameter. */
function defaultOf(schema: { shape: Record<string, unknown> }, key: string): unknown {
  return (schema.shape[key] as { parse: (v: unknown) => unknown }).parse(undefined);
}

function xmlCheck(file: string, code: string): string {
  const r = spawnSync('python3', ['-c', code, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('ros_gz bridge configuration', () => {
  it('bridges exactly clock, cmd_vel, scan, odom, imu and battery_state, each with the gz type ros_gz_bridge pairs with it', () => {
    expect([...byRos.keys()].sort()).toEqual(['/clock', 'battery_state', 'cmd_vel', 'imu', 'odom', 'scan']);
    for (const e of bridge) {
      expect(() => messageDefinition(e.ros_type_name)).not.toThrow();
      expect(e.gz_type_name).toBe(GZ_FOR_ROS[e.ros_type_name]);
      expect(e.direction).toBe(e.ros_topic_name === TOPICS.cmdVel ? 'ROS_TO_GZ' : 'GZ_TO_ROS');
    }
  });

  it('uses the names and types the nodes use: their parameter defaults and their own subscriptions', () => {
    const gate = typesByParam('safety_gate/node.ts');
    const perception = typesByParam('perception/node.ts');
    const expectEntry = (ros: string, type: string): void => {
      expect(byRos.get(ros)?.ros_type_name).toBe(type);
    };
    // base command: the gate publishes it
    expect(defaultOf(gateSchema, 'cmd_out_topic')).toBe(TOPICS.cmdVel);
    expect(gate.get('cmd_out_topic')).toEqual({ type: 'geometry_msgs/msg/Twist', kind: 'pub' });
    expectEntry(TOPICS.cmdVel, 'geometry_msgs/msg/Twist');
    // sensors: both nodes subscribe
    for (const [param, topic] of [
      ['odom_topic', TOPICS.odom],
      ['imu_topic', TOPICS.imu],
      ['battery_topic', TOPICS.battery],
    ] as const) {
      expect(defaultOf(perceptionSchema, param)).toBe(topic);
      const used = perception.get(param);
      expect(used?.kind).toBe('sub');
      expectEntry(topic, used?.type as string);
    }
    expect(gate.get('odom_topic')?.type).toBe(byRos.get(TOPICS.odom)?.ros_type_name);
    expect(defaultOf(gateSchema, 'scan_topics')).toEqual([TOPICS.scan]);
    expect(defaultOf(perceptionSchema, 'scan_topics')).toEqual([TOPICS.scan]);
    expect(gate.get('scan_topics')?.type).toBe('sensor_msgs/msg/LaserScan');
    expect(perception.get('scan_topics')?.type).toBe('sensor_msgs/msg/LaserScan');
    expectEntry(TOPICS.scan, 'sensor_msgs/msg/LaserScan');
    // sim time: what every graph subscribes when use_sim_time is true
    const graphSrc = readFileSync(join(root, 'nodes', 'core', 'graph', 'inprocess', 'graph.ts'), 'utf8');
    expect(graphSrc).toMatch(/'rosgraph_msgs\/msg\/Clock',\s*'\/clock'/);
    expectEntry('/clock', 'rosgraph_msgs/msg/Clock');
  });

  it('matches what the built-in sim carries for a one-lidar robot: same names, types and directions', () => {
    const sim = robotTopics([{ topic: 'scan', frame: 'laser' }]);
    for (const e of bridge) {
      const same = sim.find((t) => t.topic === e.ros_topic_name);
      expect({ topic: e.ros_topic_name, type: same?.type, direction: same?.direction }).toEqual({
        topic: e.ros_topic_name,
        type: e.ros_type_name,
        direction: e.direction === 'ROS_TO_GZ' ? 'in' : 'out',
      });
    }
  });
});

describe('Gazebo SDF', () => {
  const modelFile = join(gz, 'models', 'kizuna_robot', 'model.sdf');
  const worldFile = join(gz, 'worlds', 'kizuna_station.sdf');

  /** The facts the test needs from the model, read with Python's XML parser. */
  const model = JSON.parse(
    xmlCheck(
      modelFile,
      `
import json, sys, xml.etree.ElementTree as ET
m = ET.parse(sys.argv[1]).getroot().find('model')
out = {'sensors': {}, 'plugins': {}}
for link in m.findall('link'):
    pose = [float(x) for x in (link.findtext('pose') or '0 0 0 0 0 0').split()]
    for s in link.findall('sensor'):
        out['sensors'][s.get('type')] = {'topic': s.findtext('topic'), 'frame': s.findtext('gz_frame_id'), 'link': link.get('name'), 'pose': pose}
for p in m.findall('plugin'):
    out['plugins'][p.get('name')] = {c.tag: c.text for c in p}
print(json.dumps(out))
`,
    ),
  ) as {
    sensors: Record<string, { topic: string; frame: string; link: string; pose: number[] }>;
    plugins: Record<string, Record<string, string>>;
  };

  it('is well-formed: world, model and model config parse as XML', () => {
    for (const f of [worldFile, modelFile, join(gz, 'models', 'kizuna_robot', 'model.config')]) {
      expect(
        xmlCheck(f, 'import sys, xml.etree.ElementTree as ET; print(ET.parse(sys.argv[1]).getroot().tag)'),
      ).toMatch(/^(sdf|model)$/);
    }
  });

  it('publishes on every gz topic the bridge reads and listens on the one it writes', () => {
    const diff = model.plugins['gz::sim::systems::DiffDrive'] ?? {};
    const battery = model.plugins['gz::sim::systems::LinearBatteryPlugin'] ?? {};
    const gzTopics: Record<string, string> = {
      scan: model.sensors.gpu_lidar?.topic ?? '',
      imu: model.sensors.imu?.topic ?? '',
      odom: diff.odom_topic ?? '',
      cmd_vel: diff.topic ?? '',
      battery_state: `/model/kizuna_robot/battery/${battery.battery_name ?? ''}/state`,
      '/clock': '/clock',
    };
    for (const e of bridge)
      expect(`${e.ros_topic_name} ${e.gz_topic_name}`).toBe(`${e.ros_topic_name} ${gzTopics[e.ros_topic_name]}`);
    expect([diff.frame_id, diff.child_frame_id]).toEqual(['odom', 'base_link']);
  });

  it("fits the profiles it is meant for: one lidar in frame 'laser' at their scan pose", () => {
    const lidar = model.sensors.gpu_lidar;
    expect(lidar?.frame).toBe('laser');
    const blocks = loadParamsFile(join(root, 'launch', 'params', 'care.yaml'));
    for (const node of ['safety_gate', 'perception']) {
      const p = overridesForNode(blocks, { params: {}, nodeParams: {} }, node, '/');
      expect(p.scan_topics).toEqual([TOPICS.scan]);
      expect(p.scan_frames).toEqual([lidar?.frame]);
      expect((p.scan_poses as number[])[0]).toBeCloseTo(lidar?.pose[0] ?? NaN, 6);
      expect((p.scan_poses as number[])[1]).toBeCloseTo(lidar?.pose[1] ?? NaN, 6);
    }
  });

  it('places the world so the robot starts at its origin, with the dock approach pose of the care profile inside the walls', () => {
    const world = readFileSync(worldFile, 'utf8');
    expect(world).toMatch(
      /<uri>model:\/\/kizuna_robot<\/uri>\s*<name>kizuna_robot<\/name>\s*<pose>0 0 0 0 0 0<\/pose>/,
    );
    const exec = overridesForNode(
      loadParamsFile(join(root, 'launch', 'params', 'care.yaml')),
      { params: {}, nodeParams: {} },
      'executive',
      '/',
    );
    expect(exec.dock_pose).toEqual([1.0, 1.0, 0.0]);
    expect(world).toMatch(/approach pose \(1\.0, 1\.0, 0\)/);
    for (const plugin of [
      'gz-sim-physics-system',
      'gz-sim-sensors-system',
      'gz-sim-imu-system',
      'gz-sim-scene-broadcaster-system',
    ]) {
      expect(world).toContain(`filename="${plugin}"`);
    }
  });
});

describe('the Gazebo world as a built-in sim scenario (sim_gazebo.launch.py gazebo:=false)', () => {
  it('kizuna_station.yaml has the SDF world: every box (walls, partition, dock, tables) and the robot at the origin', () => {
    const scenario = loadScenario(join(gz, 'kizuna_station.yaml'));
    // every box of the SDF with its centre and size (x, y), read with Python's XML parser
    const boxes = JSON.parse(
      xmlCheck(
        join(gz, 'worlds', 'kizuna_station.sdf'),
        `
import json, sys, xml.etree.ElementTree as ET
w = ET.parse(sys.argv[1]).getroot().find('world')
out = {}
for m in w.findall('model'):
    for link in m.findall('link'):
        size = link.find('collision/geometry/box/size')
        if size is None:
            continue
        x, y = [float(v) for v in link.findtext('pose').split()[:2]]
        sx, sy = [float(v) for v in size.text.split()[:2]]
        out[m.get('name') + '/' + link.get('name')] = [x, y, sx, sy]
print(json.dumps(out))
`,
      ),
    ) as Record<string, [number, number, number, number]>;
    expect(Object.keys(boxes).length).toBeGreaterThanOrEqual(10);
    const walls = scenario.world.walls[0]!.points;
    const xs = walls.map((q) => q[0]);
    const ys = walls.map((q) => q[1]);
    const obstacles = scenario.world.obstacles.map((o) => {
      const ox = o.points.map((q) => q[0]);
      const oy = o.points.map((q) => q[1]);
      return { id: o.id, x0: Math.min(...ox), x1: Math.max(...ox), y0: Math.min(...oy), y1: Math.max(...oy) };
    });
    for (const [name, [x, y, sx, sy]] of Object.entries(boxes)) {
      const x0 = x - sx / 2;
      const x1 = x + sx / 2;
      const y0 = y - sy / 2;
      const y1 = y + sy / 2;
      // an outer wall: its inner face is a side of the scenario's closed wall
      const inner =
        [x1, x0].some((v) => xs.some((w) => Math.abs(w - v) < 1e-6) && sy > 10) ||
        [y1, y0].some((v) => ys.some((w) => Math.abs(w - v) < 1e-6) && sx > 10);
      // anything else: an obstacle covering the box (within the room)
      const covered = obstacles.some(
        (o) =>
          o.x0 <= Math.max(x0, -2) + 1e-6 &&
          o.x1 >= Math.min(x1, 18) - 1e-6 &&
          o.y0 <= Math.max(y0, -2) + 1e-6 &&
          o.y1 >= Math.min(y1, 10) - 1e-6,
      );
      expect(`${name}: ${inner || covered}`).toBe(`${name}: true`);
    }
    expect(scenario.robots).toHaveLength(1);
    expect(scenario.robots[0]!.start).toEqual({ x: 0, y: 0, yaw: 0 });
    expect(scenario.people).toEqual([]);
    expect(scenario.world.stations.find((st) => st.kind === 'dock')?.pose).toEqual({ x: 1, y: 1, yaw: 0 });
  });
});

describe('launch files for Gazebo', () => {
  it('sim_gazebo.launch.py is valid Python naming the world, models, bridge and kizuna launch that exist', () => {
    const out = xmlCheck(
      join(root, 'launch', 'sim_gazebo.launch.py'),
      'import ast, sys; ast.parse(open(sys.argv[1]).read()); print("ok")',
    );
    expect(out).toBe('ok');
    const src = readFileSync(join(root, 'launch', 'sim_gazebo.launch.py'), 'utf8');
    expect(src).toMatch(/os\.path\.join\(GAZEBO, 'worlds', 'kizuna_station\.sdf'\)/);
    expect(src).toMatch(/os\.path\.join\(GAZEBO, 'bridge\.yaml'\)/);
    expect(src).toMatch(/'use_sim_time': 'true'/);
    expect(src).toMatch(/executable='parameter_bridge'/);
    for (const f of ['worlds/kizuna_station.sdf', 'bridge.yaml', 'models/kizuna_robot/model.sdf']) {
      expect(existsSync(join(gz, f))).toBe(true);
    }
    expect(existsSync(join(root, 'launch', 'kizuna.launch.py'))).toBe(true);
  });

  it('kizuna.launch.xml, which the Gazebo launch mirrors in Python, is well-formed XML', () => {
    expect(
      xmlCheck(
        join(root, 'launch', 'kizuna.launch.xml'),
        'import sys, xml.etree.ElementTree as ET; print(ET.parse(sys.argv[1]).getroot().tag)',
      ),
    ).toBe('launch');
  });
});
