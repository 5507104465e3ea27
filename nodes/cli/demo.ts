/**
 * `kizuna demo` (what `npm start` runs until the simulation lands): a short run of the foundation on the
 * in-process graph — a scripted lidar, the example node, message validation and QoS matching — printed
 * as it happens. It drives no robot and talks to no cloud.
 */
import { InProcessGraph } from '../core/graph/inprocess/graph';
import { launchNode } from '../core/runner';
import { definition as exampleNearest } from '../example_nearest/node';
import { createMessage } from '../core/interfaces/validate';
import type { MessageOf } from '../core/interfaces';
import { isKizunaError } from '../core/errors';
import type { Logger } from '../core/logging';

export interface DemoOptions {
  /** How long the scripted obstacle approach lasts [s]. */
  durationSec: number;
  logger: Logger;
  out: (line: string) => void;
}

/** Runs the demo; resolves with counts of what happened. */
export async function runDemo(
  opts: DemoOptions,
): Promise<{ scans: number; nearest: number; rejected: number; qosReports: number }> {
  const { out } = opts;
  const graph = new InProcessGraph({ logger: opts.logger, robot: 'demo-1' });
  const counts = { scans: 0, nearest: 0, rejected: 0, qosReports: 0 };
  try {
    out(
      'kizuna foundation demo: in-process ROS graph, no robot, no cloud (the fleet simulation is a later roadmap step)',
    );
    await launchNode(exampleNearest, {
      into: { graph, logger: opts.logger },
      argv: ['--ros-args', '-r', '__ns:=/demo'],
    });
    out('started node /demo/example_nearest (scan -> ~/nearest)');

    const lidar = graph.createNode('fake_lidar', { namespace: '/demo' });
    const scanPub = lidar.createPublisher('sensor_msgs/msg/LaserScan', 'scan', 'sensor_data');

    const watcher = graph.createNode('watcher', { namespace: '/demo' });
    let last: MessageOf<'geometry_msgs/msg/PointStamped'> | undefined;
    watcher.createSubscription('geometry_msgs/msg/PointStamped', 'example_nearest/nearest', (m) => {
      counts.nearest++;
      last = m;
    });

    // A reliable subscription cannot hear a best-effort lidar: ROS 2 reports it, and so do we.
    const strict = watcher.createSubscription('sensor_msgs/msg/LaserScan', 'scan', () => undefined, 'default');
    strict.onIncompatibleQoS((ev) => {
      counts.qosReports++;
      out(`QoS report: ${ev.side} on ${ev.topic} is incompatible (${ev.policy}); no messages flow between them`);
    });

    const steps = Math.max(1, Math.round(opts.durationSec * 10));
    for (let i = 0; i < steps; i++) {
      const scan = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
      scan.header = { stamp: lidar.now(), frame_id: 'laser' };
      scan.angle_min = -Math.PI / 2;
      scan.angle_max = Math.PI / 2;
      scan.angle_increment = Math.PI / 180;
      scan.range_min = 0.05;
      scan.range_max = 12;
      const obstacle = 3 - (2.5 * i) / steps;
      scan.ranges = Array.from({ length: 181 }, (_, k) => (Math.abs(k - 120) < 3 ? obstacle : Infinity));
      scanPub.publish(scan);
      counts.scans++;
      await new Promise((r) => setTimeout(r, 100));
      if (i % 5 === 4 && last) out(`nearest obstacle: x=${last.point.x.toFixed(2)} m y=${last.point.y.toFixed(2)} m`);
    }

    try {
      const bad = createMessage('sensor_msgs/msg/LaserScan') as Record<string, unknown>;
      bad.rangs = bad.ranges;
      delete bad.ranges;
      scanPub.publish(bad as never);
    } catch (e) {
      if (!isKizunaError(e)) throw e;
      counts.rejected++;
      out(`rejected as it would be by a typed middleware: ${e.code}: ${e.message}`);
    }
    await graph.flush();
    out(
      `done: ${counts.scans} scans published, ${counts.nearest} nearest points received, ${counts.rejected} bad message rejected`,
    );
    return counts;
  } finally {
    await graph.shutdown();
  }
}
