import { describe, it, expect, afterEach, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { launchNode } from '../../nodes/core/runner';
import { definition } from '../../nodes/example_nearest/node';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';
import { defaultLogger } from '../../nodes/core/logging';

describe('example_nearest wired on the in-process graph from a ROS 2 parameter file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-example-'));
  let graph: InProcessGraph;
  afterEach(async () => {
    await graph.shutdown();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads its topics from --params-file and remaps, then publishes the nearest return as a point', async () => {
    const params = join(dir, 'params.yaml');
    writeFileSync(
      params,
      ['/**/example_nearest:', '  ros__parameters:', '    scan_topic: front/scan', '    max_age_s: 2.0'].join('\n'),
    );
    graph = new InProcessGraph({ clock: 'manual' });
    const { node } = await launchNode(definition, {
      into: { graph, logger: defaultLogger() },
      argv: ['--ros-args', '--params-file', params, '-r', '__ns:=/r1', '-r', '~/nearest:=nearest_point'],
    });
    expect(node.fullyQualifiedName).toBe('/r1/example_nearest');
    expect(node.getParameter('scan_topic')).toBe('front/scan');

    const probe = graph.createNode('probe', { namespace: '/r1' });
    const points: Array<MessageOf<'geometry_msgs/msg/PointStamped'>> = [];
    probe.createSubscription('geometry_msgs/msg/PointStamped', 'nearest_point', (m) => points.push(m));
    const scanPub = probe.createPublisher('sensor_msgs/msg/LaserScan', 'front/scan', 'sensor_data');
    expect(scanPub.subscriptionCount()).toBe(1);

    const scan = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
    Object.assign(scan, {
      angle_min: 0,
      angle_increment: Math.PI / 2,
      range_min: 0.1,
      range_max: 5,
      ranges: [4, 2, NaN],
    });
    scan.header.frame_id = 'laser';
    scanPub.publish(scan);
    await graph.flush();

    expect(points).toHaveLength(1);
    expect(points[0]!.header.frame_id).toBe('laser');
    // angle_increment is a float32: π/2 arrives rounded as a C float stores it, as on a robot.
    expect(points[0]!.point.x).toBeCloseTo(0, 6);
    expect(points[0]!.point.y).toBeCloseTo(2, 6);
  });

  it('fails to start with a message naming node, key and value when the parameter file is wrong', async () => {
    const params = join(dir, 'bad.yaml');
    writeFileSync(params, ['/**:', '  ros__parameters:', '    max_age_s: -3'].join('\n'));
    graph = new InProcessGraph();
    await expect(
      launchNode(definition, {
        into: { graph, logger: defaultLogger() },
        argv: ['--ros-args', '--params-file', params],
      }),
    ).rejects.toMatchObject({
      code: 'KZ_ERR_PARAM_INVALID',
      message: expect.stringMatching(/node '\/example_nearest': invalid parameter 'max_age_s': .*\(got -3\)/),
    });
  });
});

describe('log level of a launched node', () => {
  it('comes from a log_level parameter, and --log-level wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-loglevel-'));
    const params = join(dir, 'p.yaml');
    writeFileSync(params, ['/**:', '  ros__parameters:', '    log_level: debug'].join('\n'));
    const levelOf = async (argv: string[]): Promise<string> => {
      const launched = await launchNode(definition, { argv, jsonLogs: true });
      await launched.graph.shutdown();
      return launched.logger.level;
    };
    try {
      expect(await levelOf(['--ros-args', '--params-file', params])).toBe('debug');
      expect(await levelOf(['--ros-args', '--params-file', params, '--log-level', 'warn'])).toBe('warn');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
