/**
 * `kizuna run example_nearest --graph rclnodejs --ros-args ...` as a robot runs it: its own process on real
 * rcl + Fast DDS, fed by an rclpy publisher, stopped with SIGINT.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describeWithRos } from './support/gate';
import { RclpyPeer } from './support/peer';

const root = join(__dirname, '..', '..');

describeWithRos('kizuna run on the rclnodejs graph', () => {
  let peer: RclpyPeer;

  beforeAll(async () => {
    peer = await RclpyPeer.start('kizuna_cli_peer');
  }, 30000);

  afterAll(async () => {
    await peer?.stop();
  });

  it('runs example_nearest with --ros-args remaps and parameters, answers an rclpy scan, and stops on SIGINT', async () => {
    const ns = `/cli${process.pid}`;
    const cli = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      [
        join(root, 'nodes', 'cli', 'kizuna.ts'),
        'run',
        'example_nearest',
        '--graph',
        'rclnodejs',
        '--json-logs',
        '--ros-args',
        '-r',
        `__ns:=${ns}`,
        '-r',
        'scan:=front/scan',
        '-p',
        'max_age_s:=5.0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => cli.on('exit', (code) => r(code)));
    try {
      const out = `${ns}/example_nearest/nearest`;
      const scanTopic = `${ns}/front/scan`;
      await peer.request('subscribe', { topic: out, type: 'geometry_msgs/msg/PointStamped' });
      await peer.request('advertise', {
        topic: scanTopic,
        type: 'sensor_msgs/msg/LaserScan',
        qos: { reliability: 'best_effort', depth: 5 },
      });
      const scan = {
        header: { stamp: { sec: 7, nanosec: 0 }, frame_id: 'laser' },
        angle_min: 0,
        angle_max: 1,
        angle_increment: 1,
        range_min: 0.1,
        range_max: 10,
        ranges: [3, 1.5],
      };
      const deadline = Date.now() + 20000;
      while (peer.messages(out).length === 0 && Date.now() < deadline) {
        await peer.request('publish', { topic: scanTopic, data: scan });
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(peer.messages(out)[0]).toMatchObject({
        header: scan.header,
        point: { x: 1.5 * Math.cos(1), y: 1.5 * Math.sin(1), z: 0 },
      });
      const { names } = await peer.request<{ names: string[] }>('node_names');
      expect(names).toContain(`${ns}/example_nearest`);
    } finally {
      cli.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/running \/cli\d+\/example_nearest on the rclnodejs graph/);
  }, 45000);
});
