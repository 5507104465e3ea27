/**
 * rclnodejs graph on real ROS 2 (needs `npm run ros:setup`; run as `npm run ros:run -- npm run bench -- --only
 * rclnodejs`): how soon an incompatible-QoS report reaches a kizuna listener after the incompatible endpoint
 * appears, with rmw events (the default on Jazzy) against graph polling (the Humble fallback) in the same run.
 */
import type { Benchmark, BenchResult } from './harness';
import { percentile, ratioResult } from './harness';
import { rosUnavailableReason } from '../test/ros2/support/ros-env';
import { createRclnodejsGraph } from '../nodes/core/graph/rclnodejs/graph';
import { createLogger } from '../nodes/core/logging';

const TRIALS = 15;

async function reportLatencies(qosEvents: 'rmw' | 'graph'): Promise<number[]> {
  const graph = await createRclnodejsGraph({ qosEvents, logger: createLogger({ level: 'error' }) });
  const out: number[] = [];
  try {
    for (let i = 0; i < TRIALS; i++) {
      const node = graph.createNode(`bench_${qosEvents}_${i}`);
      const topic = `/bench${process.pid}/${qosEvents}/t${i}`;
      const pub = node.createPublisher('std_msgs/msg/String', topic, 'sensor_data');
      let at: number | undefined;
      pub.onIncompatibleQoS(() => (at ??= performance.now()));
      const start = performance.now();
      node.createSubscription('std_msgs/msg/String', topic, () => undefined, 'default');
      const deadline = start + 5000;
      while (at === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      out.push((at ?? Number.POSITIVE_INFINITY) - start);
      node.destroy();
    }
  } finally {
    await graph.shutdown();
  }
  return out;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'rclnodejs',
    async run(log): Promise<BenchResult[]> {
      const why = rosUnavailableReason();
      if (why) {
        log(
          `skipped: ${why}; run \`npm run ros:setup\`, then \`npm run ros:run -- npm run bench -- --only rclnodejs\``,
        );
        return [];
      }
      const polled = await reportLatencies('graph');
      const evented = await reportLatencies('rmw');
      log(`rmw events ms: ${evented.map((v) => v.toFixed(1)).join(' ')}`);
      log(`graph polling ms: ${polled.map((v) => v.toFixed(1)).join(' ')}`);
      return [
        ratioResult(
          {
            id: 'rclnodejs.incompatible_qos_report.rmw_events.p50',
            value: percentile([...evented], 50),
            unit: 'ms',
            description: 'incompatible endpoint created → IncompatibleQoSEvent on the publisher, rmw events',
          },
          {
            id: 'rclnodejs.incompatible_qos_report.graph_polling.p50',
            value: percentile([...polled], 50),
            unit: 'ms',
            description: 'the same with graph polling every 200 ms (Humble fallback)',
          },
          0.5,
          { trials: TRIALS, rmwP95: percentile([...evented], 95), pollingP95: percentile([...polled], 95) },
        ),
      ];
    },
  },
];
