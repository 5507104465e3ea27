/**
 * One simulated robot for the fleet benchmark: five trivial nodes with the traffic of the issue — a lidar
 * publishing a 1,080-beam LaserScan at 10 Hz, a controller publishing Twist at 20 Hz, perception and a
 * safety gate on the scan, the gate forwarding Twist to a base. The gate measures scan → subscriber
 * latency on the graph's clock (meaningful on the wall clock).
 */
import type { RosGraph, TimerInfo } from '../../nodes/core/graph/types';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';

export interface FleetStats {
  scansPublished: number;
  scansReceived: number;
  twistsReceived: number;
  timerCalls: number;
  /** Sum of TimerInfo.missedTicks over every timer call. */
  missedTicks: number;
  /** Scan → safety-gate latency samples [µs] (every scan). */
  latencyUs: number[];
}

export function newStats(): FleetStats {
  return { scansPublished: 0, scansReceived: 0, twistsReceived: 0, timerCalls: 0, missedTicks: 0, latencyUs: [] };
}

const BEAMS = 1080;

/** Adds robot `id` (namespace `/<id>`) to `graph`. */
export function addRobot(graph: RosGraph, id: string, stats: FleetStats, measureLatency: boolean): void {
  const ns = `/${id}`;
  const lidar = graph.createNode('lidar', { namespace: ns });
  const perception = graph.createNode('perception', { namespace: ns });
  const gate = graph.createNode('safety_gate', { namespace: ns });
  const controller = graph.createNode('controller', { namespace: ns });
  const base = graph.createNode('base', { namespace: ns });

  const scan = createMessage('sensor_msgs/msg/LaserScan') as unknown as MessageOf<'sensor_msgs/msg/LaserScan'>;
  scan.header.frame_id = 'laser';
  scan.angle_min = -Math.PI;
  scan.angle_max = Math.PI;
  scan.angle_increment = (2 * Math.PI) / BEAMS;
  scan.range_min = 0.1;
  scan.range_max = 30;
  scan.ranges = new Float32Array(BEAMS).fill(5);
  scan.intensities = new Float32Array(0);
  const scanPub = lidar.createPublisher('sensor_msgs/msg/LaserScan', 'scan', 'sensor_data');
  const tick = (info: TimerInfo): void => {
    stats.timerCalls++;
    stats.missedTicks += info.missedTicks;
  };
  lidar.createTimer(0.1, (info) => {
    tick(info);
    scan.header.stamp = lidar.now();
    scanPub.publish(scan);
    stats.scansPublished++;
  });

  const nearestPub = perception.createPublisher('std_msgs/msg/Float32', 'nearest');
  perception.createSubscription(
    'sensor_msgs/msg/LaserScan',
    'scan',
    (m) => nearestPub.publish({ data: m.ranges[0] ?? 0 }),
    'sensor_data',
  );

  const safePub = gate.createPublisher('geometry_msgs/msg/Twist', 'cmd_vel_safe');
  gate.createSubscription(
    'sensor_msgs/msg/LaserScan',
    'scan',
    (m) => {
      stats.scansReceived++;
      if (measureLatency) {
        const sentNs = BigInt(m.header.stamp.sec) * 1_000_000_000n + BigInt(m.header.stamp.nanosec);
        stats.latencyUs.push(Number(gate.clock.nowNs() - sentNs) / 1000);
      }
    },
    'sensor_data',
  );
  gate.createSubscription('geometry_msgs/msg/Twist', 'cmd_vel', (t) => safePub.publish(t));

  const cmdPub = controller.createPublisher('geometry_msgs/msg/Twist', 'cmd_vel');
  const twist = { linear: { x: 0.5, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0.1 } };
  controller.createTimer(0.05, (info) => {
    tick(info);
    cmdPub.publish(twist);
  });

  base.createSubscription('geometry_msgs/msg/Twist', 'cmd_vel_safe', () => {
    stats.twistsReceived++;
  });
}
