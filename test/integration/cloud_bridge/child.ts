/**
 * A cloud_bridge in its own process, for the kill -9 and outage tests: `node --import tsx child.ts
 * <params json> <burst>` starts the bridge on an in-process graph, publishes `burst` decision
 * statuses (each becomes one event), reports `ready`, `enqueued <lastSeq>` and, once the outbox is
 * empty, `drained <lastSeq>` on stdout, then keeps running until killed or sent SIGTERM.
 */
import { InProcessGraph } from '../../../nodes/core/graph/inprocess/graph';
import { createMessage } from '../../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../../nodes/core/interfaces';
import { startBridge } from '../../../nodes/cloud_bridge/node';

async function main(): Promise<void> {
  const params = JSON.parse(process.argv[2] ?? '{}') as Record<string, string | number | boolean>;
  const burst = Number(process.argv[3] ?? '0');
  const graph = new InProcessGraph();
  const node = graph.createNode('cloud_bridge', { parameterOverrides: params });
  const bridge = startBridge(node);
  const probe = graph.createNode('burst');
  const pub = probe.createPublisher('kizuna_msgs/msg/DecisionStatus', 'kizuna/decision_status');
  const base = createMessage(
    'kizuna_msgs/msg/DecisionStatus',
  ) as unknown as MessageOf<'kizuna_msgs/msg/DecisionStatus'>;
  process.stdout.write('ready\n');
  for (let i = 0; i < burst; i++) {
    pub.publish({ ...base, decision_id: `p${process.pid}-${i}`, state: 1, source: 1, kind: 1 });
    if (i % 5 === 4) await graph.flush();
  }
  await graph.flush();
  process.stdout.write(`enqueued ${bridge.store.lastSeq}\n`);
  const timer = setInterval(() => {
    if (bridge.store.depth === 0 && bridge.link.connected) {
      clearInterval(timer);
      process.stdout.write(`drained ${bridge.store.lastSeq}\n`);
    }
  }, 20);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void bridge.stop().then(() => graph.shutdown().then(() => process.exit(0)));
  });
}

void main();
