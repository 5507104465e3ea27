/**
 * Parameters at run time on the rclnodejs graph, set from rclpy through rcl's own parameter services
 * (what `ros2 param set` does): the safety gate's speed cap lowered while it runs limits its next
 * commands; a value outside its range, one its schema refuses (a rule between parameters) and a read-only
 * parameter are each refused, with the reason, changing nothing; the descriptors say which are read-only.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { Publisher, RosGraph, RosNode } from '../../nodes/core/graph/types';
import { launchNode } from '../../nodes/core/runner';
import { definition as gateDefinition } from '../../nodes/safety_gate/node';
import { createLogger } from '../../nodes/core/logging';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';
import { timeToSec } from '../../nodes/core/graph/clock';
import { describeWithRos } from './support/gate';
import { RclpyPeer } from './support/peer';

const NS = `/rtparams${process.pid}`;
const GATE = `${NS}/safety_gate`;

const quiet = (): ReturnType<typeof createLogger> =>
  createLogger({ json: true, stream: new Writable({ write: (_c, _e, cb) => cb() }) });

describeWithRos('parameters at run time, set from rclpy on the rclnodejs graph', () => {
  let graph: RosGraph;
  let peer: RclpyPeer;
  let probe: RosNode;
  const out: number[] = [];
  let cmd: Publisher<'geometry_msgs/msg/Twist'>;
  let scans: Publisher<'sensor_msgs/msg/LaserScan'>;
  let odom: Publisher<'nav_msgs/msg/Odometry'>;
  let world: Publisher<'geometry_msgs/msg/PoseArray'>;

  beforeAll(async () => {
    peer = await RclpyPeer.start('kizuna_rtparams_peer');
    graph = await createRclnodejsGraph({ logger: quiet() });
    await launchNode(gateDefinition, {
      into: { graph, logger: quiet() },
      argv: [
        '--ros-args',
        '-r',
        `__ns:=${NS}`,
        '-p',
        'estop_timeout_s:=0.0',
        '-p',
        'max_linear_speed_mps:=1.0',
        '-p',
        'max_linear_accel_mps2:=10.0',
      ],
    });
    probe = graph.createNode('rt_probe', { namespace: NS });
    probe.createSubscription('geometry_msgs/msg/Twist', 'cmd_vel', (m) => out.push(m.linear.x), {
      reliability: 'reliable',
      depth: 1,
    });
    cmd = probe.createPublisher('geometry_msgs/msg/Twist', 'cmd_vel_nav', { reliability: 'reliable', depth: 1 });
    scans = probe.createPublisher('sensor_msgs/msg/LaserScan', 'scan', 'sensor_data');
    odom = probe.createPublisher('nav_msgs/msg/Odometry', 'odom', 'sensor_data');
    world = probe.createPublisher('geometry_msgs/msg/PoseArray', 'people', 'sensor_data');
  }, 30000);

  afterAll(async () => {
    await graph?.shutdown();
    await peer?.stop();
  });

  /** Feeds the gate fresh inputs and a forward command for `sec` seconds of wall time; the last cmd_vel. */
  async function drive(speed: number, sec = 1.0): Promise<number | undefined> {
    out.length = 0;
    const end = Date.now() + sec * 1000;
    while (Date.now() < end) {
      const t = timeToSec(probe.now());
      const s = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
      s.header = { stamp: { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) }, frame_id: 'laser' };
      s.angle_min = -Math.PI / 2;
      s.angle_max = Math.PI / 2;
      s.angle_increment = Math.PI / 180;
      s.range_min = 0.05;
      s.range_max = 20;
      s.ranges = new Array(181).fill(15);
      scans.publish(s);
      const od = createMessage('nav_msgs/msg/Odometry') as unknown as MessageOf<'nav_msgs/msg/Odometry'>;
      od.pose.pose.orientation.w = 1;
      od.header.frame_id = 'odom';
      od.child_frame_id = 'base_link';
      odom.publish(od);
      world.publish({ header: { stamp: probe.now(), frame_id: 'base_link' }, poses: [] });
      cmd.publish({ linear: { x: speed, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
      await new Promise((r) => setTimeout(r, 40));
    }
    return out[out.length - 1];
  }

  async function set(name: string, value: Record<string, unknown>) {
    const { response } = await peer.request<{ response: { results: Array<{ successful: boolean; reason: string }> } }>(
      'call',
      {
        name: `${GATE}/set_parameters`,
        type: 'rcl_interfaces/srv/SetParameters',
        request: { parameters: [{ name, value }] },
      },
    );
    return response.results[0];
  }

  it('a speed cap lowered with set_parameters limits the next commands', async () => {
    expect(await drive(0.9)).toBeCloseTo(0.9, 5);
    expect(await set('max_linear_speed_mps', { type: 3, double_value: 0.4 })).toEqual({ successful: true, reason: '' });
    expect(await drive(0.9)).toBeCloseTo(0.4, 5);
  }, 30000);

  it('refuses a value the schema refuses and a read-only parameter, with the reason, changing nothing', async () => {
    // outside the declared range: rcl's descriptor check refuses it before the schema is asked
    expect((await set('max_linear_speed_mps', { type: 3, double_value: -2 }))?.successful).toBe(false);
    // in range, but against a rule between parameters only the schema knows
    const cross = await set('stop_margin_m', { type: 3, double_value: 0.6 });
    expect(cross?.successful).toBe(false);
    expect(cross?.reason).toMatch(/slowdown_margin_m: must be >= stop_margin_m \(got 0\.6\); nothing changed/);
    const ro = await set('footprint_front_m', { type: 3, double_value: 0.1 });
    expect(ro?.successful).toBe(false);
    expect(ro?.reason).toMatch(/read-?only/i);
    const remote = await peer.request<{
      values: Record<string, Record<string, unknown>>;
      descriptors: Record<string, Record<string, unknown>>;
    }>('remote_parameters', { node: GATE });
    expect(remote.values.max_linear_speed_mps).toMatchObject({ type: 3, double_value: 0.4 });
    expect(remote.values.footprint_front_m).toMatchObject({ type: 3, double_value: 0.3 });
    expect(remote.values.stop_margin_m).toMatchObject({ type: 3, double_value: 0.1 });
    expect(remote.descriptors.max_linear_speed_mps).toMatchObject({ read_only: false });
    expect(remote.descriptors.footprint_front_m).toMatchObject({ read_only: true });
    expect(await drive(0.9)).toBeCloseTo(0.4, 5);
  }, 30000);
});
