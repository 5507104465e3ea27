/**
 * Parameters at run time on the in-process graph, through the standard rcl_interfaces services a
 * `ros2 param` client calls: the safety gate's speed cap lowered while it runs takes effect on the next
 * command; a zone margin change moves the stop zone; a value the schema refuses, a cross-field rule
 * broken, a read-only parameter and an unknown one are each answered with the reason and change
 * nothing; describe, list, get and get_parameter_types answer as rclcpp's parameter services do.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import type { Publisher, RosNode } from '../../nodes/core/graph/types';
import { launchNode } from '../../nodes/core/runner';
import { definition as gateDefinition } from '../../nodes/safety_gate/node';
import { RUNTIME_SETTABLE } from '../../nodes/safety_gate/params';
import { definition as perceptionDefinition } from '../../nodes/perception/node';
import { definition as executiveDefinition } from '../../nodes/executive/node';
import { definition as healthDefinition } from '../../nodes/health/node';
import { createLogger } from '../../nodes/core/logging';
import { Writable } from 'node:stream';

// refusals are logged as warnings on purpose; the test reads them from the service answers
const quiet = (): ReturnType<typeof createLogger> =>
  createLogger({ json: true, stream: new Writable({ write: (_c, _e, cb) => cb() }) });
import type { MessageOf } from '../../nodes/core/interfaces';
import { PARAMETER_TYPE, fromParameterValue, toParameterValue } from '../../nodes/core/runtime-params';
import { createMessage } from '../../nodes/core/interfaces/validate';
import { timeToSec } from '../../nodes/core/graph/clock';

type Twist = MessageOf<'geometry_msgs/msg/Twist'>;

let graph: InProcessGraph;
let probe: RosNode;
let gateNode: RosNode;
const out: Twist[] = [];
let cmd: Publisher<'geometry_msgs/msg/Twist'>;
let scans: Publisher<'sensor_msgs/msg/LaserScan'>;
let odom: Publisher<'nav_msgs/msg/Odometry'>;
let world: Publisher<'geometry_msgs/msg/PoseArray'>;

/** A scan in frame laser with every beam at `range` [m]. */
function scan(range: number, stampSec: number): MessageOf<'sensor_msgs/msg/LaserScan'> {
  const s = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
  s.header = { stamp: { sec: Math.floor(stampSec), nanosec: 0 }, frame_id: 'laser' };
  s.angle_min = -Math.PI / 2;
  s.angle_max = Math.PI / 2;
  s.angle_increment = Math.PI / 180;
  s.range_min = 0.05;
  s.range_max = 20;
  s.ranges = new Array(181).fill(range);
  return s;
}

beforeEach(async () => {
  graph = new InProcessGraph({ clock: 'manual', logger: quiet() });
  ({ node: gateNode } = await launchNode(gateDefinition, {
    into: { graph, logger: quiet() },
    argv: [
      '--ros-args',
      '-p',
      'estop_timeout_s:=0.0',
      '-p',
      'max_linear_speed_mps:=1.0',
      '-p',
      'max_linear_accel_mps2:=10.0',
    ],
  }));
  probe = graph.createNode('probe');
  probe.createSubscription('geometry_msgs/msg/Twist', 'cmd_vel', (m) => out.push(m));
  cmd = probe.createPublisher('geometry_msgs/msg/Twist', 'cmd_vel_nav');
  scans = probe.createPublisher('sensor_msgs/msg/LaserScan', 'scan', 'sensor_data');
  odom = probe.createPublisher('nav_msgs/msg/Odometry', 'odom', 'sensor_data');
  world = probe.createPublisher('geometry_msgs/msg/PoseArray', 'people', 'sensor_data');
});
afterEach(async () => {
  await graph.shutdown();
});

/** Drives the gate for `steps` control periods with a forward command and a clear (or given) scan; returns the last output. */
async function drive(speed: number, obstacleAt = 15, steps = 10): Promise<Twist | undefined> {
  out.length = 0;
  const od = createMessage('nav_msgs/msg/Odometry') as unknown as MessageOf<'nav_msgs/msg/Odometry'>;
  od.pose.pose.orientation.w = 1;
  od.header.frame_id = 'odom';
  od.child_frame_id = 'base_link';
  for (let i = 0; i < steps; i++) {
    const t = timeToSec(probe.now());
    scans.publish(scan(obstacleAt, t));
    odom.publish(od);
    // the people detector: nobody around
    world.publish({ header: { stamp: probe.now(), frame_id: 'base_link' }, poses: [] });
    cmd.publish({ linear: { x: speed, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
    await graph.advance(0.05);
  }
  return out[out.length - 1];
}

async function setParams(params: Array<{ name: string; value: number | string }>) {
  const client = probe.createClient('rcl_interfaces/srv/SetParameters', '/safety_gate/set_parameters');
  const res = await client.call({
    parameters: params.map((p) => ({
      name: p.name,
      value: toParameterValue(typeof p.value === 'number' ? 'double' : 'string', p.value),
    })),
  });
  return res.results;
}

async function getParam(name: string): Promise<unknown> {
  const client = probe.createClient('rcl_interfaces/srv/GetParameters', '/safety_gate/get_parameters');
  const res = await client.call({ names: [name] });
  return res.values[0] ? fromParameterValue(res.values[0]) : undefined;
}

describe('safety_gate parameters at run time (in-process graph, rcl_interfaces services)', () => {
  it('a lowered speed cap takes effect on the next commands, without a restart', async () => {
    expect((await drive(0.9))?.linear.x).toBeCloseTo(0.9, 6);
    expect(await setParams([{ name: 'max_linear_speed_mps', value: 0.4 }])).toEqual([{ successful: true, reason: '' }]);
    expect(await getParam('max_linear_speed_mps')).toBe(0.4);
    expect(gateNode.getParameter('max_linear_speed_mps')).toBe(0.4); // the node's own view, as on rclnodejs
    expect((await drive(0.9))?.linear.x).toBeCloseTo(0.4, 6);
  });

  it('a larger stop margin moves the stop zone: an obstacle that was clear now stops the robot', async () => {
    // footprint front 0.3 (default), stop margin 0.1, slowdown margin 0.5: an obstacle at 0.6 m slows, does not stop
    const before = await drive(0.5, 0.6);
    expect(before?.linear.x).toBeGreaterThan(0);
    expect(await setParams([{ name: 'stop_margin_m', value: 0.4 }])).toEqual([{ successful: true, reason: '' }]);
    expect((await drive(0.5, 0.6))?.linear.x).toBe(0);
  });

  it('refuses a value outside the schema, a broken cross-field rule, a read-only and an unknown parameter, changing nothing', async () => {
    const results = await setParams([
      { name: 'max_linear_speed_mps', value: -1 },
      { name: 'stop_margin_m', value: 3 }, // larger than slowdown_margin_m
      { name: 'footprint_front_m', value: 0.1 },
      { name: 'no_such_parameter', value: 1 },
      { name: 'max_linear_speed_mps', value: 'fast' },
    ]);
    expect(results.map((r) => r.successful)).toEqual([false, false, false, false, false]);
    expect(results[0]?.reason).toMatch(/max_linear_speed_mps: .*\(got -1\); nothing changed/);
    expect(results[1]?.reason).toMatch(/slowdown_margin_m: must be >= stop_margin_m/);
    expect(results[2]?.reason).toMatch(/'footprint_front_m' is read-only while the node runs/);
    expect(results[3]?.reason).toMatch(/'no_such_parameter' is not declared/);
    expect(results[4]?.reason).toMatch(/max_linear_speed_mps: .*\(got "fast"\)/);
    expect(await getParam('max_linear_speed_mps')).toBe(1);
    expect(await getParam('stop_margin_m')).toBe(0.1);
    expect(await getParam('footprint_front_m')).toBe(0.3);
    expect((await drive(0.9))?.linear.x).toBeCloseTo(0.9, 6);
  });

  it('describes every parameter: read_only unless settable, with its description and range', async () => {
    const client = probe.createClient('rcl_interfaces/srv/DescribeParameters', '/safety_gate/describe_parameters');
    const res = await client.call({ names: ['max_linear_speed_mps', 'footprint_front_m', 'control_rate_hz'] });
    expect(res.descriptors.map((d) => [d.name, d.read_only])).toEqual([
      ['max_linear_speed_mps', false],
      ['footprint_front_m', true],
      ['control_rate_hz', true],
    ]);
    const speed = res.descriptors[0];
    expect(speed?.type).toBe(PARAMETER_TYPE.double);
    expect(speed?.description).toMatch(/m\/s/);
    expect(speed?.floating_point_range).toHaveLength(1);
    expect(res.descriptors[1]?.additional_constraints).toBe('read-only while the node runs');
  });

  it('lists the parameters and their types', async () => {
    const list = await probe
      .createClient('rcl_interfaces/srv/ListParameters', '/safety_gate/list_parameters')
      .call({ prefixes: [], depth: 0n });
    for (const name of RUNTIME_SETTABLE) expect(list.result.names).toContain(name);
    expect(list.result.names).toContain('scan_topics');
    const types = await probe
      .createClient('rcl_interfaces/srv/GetParameterTypes', '/safety_gate/get_parameter_types')
      .call({ names: ['scan_topics', 'people_enabled', 'nope'] });
    expect(Array.from(types.types)).toEqual([PARAMETER_TYPE.string_array, PARAMETER_TYPE.bool, PARAMETER_TYPE.not_set]);
  });
});

describe('perception parameters at run time (in-process graph)', () => {
  it('a new summary rate restarts its timer at once; a battery rule broken between two parameters is refused', async () => {
    const g = new InProcessGraph({ clock: 'manual', logger: quiet() });
    try {
      await launchNode(perceptionDefinition, {
        into: { graph: g, logger: quiet() },
        argv: ['--ros-args', '-p', 'rate_hz:=2.0', '-p', 'min_interval_s:=10.0'],
      });
      const client = g.createNode('client');
      let summaries = 0;
      client.createSubscription('kizuna_msgs/msg/WorldSummary', 'kizuna/world_summary', () => (summaries += 1));
      const countOver = async (sec: number): Promise<number> => {
        summaries = 0;
        for (let i = 0; i < sec * 100; i++) await g.advance(0.01);
        return summaries;
      };
      await countOver(1); // past the first change-triggered summary
      expect(await countOver(2)).toBe(4); // 2 Hz
      const set = client.createClient('rcl_interfaces/srv/SetParameters', '/perception/set_parameters');
      const res = await set.call({
        parameters: [
          { name: 'rate_hz', value: toParameterValue('double', 10) },
          { name: 'battery_critical_fraction', value: toParameterValue('double', 0.9) },
        ],
      });
      expect(res.results[0]).toEqual({ successful: true, reason: '' });
      expect(res.results[1]?.successful).toBe(false);
      expect(res.results[1]?.reason).toMatch(/battery_critical_fraction/);
      expect(await countOver(2)).toBe(20); // 10 Hz
      const ro = await set.call({ parameters: [{ name: 'odom_topic', value: toParameterValue('string', 'x') }] });
      expect(ro.results[0]?.reason).toMatch(/'odom_topic' is read-only while the node runs/);
    } finally {
      await g.shutdown();
    }
  });
});

describe('nodes with no parameter settable at run time (in-process graph)', () => {
  it.each([
    ['executive', executiveDefinition, 'max_linear_speed_mps', ['-p', 'profile:=care']],
    ['health', healthDefinition, 'watched_nodes', []],
  ] as const)(
    '%s answers ros2 param get and describe, and refuses every set as read-only',
    async (name, def, param, p) => {
      const g = new InProcessGraph({ clock: 'manual', logger: quiet() });
      try {
        await launchNode(def, { into: { graph: g, logger: quiet() }, argv: ['--ros-args', ...p] });
        const client = g.createNode('client');
        const described = await client
          .createClient('rcl_interfaces/srv/DescribeParameters', `/${name}/describe_parameters`)
          .call({ names: [param] });
        expect(described.descriptors[0]).toMatchObject({ name: param, read_only: true });
        const got = await client
          .createClient('rcl_interfaces/srv/GetParameters', `/${name}/get_parameters`)
          .call({ names: [param] });
        expect(got.values[0]?.type).not.toBe(PARAMETER_TYPE.not_set);
        const set = await client
          .createClient('rcl_interfaces/srv/SetParameters', `/${name}/set_parameters`)
          .call({ parameters: [{ name: param, value: got.values[0]! }] });
        expect(set.results[0]).toMatchObject({ successful: false });
        expect(set.results[0]?.reason).toMatch(new RegExp(`'${param}' is read-only while the node runs`));
      } finally {
        await g.shutdown();
      }
    },
  );
});
